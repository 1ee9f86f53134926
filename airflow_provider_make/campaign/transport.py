"""The campaign's HTTP transport: a lean driver of the request pipeline, for one event loop.

A campaign sends thousands of small GETs to one host over ``max_concurrency`` keep-alive
connections. Through ``httpx`` each costs about 1 ms of CPU the campaign does not need
(URL parsing and merging, cookies, auth and redirect hooks, anyio cancel scopes, the
pool's bookkeeping): more than everything else a send costs. :class:`CampaignTransport`
runs the same :func:`~airflow_provider_make.client.pipeline.exchange` as
:class:`~airflow_provider_make.client.async_driver.AsyncMakeClient` (the URL, the retry
policy, the caps on the body, its decoding, the scrubbed messages) over asyncio streams
and ``h11``, the HTTP/1.1 parser ``httpx`` itself uses, which also bounds the header
block (16 KiB). Every transmission runs under one timer: the per-read timeout, never
past the exchange's total deadline; the body is read into the pipeline's
:class:`~airflow_provider_make.client.pipeline.Answer`, which stops at its cap.

A campaign uses it where :func:`applies`: Python 3.11+ (``asyncio.timeout``), and no
proxy in the way (the connection may use one and the environment names one: then
``httpx``, which knows proxies, does the work).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from airflow_provider_make.client import pipeline
from airflow_provider_make.client.pipeline import Answer, Cause, Failure, Transmit
from airflow_provider_make.client.redaction import guard_http_loggers

if TYPE_CHECKING:
    import h11

    from airflow_provider_make.client.calls import ApiCall
    from airflow_provider_make.client.settings import ClientSettings

T = TypeVar("T")
#: Bytes asked of the socket per read (an answer is a few hundred).
READ_BYTES = 64 * 1024
#: A keep-alive connection idle longer than this is closed rather than reused, when the
#: server did not say how long it keeps one (``Keep-Alive: timeout=N``): a request written
#: into a connection the server is closing would be of unknown fate.
MAX_IDLE_SECONDS = 2.0
#: Seconds taken off the server's ``Keep-Alive: timeout`` (clocks and the network differ).
IDLE_MARGIN = 1.0


def keep_alive_seconds(headers: list[tuple[bytes, bytes]]) -> float:
    """How long the connection may stay idle: the server's ``Keep-Alive: timeout`` less a margin."""
    for name, value in headers:
        if name == b"keep-alive":
            for part in value.split(b","):
                key, _, number = part.strip().partition(b"=")
                if key.strip().lower() == b"timeout" and number.strip().isdigit():
                    return max(0.0, int(number) - IDLE_MARGIN)
    return MAX_IDLE_SECONDS


class _Connection:
    __slots__ = ("idle_since", "max_idle", "protocol", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: h11.Connection):
        self.reader = reader
        self.writer = writer
        self.protocol = protocol
        self.idle_since = 0.0
        self.max_idle = MAX_IDLE_SECONDS

    def reusable(self, now: float) -> bool:
        return (
            now - self.idle_since < self.max_idle
            and not self.writer.is_closing()
            and not self.reader.at_eof()
            and not getattr(self.reader, "_buffer", b"")  # bytes nobody asked for: the server is confused
        )

    def close(self) -> None:
        self.writer.close()


class _Phase:
    CONNECT, HANDSHAKE, WRITE, READ = 0, 1, 2, 3


class CampaignTransport:
    """``await request(call)`` over the loop's own keep-alive connections to the API's host.

    It holds at most as many connections as requests were in flight at once (the
    campaign bounds those). Call :meth:`aclose` before the loop ends.
    """

    def __init__(self, settings: ClientSettings) -> None:
        import h11
        import httpx

        self.settings = settings
        guard_http_loggers(settings.password)
        self._h11 = h11
        parts = urlsplit(settings.base_url)
        self._tls = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._tls else 80)
        self._base_length = len(settings.base_url)
        self._base_path = parts.path or "/"
        self._headers = [
            ("Host", parts.netloc.rpartition("@")[2]),
            ("User-Agent", pipeline.USER_AGENT),
            ("Accept-Encoding", pipeline.ACCEPT_ENCODING),
        ]
        # Trust as httpx's clients do (certifi, and SSL_CERT_FILE when the environment counts).
        self._context = httpx.create_ssl_context(trust_env=settings.may_use_proxy) if self._tls else None
        self._idle: list[_Connection] = []

    def __repr__(self) -> str:
        return f"CampaignTransport({self.settings!r})"

    async def request(self, call: ApiCall[T]) -> T:
        """Run ``call``'s exchange; its result, or the :class:`MakeError` that says why not."""
        return await pipeline.adrive(call, self.settings, self._transmit)

    async def aclose(self) -> None:
        """Close the idle connections."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def _connect(self, phase: list[int]) -> _Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port, limit=READ_BYTES)
        if self._context is not None:
            phase[0] = _Phase.HANDSHAKE  # a failure from here on is a TLS failure, as httpx says
            try:
                await writer.start_tls(self._context, server_hostname=self._host)  # type: ignore[attr-defined,unused-ignore]
            except BaseException:
                writer.close()
                raise
        return _Connection(reader, writer, self._h11.Connection(self._h11.CLIENT))

    async def _transmit(self, step: Transmit) -> Answer | Failure:
        h11 = self._h11
        remaining = step.deadline - time.monotonic()  # above 0: pipeline.adrive checked
        loop = asyncio.get_running_loop()
        deadline = loop.time() + remaining
        read_timeout = step.read_timeout(self.settings)
        url = pipeline.build_url(self.settings, step.call)
        connection: _Connection | None = None
        phases = [_Phase.CONNECT]
        reusable = False
        try:
            async with asyncio.timeout_at(deadline) as timer:  # type: ignore[attr-defined,unused-ignore]
                now = loop.time()
                while self._idle and connection is None:
                    connection = self._idle.pop()
                    if not connection.reusable(now):
                        connection.close()
                        connection = None
                if connection is None:
                    timer.reschedule(min(deadline, now + self.settings.connect_timeout))
                    connection = await self._connect(phases)
                phases[0] = _Phase.WRITE
                timer.reschedule(min(deadline, loop.time() + read_timeout))
                protocol = connection.protocol
                target = self._base_path + url[self._base_length :]
                connection.writer.write(
                    protocol.send(h11.Request(method="GET", target=target, headers=self._headers))
                    + protocol.send(h11.EndOfMessage())
                )
                target = url = ""
                phases[0] = _Phase.READ
                answer: Answer | None = None
                while True:
                    event = protocol.next_event()
                    if event is h11.NEED_DATA:
                        data = await connection.reader.read(READ_BYTES)
                        timer.reschedule(min(deadline, loop.time() + read_timeout))
                        protocol.receive_data(data)
                    elif isinstance(event, h11.Response):
                        encodings = [value for name, value in event.headers if name == b"content-encoding"]
                        encoding = b", ".join(encodings).decode("latin-1") if encodings else None
                        answer = Answer(event.status_code, event.reason.decode("latin-1"), encoding)
                        connection.max_idle = keep_alive_seconds(event.headers)
                    elif isinstance(event, h11.Data) and answer is not None:
                        if answer.add(event.data):
                            break  # over the cap: the pipeline says so; the connection is dropped
                    elif isinstance(event, h11.EndOfMessage):
                        # Bytes past the answer's end (a second answer nobody asked for) would be
                        # read as the next request's answer: such a connection is dropped.
                        done = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
                        reusable = done and not protocol.trailing_data[0]
                        break
                    elif not isinstance(event, h11.InformationalResponse):
                        raise h11.RemoteProtocolError("the connection closed before a whole answer")
            assert answer is not None  # h11 gives the response before any data or its end
            return answer
        except TimeoutError:
            if loop.time() >= deadline:
                return Failure(Cause.DEADLINE, written=phases[0] >= _Phase.WRITE)
            connecting = phases[0] in (_Phase.CONNECT, _Phase.HANDSHAKE)
            return Failure(
                Cause.CONNECT_TIMEOUT if connecting else Cause.READ_TIMEOUT, written=not connecting
            )
        except Exception as exc:  # noqa: BLE001 - every failure is a Failure; only its class name is kept
            return pipeline.failure_of(exc, _cause(exc, phases[0]), written=phases[0] >= _Phase.WRITE)
        finally:
            url = target = ""  # even a cancellation must not leave the URL in a traceback frame
            if connection is not None:
                if reusable:
                    connection.protocol.start_next_cycle()
                    connection.idle_since = loop.time()
                    self._idle.append(connection)
                else:
                    connection.close()


def _cause(exc: Exception, phase: int) -> Cause:
    """What an exception of the transport says happened (TLS: pipeline.failure_of, as in every driver)."""
    if phase == _Phase.HANDSHAKE:
        return Cause.TLS
    if phase == _Phase.CONNECT:
        return Cause.CONNECT if isinstance(exc, OSError) else Cause.OTHER
    import h11

    if isinstance(exc, (OSError, h11.RemoteProtocolError, asyncio.IncompleteReadError)):
        return Cause.BROKEN
    return Cause.OTHER


def applies(settings: ClientSettings) -> bool:
    """Whether :class:`CampaignTransport` can carry this connection's requests."""
    if sys.version_info < (3, 11):
        return False  # asyncio.timeout
    if urlsplit(settings.base_url).scheme not in ("http", "https"):
        return False
    return not settings.proxy_named  # httpx knows proxies (and NO_PROXY)
