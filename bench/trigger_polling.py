"""Many MakeTrackingTriggers in one event loop: CPU per poll at 10 and at 1,000 waits, memory each.

A triggerer runs every deferred wait of a deployment in one event loop. The real
``MakeTrackingTrigger`` polls a request that stays unfinished (a makeSms+ delayed two
hours) on a sandbox in its own process, so the CPU counted here is the loop's alone.
The figure that matters is the ratio: CPU per poll with 1,000 concurrent waits against
the same with 10. It stays flat when nothing in the loop scans every waiter per poll
(httpcore's pool would, if a thousand requests queued in it: the async driver keeps the
requests in flight below the pool's size). Memory is the traced memory per waiting
trigger (tracemalloc, in a run of its own since tracing slows the loop).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import tracemalloc
import urllib.request

from bench.sandbox_process import sandbox_process
from tests.kinds import KindClient

POLL_INTERVAL = 2.0
DURATION = 8.0


def _pending_request(url: str) -> str:
    from airflow_provider_make.client.settings import ClientSettings

    with KindClient(ClientSettings("b@example.com", "pw", base_url=url)) as client:
        tracking_id: str = client.sms_plus("33612345678", "33687654321", "bench", delay_seconds=7200).id
    time.sleep(0.2)  # past the "too early" window (10 s of sandbox time)
    return tracking_id


def _polls(url: str) -> int:
    with urllib.request.urlopen(f"{url}_sandbox/requests", timeout=30) as answer:
        return sum(1 for r in json.load(answer) if r["path"] == "/apilog.php")


async def _wait_all(count: int, tracking_id: str, measure_memory: bool) -> float:
    from airflow_provider_make.triggers.make import MakeTrackingTrigger

    async def one() -> None:
        trigger = MakeTrackingTrigger(
            tracking_id, "make_default", end_time=time.time() + DURATION, poll_interval=POLL_INTERVAL
        )
        async for event in trigger.run():
            assert event.payload["status"] == "timeout", event.payload

    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    per_trigger = 0.0
    if measure_memory:
        await asyncio.sleep(DURATION / 2)  # every trigger started and waiting
        per_trigger = tracemalloc.get_traced_memory()[0] / count
    await asyncio.gather(*tasks)
    return per_trigger


def _run(url: str, count: int, tracking_id: str, measure_memory: bool = False) -> tuple[float, int, float]:
    before = _polls(url)
    if measure_memory:
        tracemalloc.start()
    cpu = time.process_time()
    per_trigger = asyncio.run(_wait_all(count, tracking_id, measure_memory))
    cpu = time.process_time() - cpu
    if measure_memory:
        tracemalloc.stop()
    return cpu, _polls(url) - before, per_trigger


def main() -> None:
    with sandbox_process(speed=100.0) as url:
        os.environ["AIRFLOW_CONN_MAKE_DEFAULT"] = json.dumps(
            {"conn_type": "make", "host": url, "login": "b@example.com", "password": "pw"}
        )
        tracking_id = _pending_request(url)
        _run(url, 10, tracking_id)  # warm: imports, the connection lookup
        results = {}
        for count in (10, 1000):
            cpu, polls, _ = _run(url, count, tracking_id)
            results[count] = cpu / polls
            per_poll = f"{cpu / polls * 1e3:.2f} ms CPU/poll"
            print(f"{count:5} concurrent waits: {polls} polls, {cpu:.2f} s CPU, {per_poll}")
        _, _, per_trigger = _run(url, 1000, tracking_id, measure_memory=True)
    print(f"  ratio CPU per poll, 1000 waits / 10 waits = {results[1000] / results[10]:.2f}x")
    print(f"  memory per waiting trigger (tracemalloc, 1000 waits) = {per_trigger / 1024:.1f} KB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
