"""Tracking requests through one reused MakeClient vs a new client per request."""

from __future__ import annotations

import time

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.kinds import KindClient

REQUESTS = 300


def main() -> None:
    with SandboxServer(port=0, speed=1000.0, accounts=[Account("b@example.com", "pw", 1000)]) as server:
        settings = ClientSettings("b@example.com", "pw", base_url=server.url)
        with KindClient(settings) as client:
            tracking_id = client.sms_plus("33612345678", "33687654321", "bench").id
            time.sleep(0.05)
            client.get_tracking(tracking_id)

            start = time.perf_counter()
            for _ in range(REQUESTS):
                client.get_tracking(tracking_id)
            reused = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(REQUESTS):
            with KindClient(settings) as fresh:
                fresh.get_tracking(tracking_id)
        baseline = time.perf_counter() - start
    print(
        f"{REQUESTS} tracking requests: new client each {baseline * 1000:.0f} ms, "
        f"one reused client {reused * 1000:.0f} ms"
    )
    print(f"  ratio reused / new-each = {reused / baseline:.2f}x")


if __name__ == "__main__":
    main()
