"""The asynchronous side of the client, for the triggerer and ``async_notify``.

A triggerer runs thousands of triggers in one event loop, so nothing here blocks the
loop, and every caller on a loop shares one ``httpx.AsyncClient`` (one connection pool,
one TLS context) instead of building a client per poll.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import MakeTransportError
from airflow_provider_make.client.parsing import parse_fields
from airflow_provider_make.client.redaction import guard_http_loggers
from airflow_provider_make.client.responses import SendResult, send_result
from airflow_provider_make.client.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from airflow_provider_make.client.tracking import AnyTracking, parse_tracking
from airflow_provider_make.client.transport import (
    ATTEMPTS,
    BACKOFF_SECONDS,
    USER_AGENT,
    build_url,
    describe_failure,
)

if TYPE_CHECKING:
    import httpx

    from airflow_provider_make.client.calls import ApiCall
    from airflow_provider_make.client.settings import ClientSettings

_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def shared_async_client() -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` of the running event loop, created on first use."""
    import httpx

    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            # Plain http:// is only allowed to loopback (spec decision 12): never through a proxy.
            mounts={f"all://{host}": None for host in ("127.0.0.1", "localhost", "[::1]")},
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT),
            follow_redirects=False,
        )
        _CLIENTS[loop] = client
    return client


class AsyncMakeClient:
    """The reads and makeSms+ over ``httpx``; same validation, parsing and errors as the sync client."""

    def __init__(self, settings: ClientSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client
        guard_http_loggers()

    def __repr__(self) -> str:
        return f"AsyncMakeClient({self.settings!r})"

    async def get_tracking(self, tracking_id: str) -> AnyTracking:
        """The tracking log of a request (raises on 112 "too early" and 110 "unknown")."""
        return parse_tracking(await self._exchange(calls.tracking(tracking_id)))

    async def sms_plus(
        self,
        sender: str,
        recipient: str,
        message: str,
        *,
        delay_seconds: int | None = None,
        transliterate: bool = False,
    ) -> SendResult:
        """makeSms+, for notifiers that run in an event loop."""
        region = self.settings.default_region
        call = calls.sms_plus(sender, recipient, message, delay_seconds, region, transliterate)
        assert call.kind is not None
        return send_result(call.kind, await self._exchange(call))

    async def _exchange(self, call: ApiCall) -> dict[str, str]:
        delay = BACKOFF_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            error, fields = await self._attempt(call)
            if error is None:
                return fields
            if attempt == ATTEMPTS or error.may_have_been_accepted:
                raise error
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    async def _attempt(self, call: ApiCall) -> tuple[MakeTransportError | None, dict[str, str]]:
        import httpx

        client = self._client or shared_async_client()
        url = build_url(self.settings, call)
        timeout = httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        failure: MakeTransportError | None = None
        try:
            response = await client.get(url, timeout=timeout)
        except httpx.HTTPError as exc:
            never_reached = isinstance(
                exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)
            )
            reasons: dict[type[httpx.HTTPError], str] = {
                httpx.ConnectError: "could not connect to the API",
                httpx.ConnectTimeout: "timed out connecting to the API",
                httpx.ReadTimeout: "the API did not answer in time",
            }
            reason = reasons.get(type(exc), f"the exchange with the API failed ({type(exc).__name__})")
            failure = describe_failure(call, self.settings, reason, reached=not never_reached)
        except Exception as exc:  # noqa: BLE001 - e.g. httpx.InvalidURL, whose message quotes the URL
            reason = f"the request could not be made ({type(exc).__name__})"
            failure = describe_failure(call, self.settings, reason, reached=True)
        finally:
            url = ""  # even a cancellation must not leave the URL in a traceback frame
        if failure is not None:
            return failure, {}
        if response.status_code != 200:
            reason = f"the API answered HTTP {response.status_code} {response.reason_phrase}".strip()
            return describe_failure(call, self.settings, reason, reached=True), {}
        try:
            fields = parse_fields(
                response.content,
                label=call.label,
                content_type=response.headers.get("Content-Type", ""),
                spends_credits=call.spends_credits,
            )
        except MakeTransportError as garbled:  # a read's garbled answer is worth one more try
            return garbled, {}
        return None, fields
