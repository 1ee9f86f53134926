"""Many concurrent tracking pollers: the loop's shared httpx.AsyncClient vs one client per poll."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import httpx

from airflow_provider_make.client.async_transport import AsyncMakeClient, shared_async_client
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.kinds import KindClient

POLLERS = 200
POLLS = 3


async def _poll_shared(settings: ClientSettings, tracking_id: str) -> None:
    client = AsyncMakeClient(settings)  # uses shared_async_client()
    for _ in range(POLLS):
        await client.get_tracking(tracking_id)


async def _poll_new_each(settings: ClientSettings, tracking_id: str) -> None:
    for _ in range(POLLS):
        async with httpx.AsyncClient() as http:
            await AsyncMakeClient(settings, http).get_tracking(tracking_id)


async def _run(poller, settings: ClientSettings, tracking_id: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    start = time.perf_counter()
    await asyncio.gather(*(poller(settings, tracking_id) for _ in range(POLLERS)))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


async def _main(settings: ClientSettings, tracking_id: str) -> None:
    await AsyncMakeClient(settings).get_tracking(tracking_id)  # warm the shared client
    base_time, base_peak = await _run(_poll_new_each, settings, tracking_id)
    shared_time, shared_peak = await _run(_poll_shared, settings, tracking_id)
    await shared_async_client().aclose()
    print(
        f"{POLLERS} pollers x {POLLS} polls: new client per poll {base_time * 1000:.0f} ms / "
        f"{base_peak / 1e6:.1f} MB peak, "
        f"shared client {shared_time * 1000:.0f} ms / {shared_peak / 1e6:.1f} MB peak"
    )
    print(
        f"  ratio shared / new-per-poll: time {shared_time / base_time:.2f}x, "
        f"peak memory {shared_peak / base_peak:.2f}x"
    )


def main() -> None:
    with SandboxServer(port=0, speed=1000.0, accounts=[Account("b@example.com", "pw", 1000)]) as server:
        settings = ClientSettings("b@example.com", "pw", base_url=server.url)
        with KindClient(settings) as client:
            tracking_id = client.sms_plus("33612345678", "33687654321", "bench").id
        time.sleep(0.05)
        asyncio.run(_main(settings, tracking_id))


if __name__ == "__main__":
    main()
