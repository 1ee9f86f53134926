"""A local stand-in for the make API v1.7 (makesms.fr), for tests and demo DAGs.

Every request of the vendor's document is answered the way the real service answers
it (same paths, same XML, same result codes, HTTP 200 even for ``failed``), against
accounts and balances held in memory, on a simulated clock that can run faster than
real time. Nothing is rung or sent and no credit is spent. The ``/_sandbox/`` control
endpoints let a test inspect the requests received, reset the state, manage accounts,
move the clock and queue faults.

Start it in-process::

    from airflow_provider_make.sandbox import Account, SandboxServer

    with SandboxServer(port=0, speed=100.0, accounts=[Account("a@b.c", "pw", 100)]) as server:
        server.url  # "http://127.0.0.1:PORT/"

or from a shell: ``python -m airflow_provider_make.sandbox --port 0``.

The package uses the standard library only (and the project's GSM alphabet), never
Airflow, so it imports quickly and can run anywhere the tests run.
"""

from __future__ import annotations

from .server import SandboxServer
from .state import Account

__all__ = ["Account", "SandboxServer"]
