"""The asynchronous driver: moves the pipeline's bytes over ``httpx``, for the triggerer.

A triggerer runs thousands of waits in one event loop, so every caller on a loop shares
one :class:`_LoopPool`: a few small HTTP clients, and a semaphore that keeps the requests
in flight below their connections. httpcore's pool scans every queued request against
every connection, so a thousand requests queued inside it cost CPU quadratic in their
number; queued on the semaphore, each costs the same. The total deadline is the event
loop's own: the transmission is cancelled when it passes, whatever the server trickles.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from airflow_provider_make.client import pipeline
from airflow_provider_make.client.pipeline import Answer, Cause, Failure, Transmit
from airflow_provider_make.client.redaction import guard_http_loggers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from airflow_provider_make.client.calls import ApiCall
    from airflow_provider_make.client.settings import ClientSettings

T = TypeVar("T")
#: Requests in flight at once on one event loop (a campaign's loop may ask for more).
#: 16 polls in flight serve 1,000 waits polling every 10 s across a 150 ms round trip.
MAX_IN_FLIGHT = 16
#: Connections per ``httpx.AsyncClient``: httpcore's pool re-checks every connection against
#: every other on each request, so the loop's are spread over several small clients.
SHARD_SIZE = 4


@dataclass
class _Shard:
    client: httpx.AsyncClient
    busy: int = 0


class _LoopPool:
    """What every client on one event loop shares: the in-flight bound and the HTTP clients."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.slots = asyncio.Semaphore(size)
        self.shards: dict[bool, list[_Shard]] = {}  # by "may use a proxy"

    @contextlib.asynccontextmanager
    async def lease(self, may_use_proxy: bool) -> AsyncIterator[httpx.AsyncClient]:
        """A client with a free connection, once one of the loop's slots is free."""
        async with self.slots:
            shard = min(self._shards(may_use_proxy), key=lambda candidate: candidate.busy)
            shard.busy += 1
            try:
                yield shard.client
            finally:
                shard.busy -= 1

    def _shards(self, may_use_proxy: bool) -> list[_Shard]:
        shards = self.shards.setdefault(may_use_proxy, [])
        shards[:] = [shard for shard in shards if not shard.client.is_closed]
        if len(shards) * SHARD_SIZE < self.size:
            import httpx

            tls = httpx.create_ssl_context(trust_env=may_use_proxy)  # one for all: ~30 ms each
            headers = {"User-Agent": pipeline.USER_AGENT, "Accept-Encoding": pipeline.ACCEPT_ENCODING}
            limits = httpx.Limits(max_connections=SHARD_SIZE, max_keepalive_connections=SHARD_SIZE)
            while len(shards) * SHARD_SIZE < self.size:
                # trust_env: the one proxy policy, ClientSettings.may_use_proxy
                client = httpx.AsyncClient(
                    verify=tls, trust_env=may_use_proxy, headers=headers, limits=limits
                )
                shards.append(_Shard(client))
        return shards

    async def aclose(self) -> None:
        """Close every client (a loop that ends can call this; the next use opens new ones)."""
        for shards in self.shards.values():
            for shard in shards:
                await shard.client.aclose()
        self.shards.clear()


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopPool] = weakref.WeakKeyDictionary()


def loop_pool(max_in_flight: int = MAX_IN_FLIGHT) -> _LoopPool:
    """The running event loop's pool, made by the first call (a campaign's loop asks for more slots)."""
    loop = asyncio.get_running_loop()
    if (pool := _POOLS.get(loop)) is None:
        pool = _POOLS[loop] = _LoopPool(max_in_flight)
    return pool


class AsyncMakeClient:
    """The asynchronous driver: ``await request(call)`` returns the call's result."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        guard_http_loggers(settings.password)

    async def request(self, call: ApiCall[T]) -> T:
        """Run ``call``'s exchange; its result, or the :class:`MakeError` that says why not."""
        return await pipeline.adrive(call, self.settings, self._transmit)

    async def _transmit(self, step: Transmit) -> Answer | Failure:
        import httpx

        timeout = httpx.Timeout(step.read_timeout(self.settings), connect=self.settings.connect_timeout)
        url = pipeline.build_url(self.settings, step.call)
        leased = False  # a client of the pool was leased and given the request

        async def fetch() -> Answer:
            nonlocal leased
            async with loop_pool().lease(self.settings.may_use_proxy) as client:
                leased = True
                async with client.stream("GET", url, timeout=timeout) as reply:
                    # The reason phrase as sent, read as latin-1 like the other drivers (httpx's
                    # own reading drops every non-ASCII byte, which scrubbing cannot know).
                    reason = bytes(reply.extensions.get("reason_phrase", b"")).decode("latin-1")
                    answer = Answer(reply.status_code, reason, reply.headers.get("Content-Encoding"))
                    async for chunk in reply.aiter_raw():
                        if answer.add(chunk):
                            break
                    return answer

        try:
            return await asyncio.wait_for(fetch(), step.deadline - time.monotonic())
        except Exception as exc:  # noqa: BLE001 - any: e.g. httpx.InvalidURL's message quotes the URL
            return pipeline.failure_of(exc, _cause(exc), written=leased)
        except BaseException as exc:  # noqa: BLE001 - re-raised, without the frames below (URL in locals)
            raise exc.with_traceback(None) from None
        finally:
            url = ""


def _cause(exc: Exception) -> Cause:
    """What an exception says happened (``wait_for``'s timeout: the deadline). httpx raises the
    errors of connecting (its TLS handshake included), a proxy's refusal, a pool timeout and a URL
    it cannot send before writing the request: as a failed connect, they sent nothing."""
    import httpx

    if isinstance(exc, asyncio.TimeoutError):
        return Cause.DEADLINE
    if isinstance(exc, httpx.ConnectTimeout):
        return Cause.CONNECT_TIMEOUT
    if isinstance(exc, (httpx.ConnectError, httpx.ProxyError, httpx.PoolTimeout)):
        return Cause.CONNECT
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return Cause.CONNECT
    if isinstance(exc, httpx.ReadTimeout):
        return Cause.READ_TIMEOUT
    if isinstance(exc, (httpx.TransportError, httpx.DecodingError)):
        return Cause.BROKEN
    return Cause.OTHER
