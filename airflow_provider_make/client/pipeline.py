"""The request pipeline's core: everything about one exchange that is not I/O.

Both drivers (:mod:`.sync_driver` over ``requests``, :mod:`.async_driver` over
``httpx``) run the same :class:`Exchange`. It asks for one of two things at a time,
:class:`Transmit` (send this call, before this deadline) or :class:`Wait` (back off),
and is handed back what happened: an :class:`Answer` (status, a few headers, the raw
body bytes, at most :data:`MAX_WIRE_BYTES` + 1 of them) or a :class:`Failure` (a
:class:`Cause` the driver named). Everything else happens here, once, for both:

* building the URL (the only place the password joins the query);
* classifying a failure: never reached the server, may have been accepted, or answered;
* the retry policy (``should_retry`` on the error; a send that may have been accepted is
  never repeated, spec decision 13) within one total deadline for the whole exchange;
* decoding the body (gzip or deflate, with a cap on the decoded size too) and reading it
  strictly (:mod:`.answers`);
* error messages scrubbed of every form of the password (spec decision 12).
"""

from __future__ import annotations

import enum
import logging
import time
import zlib
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from airflow_provider_make.client.answers import NOT_SENT_AGAIN, parse_fields
from airflow_provider_make.client.calls import ApiCall, encode
from airflow_provider_make.client.errors import MakeError, MakeTransportError, MakeValidationError
from airflow_provider_make.client.redaction import scrub, secret_forms
from airflow_provider_make.client.settings import ClientSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = "airflow-provider-make"
#: What both drivers accept; :func:`decode_body` undoes exactly these.
ACCEPT_ENCODING = "gzip, deflate"
#: How many times a request that never reached the server, or a read, is tried in all.
ATTEMPTS = 3
#: Seconds before the second attempt; doubled before each later one.
BACKOFF_SECONDS = 0.5
#: An answer is a handful of short fields: the cap on the bytes read from the wire, before
#: decompression, and on the decoded body. Past either, the answer is not the make API's.
MAX_WIRE_BYTES = 64 * 1024
MAX_ANSWER_BYTES = 64 * 1024
#: Web servers refuse request lines past 8 KiB (Apache's default is 8,190 bytes): a longer
#: URL is refused here, before it leaves, rather than reported as "may have been accepted".
MAX_URL_BYTES = 8000


class Cause(enum.Enum):
    """Why a transmission failed, as the driver saw it. The value is the message's words."""

    CONNECT = "could not connect to the API"
    CONNECT_TIMEOUT = "timed out connecting to the API"
    # A TLS failure can come after the request was written (urllib3 reports both the same
    # way), so it counts as "may have reached the API", in both drivers.
    TLS = "the TLS exchange with the API failed"
    READ_TIMEOUT = "the API did not answer in time"
    BROKEN = "the connection to the API broke before a whole answer arrived"
    DEADLINE = "the exchange took longer than its total deadline"
    OTHER = "the request could not be made"

    @property
    def reached(self) -> bool:
        """Whether the request may have reached the server (only a failed connect says no)."""
        return self not in (Cause.CONNECT, Cause.CONNECT_TIMEOUT)


@dataclass(frozen=True)
class Transmit:
    """Step: send ``call`` once, and give up at ``deadline`` (``time.monotonic()``)."""

    call: ApiCall[Any]
    deadline: float

    def read_timeout(self, settings: ClientSettings) -> float:
        """The per-read timeout, never past the deadline."""
        return max(0.001, min(settings.read_timeout, self.deadline - time.monotonic()))


@dataclass(frozen=True)
class Wait:
    """Step: sleep ``seconds`` before the next attempt."""

    seconds: float


@dataclass(frozen=True)
class Done(Generic[T]):
    """Step: the exchange is over, with this result."""

    value: T


@dataclass(frozen=True)
class Answer:
    """What the server answered: the status line, two headers, the raw (still encoded) body."""

    status: int
    reason: str
    content_encoding: str
    body: bytes


@dataclass(frozen=True)
class Failure:
    """A transmission that got no whole answer."""

    cause: Cause
    detail: str = ""  # the library's exception class name: never its message (it quotes the URL)


@dataclass
class BodyBuffer:
    """The raw body, read chunk by chunk, keeping at most ``MAX_WIRE_BYTES + 1`` bytes."""

    chunks: list[bytes] = field(default_factory=list)
    size: int = 0

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; True once over the cap (the driver stops reading then)."""
        self.chunks.append(chunk[: MAX_WIRE_BYTES + 1 - self.size])
        self.size += len(self.chunks[-1])
        return self.size > MAX_WIRE_BYTES

    def answer(self, status: int, reason: str, content_encoding: str | None) -> Answer:
        """The answer these bytes make with the response's status and headers."""
        return Answer(status, reason or "", (content_encoding or "").strip().lower(), b"".join(self.chunks))


def build_url(settings: ClientSettings, call: ApiCall[Any]) -> str:
    """The full URL of a call, credentials included. Keep it in a local variable only."""
    query = call.query
    if call.authenticated:
        # The login is an e-mail address; '@' stays as is, like the document's examples.
        credentials = (("login", encode(settings.login, safe="@")), ("pwd", encode(settings.password)))
        query = credentials + query
    path = settings.path_for(call.endpoint, call.default_path)
    return settings.base_url + path + "?" + "&".join(f"{k}={v}" for k, v in query)


def decode_body(body: bytes, content_encoding: str) -> bytes | None:
    """The decoded body, or None when it is over :data:`MAX_ANSWER_BYTES` once decoded.

    Raises ``ValueError`` for an encoding this client did not ask for, or broken data.
    """
    if content_encoding in ("", "identity"):
        return body
    if content_encoding not in ("gzip", "x-gzip", "deflate"):
        raise ValueError(content_encoding)
    # 47: a gzip or zlib header, detected; deflate servers send zlib data (RFC 9110).
    decoder = zlib.decompressobj(47 if content_encoding != "deflate" else 15)
    try:
        decoded = decoder.decompress(body, MAX_ANSWER_BYTES + 1)
    except zlib.error:
        raise ValueError(content_encoding) from None
    return None if len(decoded) > MAX_ANSWER_BYTES else decoded


class Exchange(Generic[T]):
    """One call's whole exchange, as steps for a driver: ``first()``, then ``next(outcome)``."""

    def __init__(self, call: ApiCall[T], settings: ClientSettings) -> None:
        self.call = call
        self.settings = settings
        self._steps = self._run()

    def first(self) -> Transmit | Wait | Done[T]:
        """The first step; raises a :class:`MakeError` instead when the call cannot be sent."""
        return self.next(None)

    def next(self, outcome: Answer | Failure | None) -> Transmit | Wait | Done[T]:
        """The step after ``outcome``; raises the exchange's :class:`MakeError` when it failed."""
        try:
            return self._steps.send(outcome)
        except StopIteration as finished:
            done: Done[T] = finished.value
            return done

    def _run(self) -> Generator[Transmit | Wait, Answer | Failure | None, Done[T]]:
        call, settings = self.call, self.settings
        size = len(build_url(settings, call).encode())  # its length only; the URL is not kept
        if size > MAX_URL_BYTES:
            raise MakeValidationError(
                f"{call.label}: the request would be a {size}-byte URL, over the {MAX_URL_BYTES} bytes web "
                "servers accept: shorten the text (or the lists) it carries",
                argument="arguments",
            )
        deadline = time.monotonic() + (settings.total_timeout or 0.0)  # always set: see ClientSettings
        delay = BACKOFF_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            outcome = yield Transmit(call, deadline)
            try:
                return Done(call.interpret(self._fields(outcome)))
            except MakeError as error:
                if not error.should_retry or attempt == ATTEMPTS or time.monotonic() + delay >= deadline:
                    raise
                log.warning("%s (attempt %d of %d); trying again in %.1f s", error, attempt, ATTEMPTS, delay)
            yield Wait(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _fields(self, outcome: Answer | Failure | None) -> dict[str, str]:
        """The answer's fields, or the transport error that says what went wrong."""
        label, spends = self.call.label, self.call.spends_credits
        if isinstance(outcome, Failure) or outcome is None:
            cause = outcome.cause if outcome is not None else Cause.OTHER
            reason = cause.value
            if cause is Cause.DEADLINE:
                reason += f" of {self.settings.total_timeout:g} s"
            if outcome is not None and outcome.detail and cause is Cause.OTHER:
                reason += f" ({outcome.detail})"
            raise self.failure(reason, reached=cause.reached)
        if outcome.status != 200:
            shown = scrub(outcome.reason, secret_forms(self.settings.password))
            shown = "".join(char for char in shown if char.isprintable())[:60]
            kind = ", a redirect, which is never followed" if 300 <= outcome.status < 400 else ""
            raise self.failure(f"the API answered HTTP {outcome.status} {shown}".strip() + kind, reached=True)
        if len(outcome.body) > MAX_WIRE_BYTES:
            raise self.failure(f"the answer is larger than {MAX_WIRE_BYTES} bytes", reached=True)
        try:
            body = decode_body(outcome.body, outcome.content_encoding)
        except ValueError:
            shown_encoding = outcome.content_encoding[:20]
            raise self.failure(
                f"the answer's encoding {shown_encoding!r} could not be decoded", True
            ) from None
        if body is None:
            raise self.failure(f"the answer is larger than {MAX_ANSWER_BYTES} bytes once decoded", True)
        return parse_fields(body, label=label, spends_credits=spends)

    def failure(self, reason: str, reached: bool) -> MakeTransportError:
        """A transport error whose message says what to do, scrubbed of the password."""
        maybe_sent = reached and self.call.spends_credits
        message = f"{self.call.label}: {reason} ({self.settings.base_url})"
        if maybe_sent:
            message += f"; {NOT_SENT_AGAIN}"
        return MakeTransportError(
            scrub(message, secret_forms(self.settings.password)), may_have_been_accepted=maybe_sent
        )
