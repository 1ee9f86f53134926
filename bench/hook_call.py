"""One hook call against the floor: a bare ``requests.Session`` plus defusedxml, and ``HttpHook``.

The same tracking read goes to the same sandbox (its own process, so its CPU is not
ours) three ways, interleaved round after round so that drift hits all three alike:

* ``bare``: ``session.get(url)`` and ``defusedxml.ElementTree.fromstring`` on the body, the
  least any client can do; ``bare_no_env`` the same with ``trust_env = False``, as MakeHook's
  session is for a host no proxy may see (requests scans the environment twice a request);
* ``MakeHook``: ``hook.get_tracking(id)``, the whole pipeline (argument checks, deadline
  watchdog, capped streaming, strict parsing, the typed result);
* ``HttpHook``: the HTTP provider's ``HttpHook.run`` plus the same parse, what a user would
  write without this provider.

Prints the median time per call of each and the ratios to ``bare``.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import requests
from defusedxml import ElementTree

from bench.sandbox_process import sandbox_process
from tests.kinds import KindClient

ROUNDS = 15
CALLS = 100


def main() -> None:
    from airflow_provider_make.client.settings import ClientSettings

    with sandbox_process(speed=1000.0) as url:
        settings = ClientSettings("b@example.com", "pw", base_url=url)
        with KindClient(settings) as client:
            tracking_id = client.sms_plus("33612345678", "33687654321", "bench").id
        time.sleep(0.1)
        os.environ["AIRFLOW_CONN_MAKE_BENCH"] = json.dumps(
            {"conn_type": "make", "host": url, "login": "b@example.com", "password": "pw"}
        )
        os.environ["AIRFLOW_CONN_HTTP_BENCH"] = json.dumps({"conn_type": "http", "host": url})

        from airflow.providers.http.hooks.http import HttpHook

        from airflow_provider_make.hooks.make import MakeHook

        hook = MakeHook(make_conn_id="make_bench")
        http_hook = HttpHook(method="GET", http_conn_id="http_bench")
        session = requests.Session()
        quiet_session = requests.Session()
        quiet_session.trust_env = False  # what MakeHook does for a host no proxy may see
        bare_url = f"{url}apilog.php?id={tracking_id}"

        def bare() -> None:
            ElementTree.fromstring(session.get(bare_url, timeout=(10, 30)).content)

        def bare_no_env() -> None:
            ElementTree.fromstring(quiet_session.get(bare_url, timeout=(10, 30)).content)

        def make() -> None:
            hook.get_tracking(tracking_id)

        def http() -> None:
            ElementTree.fromstring(http_hook.run("apilog.php", data={"id": tracking_id}).content)

        calls = {"bare": bare, "bare_no_env": bare_no_env, "MakeHook": make, "HttpHook": http}
        runs: dict[str, list[float]] = {name: [] for name in calls}
        for call in calls.values():
            call()  # warm: connections, imports, the connection lookups
        for _ in range(ROUNDS):
            for name, call in calls.items():
                start = time.perf_counter()
                for _ in range(CALLS):
                    call()
                runs[name].append((time.perf_counter() - start) / CALLS)
    medians = {name: statistics.median(times) for name, times in runs.items()}
    print(f"tracking read, median of {ROUNDS} rounds of {CALLS} calls:")
    for name, value in medians.items():
        print(f"  {name:11} {value * 1e6:7.0f} us/call   {value / medians['bare']:.3f}x bare")
    hook = medians["MakeHook"]
    print(f"  ratio MakeHook / bare requests.Session + defusedxml = {hook / medians['bare']:.3f}x")
    print(f"  ratio MakeHook / bare session without the environment = {hook / medians['bare_no_env']:.3f}x")
    print(f"  ratio MakeHook / HttpHook = {hook / medians['HttpHook']:.3f}x")


if __name__ == "__main__":
    main()
