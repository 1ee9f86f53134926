"""Sending :class:`ApiCall` objects over HTTP, with one reused ``requests.Session``.

This is the only module where a URL carrying the password exists, and only as a local
variable. Transport failures are re-raised as :class:`MakeTransportError` with a message
built here, outside the ``except`` block, so that neither the text nor the chained
exception of ``requests`` (both carry the URL) can reach a log or a traceback.

Retries (the standard's "side effects happen once"): a request that never reached the
server (refused connection, DNS failure, connect timeout, TLS handshake failure) is safe
to try again, sends included. Anything that may have reached the server is retried only
for the reads (tracking, credits); a send that may have been accepted is never repeated.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import MakeTransportError
from airflow_provider_make.client.parsing import parse_fields
from airflow_provider_make.client.redaction import guard_http_loggers, scrub, secret_forms
from airflow_provider_make.client.responses import SendResult, credits_balance, send_result
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.tracking import AnyTracking, parse_tracking

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import requests

    from airflow_provider_make.client.calls import ApiCall

log = logging.getLogger(__name__)

USER_AGENT = "airflow-provider-make"
#: How many times a request that never reached the server, or a read, is tried in all.
ATTEMPTS = 3
#: Seconds before the second attempt; doubled before each later one.
BACKOFF_SECONDS = 0.5


def build_url(settings: ClientSettings, call: ApiCall) -> str:
    """The full URL of a call, credentials included. Keep it in a local variable only."""
    query = call.query
    if call.authenticated:
        # The login is an e-mail address; '@' stays as is, like the document's examples.
        login = calls.encode(settings.login, safe="@")
        credentials = (("login", login), ("pwd", calls.encode(settings.password)))
        query = credentials + query
    path = settings.path_for(call.endpoint, call.default_path)
    return settings.base_url + path + "?" + "&".join(f"{k}={v}" for k, v in query)


def describe_failure(
    call: ApiCall, settings: ClientSettings, reason: str, reached: bool
) -> MakeTransportError:
    """A transport error whose message says what to do, scrubbed of the password."""
    where = settings.base_url
    maybe_sent = reached and call.spends_credits
    message = f"{call.label}: {reason} ({where})"
    if maybe_sent:
        message += (
            "; the request may have reached the API and been accepted, so it is not sent again: "
            "check the account's history on makesms.fr before running the task again"
        )
    return MakeTransportError(
        scrub(message, secret_forms(settings.password)), may_have_been_accepted=maybe_sent
    )


class MakeClient:
    """A synchronous client for the whole make API v1.7.

    Every method validates its arguments before anything is sent, and raises a
    :class:`~airflow_provider_make.client.errors.MakeError` subclass on failure.
    """

    def __init__(self, settings: ClientSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self._session = session
        # Plain http:// is only allowed to loopback (spec decision 12): never through a proxy.
        # (requests' stubs want str values; None is its documented way to switch a proxy off.)
        self._proxies: Any = {"http": None, "https": None} if settings.is_loopback else None
        guard_http_loggers()

    def __repr__(self) -> str:
        return f"MakeClient({self.settings!r})"

    @property
    def session(self) -> requests.Session:
        """One session for the client's life: connections and TLS are reused."""
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            session.trust_env = True
            self._session = session
        return self._session

    def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> MakeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the API

    def ring(self, caller: str, callee: str, *, delay_seconds: int | None = None) -> SendResult:
        """makeRing: make ``callee``'s phone ring, showing ``caller``."""
        return self._send(calls.ring(caller, callee, delay_seconds, self.settings.default_region))

    def ring_plus(self, pairs: Iterable[Sequence[str]], *, delay_seconds: int | None = None) -> SendResult:
        """makeRing+: 2 to 10 makeRings in one request."""
        return self._send(calls.ring_plus(pairs, delay_seconds, self.settings.default_region))

    def ringun(
        self, prefix: str, caller: str, callees: Iterable[str], *, delay_seconds: int | None = None
    ) -> SendResult:
        """makeRingun: ring 1 to 100 national numbers of one country from one caller."""
        return self._send(calls.ringun(prefix, caller, callees, delay_seconds))

    def call(self, caller: str, callee: str, *, delay_seconds: int | None = None) -> SendResult:
        """makeCall: ring ``callee``, then bridge ``caller`` in once the callee answers."""
        return self._send(calls.call(caller, callee, delay_seconds, self.settings.default_region))

    def call_plus(
        self,
        caller: str,
        callee: str,
        *,
        max_duration_minutes: int,
        recording_notice: bool,
        delay_seconds: int | None = None,
    ) -> SendResult:
        """makeCall+: a recorded makeCall of at most ``max_duration_minutes`` (1..10)."""
        region = self.settings.default_region
        return self._send(
            calls.call_plus(caller, callee, max_duration_minutes, recording_notice, delay_seconds, region)
        )

    def sms(
        self, sender: str, recipient: str, catalog_code: str | int, *, delay_seconds: int | None = None
    ) -> SendResult:
        """makeSms: send the message ``catalog_code`` of the account's catalog."""
        return self._send(
            calls.sms(sender, recipient, catalog_code, delay_seconds, self.settings.default_region)
        )

    def sms_plus(
        self,
        sender: str,
        recipient: str,
        message: str,
        *,
        delay_seconds: int | None = None,
        transliterate: bool = False,
    ) -> SendResult:
        """makeSms+: send free text in the GSM 03.38 basic alphabet."""
        region = self.settings.default_region
        return self._send(calls.sms_plus(sender, recipient, message, delay_seconds, region, transliterate))

    def get_tracking(self, tracking_id: str) -> AnyTracking:
        """The tracking log of a request (raises on 112 "too early" and 110 "unknown")."""
        return parse_tracking(self._exchange(calls.tracking(tracking_id)))

    def get_credits(self) -> int:
        """The account's balance. The API answers 0 for wrong credentials too."""
        return credits_balance(self._exchange(calls.credits()))

    # ------------------------------------------------------------------ plumbing

    def _send(self, call: ApiCall) -> SendResult:
        assert call.kind is not None
        return send_result(call.kind, self._exchange(call))

    def _exchange(self, call: ApiCall) -> dict[str, str]:
        """Send one call, retrying only what is safe to retry; return the answer's fields."""
        delay = BACKOFF_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            error, fields = self._attempt(call)
            if error is None:
                return fields
            if attempt == ATTEMPTS or error.may_have_been_accepted:
                raise error
            log.warning("%s (attempt %d of %d); trying again in %.1f s", error, attempt, ATTEMPTS, delay)
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _attempt(self, call: ApiCall) -> tuple[MakeTransportError | None, dict[str, str]]:
        import requests

        url = build_url(self.settings, call)
        failure: MakeTransportError | None = None
        try:
            response = self.session.get(
                url, timeout=self.settings.timeout, allow_redirects=False, proxies=self._proxies
            )
        except requests.RequestException as exc:
            failure = describe_failure(call, self.settings, _reason(exc), reached=not _never_reached(exc))
        except Exception as exc:  # noqa: BLE001 - anything else may quote the URL too (http.client does)
            reason = f"the request could not be made ({type(exc).__name__})"
            failure = describe_failure(call, self.settings, reason, reached=True)
        finally:
            # Even a BaseException (a task timeout) must not leave the URL in a traceback frame.
            url = ""
        if failure is not None:
            # Raised by the caller, outside the except block: no chained requests error.
            return failure, {}
        with response:
            if response.status_code != 200:
                reason = f"HTTP {response.status_code} {response.reason or ''}".strip()
                failure = describe_failure(call, self.settings, f"the API answered {reason}", reached=True)
                return failure, {}
            body = response.content
            content_type = response.headers.get("Content-Type", "")
        try:
            fields = parse_fields(
                body, label=call.label, content_type=content_type, spends_credits=call.spends_credits
            )
        except MakeTransportError as garbled:  # a read's garbled answer is worth one more try
            return garbled, {}
        return None, fields


def _never_reached(exc: BaseException) -> bool:
    """True when the request certainly did not reach the server (safe to send again)."""
    import requests
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    # Not SSLError: urllib3 raises it for TLS failures after the request was written too.
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return isinstance(inner, (NewConnectionError, NameResolutionError))
    return isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema))


def _reason(exc: BaseException) -> str:
    """A short cause without the URL: requests' own messages quote it."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting to the API"
    if isinstance(exc, requests.ReadTimeout):
        return "the API did not answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS exchange with the API failed"
    if isinstance(exc, requests.ConnectionError):
        if _never_reached(exc):
            return "could not connect to the API"
        return "the connection to the API broke before an answer arrived"
    return f"the request failed ({type(exc).__name__})"
