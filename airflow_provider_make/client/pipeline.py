"""The request pipeline's core: everything about one exchange that is not I/O.

The drivers (:mod:`.sync_driver` over ``requests``, :mod:`.async_driver` over ``httpx``, a
campaign's over ``h11``) run :func:`exchange` through :func:`drive` or :func:`adrive` with
their ``transmit``. All else is here, once: the URL (the only place the password joins the
query), the pause and deadline around each try, whether a failure may have reached the
server, retries never of a send that may have been accepted (spec decision 13), the capped
decoding, messages scrubbed of the password (spec decision 12), and the timer of each
exchange (``make.api.duration``: :mod:`~airflow_provider_make.monitoring.metrics`).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from airflow_provider_make.client.answers import parse_fields, unknown_fate
from airflow_provider_make.client.calls import ApiCall, encode
from airflow_provider_make.client.errors import Action, MakeTransportError, MakeValidationError, action_of
from airflow_provider_make.client.redaction import scrub, secret_forms
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.monitoring import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = "airflow-provider-make"
ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": 47, "x-gzip": 47, "deflate": 15}  # 47: a gzip or zlib header; deflate is zlib (RFC 9110)
#: Tries in all of a read or of a request that never reached the server; the first retry
#: waits BACKOFF_SECONDS, each later one twice as long.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
#: An answer is a handful of short fields: the cap on the bytes read from the wire, before
#: decompression, and on the decoded body. Past it, the answer is not the make API's.
MAX_ANSWER_BYTES = 64 * 1024
#: Web servers refuse request lines past 8 KiB (Apache's default is 8,190 bytes): a longer
#: URL is refused here, before it leaves, rather than reported as "may have been accepted".
MAX_URL_BYTES = 8000


class Cause(enum.Enum):
    """Why a transmission failed, as the driver saw it. The value is the message's words."""

    CONNECT = "could not connect to the API"
    CONNECT_TIMEOUT = "timed out connecting to the API"
    # Nothing is written before the TLS handshake completes: a failed handshake sent nothing.
    TLS_HANDSHAKE = "the TLS handshake with the API failed"
    TLS = "the TLS connection to the API failed after the request was written"
    READ_TIMEOUT = "the API did not answer in time"
    BROKEN = "the connection to the API broke before a whole answer arrived"
    DEADLINE = "the exchange took longer than its total deadline"
    OTHER = "the request could not be made"

    @property
    def reached(self) -> bool:
        """Whether the request may have reached the server (no: a failed connect or handshake)."""
        return self not in (Cause.CONNECT, Cause.CONNECT_TIMEOUT, Cause.TLS_HANDSHAKE)


@dataclass(frozen=True)
class Transmit:
    """Step: sleep ``wait`` seconds, then send ``call`` once, giving up at ``deadline`` (monotonic)."""

    call: ApiCall[Any]
    wait: float
    deadline: float

    def read_timeout(self, settings: ClientSettings) -> float:
        """The per-read timeout, never past the deadline."""
        return max(0.001, min(settings.read_timeout, self.deadline - time.monotonic()))


@dataclass(frozen=True)
class Done(Generic[T]):
    """Step: the exchange is over, with this result."""

    value: T


@dataclass
class Answer:
    """What the server answered: the status line, a header, and the raw body, read by :meth:`add`."""

    status: int
    reason: str | None
    content_encoding: str | None
    body: bytes = b""

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk`` up to ``MAX_ANSWER_BYTES + 1`` bytes in all; True once over (stop reading)."""
        self.body += chunk[: MAX_ANSWER_BYTES + 1 - len(self.body)]
        return len(self.body) > MAX_ANSWER_BYTES


@dataclass(frozen=True)
class Failure:
    """A transmission that got no whole answer; ``written``: False only when surely nothing was."""

    cause: Cause
    detail: str = ""  # the library's exception class name: never its message (it quotes the URL)
    written: bool = True


def failure_of(exc: BaseException, cause: Cause, *, written: bool) -> Failure:
    """A driver's exception as a :class:`Failure`, TLS read the same way by every driver.

    ``cause`` is what the driver's library says happened: one that never reached the server
    wrote nothing. An ``ssl.SSLError`` beneath ``exc`` (HTTP libraries wrap it in their own
    classes) makes it TLS: a failed handshake when nothing was written (retrying is safe),
    else a broken TLS connection (the request may have been accepted).
    """
    import ssl

    tls: BaseException | None = exc
    while tls is not None and not isinstance(tls, ssl.SSLError):
        tls = tls.__cause__ or tls.__context__
    written = written and cause.reached
    if cause in (Cause.TLS, Cause.TLS_HANDSHAKE) or tls is not None:
        cause = Cause.TLS if written else Cause.TLS_HANDSHAKE
    return Failure(cause, type(exc).__name__, written=written)


def drive(call: ApiCall[T], settings: ClientSettings, transmit: Callable[[Transmit], Answer | Failure]) -> T:
    """Run ``call``'s exchange with a blocking ``transmit``: its result, or its :class:`MakeError`."""
    steps = exchange(call, settings)
    step = next(steps)  # a call refused before it leaves raises here: no exchange to time
    started = time.monotonic()
    try:
        while isinstance(step, Transmit):
            if step.wait:
                time.sleep(step.wait)
            step = steps.send(_past_deadline(step) or transmit(step))
        return step.value
    finally:
        metrics.api_exchange(call.endpoint, time.monotonic() - started)


async def adrive(
    call: ApiCall[T], settings: ClientSettings, transmit: Callable[[Transmit], Awaitable[Answer | Failure]]
) -> T:
    """:func:`drive` for an event loop: ``await transmit(step)`` carries each transmission."""
    steps = exchange(call, settings)
    step = next(steps)
    started = time.monotonic()
    try:
        while isinstance(step, Transmit):
            if step.wait:
                await asyncio.sleep(step.wait)
            step = steps.send(_past_deadline(step) or await transmit(step))
        return step.value
    finally:
        metrics.api_exchange(call.endpoint, time.monotonic() - started)


def _past_deadline(step: Transmit) -> Failure | None:
    """The failure of a transmission whose deadline passed before it started (nothing written)."""
    return Failure(Cause.DEADLINE, written=False) if step.deadline <= time.monotonic() else None


def build_url(settings: ClientSettings, call: ApiCall[Any]) -> str:
    """The full URL of a call, credentials included. Keep it in a local variable only."""
    query = call.query
    if call.authenticated:
        # The login is an e-mail address; '@' stays as is, like the document's examples.
        query = (("login", encode(settings.login, safe="@")), ("pwd", encode(settings.password)), *query)
    path = settings.path_for(call.endpoint, call.default_path)
    return settings.base_url + path + "?" + "&".join(f"{k}={v}" for k, v in query)


def exchange(
    call: ApiCall[T], settings: ClientSettings
) -> Generator[Transmit | Done[T], Answer | Failure, None]:
    """One call's whole exchange, as steps; raises its :class:`MakeError` (even before the first step)."""
    size = len(build_url(settings, call).encode())  # its length only; the URL is not kept
    if size > MAX_URL_BYTES:
        raise MakeValidationError(
            f"{call.label}: the request would be a {size}-byte URL, over the {MAX_URL_BYTES} bytes web "
            "servers accept: shorten the text (or the lists) it carries",
            argument="arguments",
        )
    deadline = time.monotonic() + (settings.total_timeout or 0.0)  # always set: see ClientSettings
    wait = 0.0
    for attempt in range(1, ATTEMPTS + 1):
        outcome = yield Transmit(call, wait, deadline)
        try:
            result = call.interpret(_fields(call, settings, outcome))
        except MakeTransportError as error:  # the exchange's own failures; the API's answers are final
            wait = wait * 2 or BACKOFF_SECONDS
            late = attempt == ATTEMPTS or time.monotonic() + wait >= deadline
            if late or action_of(error) is not Action.RETRY:
                raise
            log.warning("%s (attempt %d of %d); trying again in %.1f s", error, attempt, ATTEMPTS, wait)
        else:
            yield Done(result)


def _fields(call: ApiCall[Any], settings: ClientSettings, outcome: Answer | Failure) -> dict[str, str]:
    """The answer's fields, or the transport error that says what went wrong."""
    if isinstance(outcome, Failure):
        reason = outcome.cause.value
        if outcome.cause is Cause.DEADLINE:
            reason += f" of {settings.total_timeout:g} s"
        elif outcome.cause is Cause.OTHER and outcome.detail:
            reason += f" ({outcome.detail})"
        raise _failure(call, settings, reason, reached=outcome.written and outcome.cause.reached)
    if outcome.status != 200:
        shown = scrub(outcome.reason or "", secret_forms(settings.password))
        shown = "".join(char for char in shown if char.isprintable())[:60]
        kind = ", a redirect, which is never followed" if 300 <= outcome.status < 400 else ""
        raise _failure(call, settings, f"the API answered HTTP {outcome.status} {shown}".strip() + kind)
    if len(outcome.body) > MAX_ANSWER_BYTES:
        raise _failure(call, settings, f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
    body, encoding = outcome.body, (outcome.content_encoding or "").strip().lower()
    if encoding not in ("", "identity"):
        try:  # only what ACCEPT_ENCODING asked for
            body = zlib.decompressobj(_WBITS[encoding]).decompress(body, MAX_ANSWER_BYTES + 1)
        except (KeyError, zlib.error):
            why = f"the answer's encoding {encoding[:20]!r} could not be decoded"
            raise _failure(call, settings, why) from None
    if len(body) > MAX_ANSWER_BYTES:
        raise _failure(call, settings, f"the answer is larger than {MAX_ANSWER_BYTES} bytes once decoded")
    return parse_fields(body, label=call.label, spends_credits=call.spends_credits)


def _failure(
    call: ApiCall[Any], settings: ClientSettings, why: str, reached: bool = True
) -> MakeTransportError:
    """A transport error whose message says what to do, scrubbed of the password."""
    message = scrub(f"{call.label}: {why} ({settings.base_url})", secret_forms(settings.password))
    return unknown_fate(message, spends_credits=reached and call.spends_credits)
