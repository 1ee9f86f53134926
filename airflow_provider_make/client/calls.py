"""Builds each make request's query, after validating every argument.

An :class:`ApiCall` holds the arguments already URL-encoded, in the document's order,
without the credentials: the transport adds ``login`` and ``pwd`` at the last moment, so
nothing built here ever carries the password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote_plus

from airflow_provider_make.client import validation as check
from airflow_provider_make.client.kinds import CREDITS_PATH, TRACKING_PATH, RequestKind


def encode(value: str, safe: str = "") -> str:
    """URL-encode one argument value the way the document's examples do (spaces as ``+``).

    Text is encoded as UTF-8, the only encoding a web form sends today; the document
    does not name one.
    """
    return quote_plus(value, safe=safe, encoding="utf-8")


@dataclass(frozen=True)
class ApiCall:
    """One request to send: which endpoint, and its arguments already encoded."""

    endpoint: str  # RequestKind.endpoint, "tracking" or "credits": the key for path overrides
    default_path: str
    label: str  # "makeSms+", "tracking": what messages call it
    query: tuple[tuple[str, str], ...]  # encoded (name, value) pairs, credentials excluded
    kind: RequestKind | None = None  # None for the reads
    authenticated: bool = True  # tracking takes no login
    spends_credits: bool = True  # a send: never repeated once it may have reached the API

    @property
    def query_string(self) -> str:
        """The arguments as they go on the wire, without login and pwd."""
        return "&".join(f"{name}={value}" for name, value in self.query)


def _send(kind: RequestKind, pairs: Iterable[tuple[str, str]], delay: int | None) -> ApiCall:
    query = [(name, encode(value)) for name, value in pairs]
    if delay is not None:
        # Spec decision 1: the delay is `insec` everywhere (the makeRing template's
        # `nsec` is a typo). Spec history 1.5: left out, the account's setting applies.
        query.append(("insec", str(delay)))
    return ApiCall(kind.endpoint, kind.default_path, kind.label, tuple(query), kind=kind)


def ring(caller: object, callee: object, delay_seconds: object, region: str | None) -> ApiCall:
    """makeRing: ring ``callee``, showing ``caller``."""
    pairs = [
        ("from", check.international_number(caller, "caller", region)),
        ("to", check.international_number(callee, "callee", region)),
    ]
    return _send(RequestKind.RING, pairs, check.delay_seconds(delay_seconds))


def ring_plus(pairs: object, delay_seconds: object, region: str | None) -> ApiCall:
    """makeRing+: 2 to 10 makeRings in one request, as from0/to0 ... from9/to9."""
    checked = check.ring_plus_pairs(pairs, region)
    delay = check.delay_seconds(delay_seconds)
    args: list[tuple[str, str]] = []
    for index, (caller, callee) in enumerate(checked):
        args += [(f"from{index}", caller), (f"to{index}", callee)]
    return _send(RequestKind.RING_PLUS, args, delay)


def ringun(prefix: object, caller: object, callees: object, delay_seconds: object) -> ApiCall:
    """makeRingun: ring up to 100 callees from one caller, all national numbers of ``prefix``."""
    country = check.country_prefix(prefix)
    caller_number = check.national_number(caller, "caller", country)
    callee_numbers = check.ringun_callees(callees, country)
    delay = check.delay_seconds(delay_seconds)
    call = _send(RequestKind.RINGUN, [("prefix", country), ("from", caller_number)], delay)
    # Spec decision 4: callees are joined by a literal '+' in the raw query string, as
    # in the document's example (list=687654321+687654322), not by '%2B'. They are
    # digits only, so nothing else needs encoding.
    listed = ("list", "+".join(callee_numbers))
    query = (*call.query[:2], listed, *call.query[2:])
    return ApiCall(call.endpoint, call.default_path, call.label, query, kind=call.kind)


def call(caller: object, callee: object, delay_seconds: object, region: str | None) -> ApiCall:
    """makeCall: ring ``callee`` (A) and, once answered, bridge ``caller`` (B)."""
    pairs = [
        ("from", check.international_number(caller, "caller", region)),
        ("to", check.international_number(callee, "callee", region)),
    ]
    return _send(RequestKind.CALL, pairs, check.delay_seconds(delay_seconds))


def call_plus(
    caller: object,
    callee: object,
    max_duration_minutes: object,
    recording_notice: object,
    delay_seconds: object,
    region: str | None,
) -> ApiCall:
    """makeCall+: a recorded makeCall of at most ``max_duration_minutes``."""
    caller_number = check.international_number(caller, "caller", region)
    callee_number = check.international_number(callee, "callee", region)
    duration = check.duration_minutes(max_duration_minutes)
    check.recording_notice(recording_notice)
    delay = check.delay_seconds(delay_seconds)
    # The document's template order: from, to, insec, duration, engage.
    query = [("from", caller_number), ("to", callee_number)]
    if delay is not None:
        query.append(("insec", str(delay)))
    query += [("duration", str(duration)), ("engage", "1")]
    return _send(RequestKind.CALL_PLUS, query, None)


def sms(
    sender: object, recipient: object, catalog_code: object, delay_seconds: object, region: str | None
) -> ApiCall:
    """makeSms: send the catalog message ``catalog_code``."""
    pairs = [
        ("from", check.international_number(sender, "sender", region)),
        ("to", check.international_number(recipient, "recipient", region)),
        ("txt", check.catalog_code(catalog_code)),
    ]
    return _send(RequestKind.SMS, pairs, check.delay_seconds(delay_seconds))


def sms_plus(
    sender: object,
    recipient: object,
    message: object,
    delay_seconds: object,
    region: str | None,
    transliterate: bool = False,
) -> ApiCall:
    """makeSms+: send free text in the GSM 03.38 basic alphabet."""
    if not isinstance(transliterate, bool):
        raise check.MakeValidationError(
            f"transliterate: expected True or False, got {transliterate!r}", argument="transliterate"
        )
    pairs = [
        ("from", check.international_number(sender, "sender", region)),
        ("to", check.international_number(recipient, "recipient", region)),
        ("msg", check.sms_text(message, allow_transliteration=transliterate)),
    ]
    return _send(RequestKind.SMS_PLUS, pairs, check.delay_seconds(delay_seconds))


def tracking(tracking_id: object) -> ApiCall:
    """apilog: the tracking log of a request. Takes the id only, no login."""
    query = (("id", encode(check.tracking_id(tracking_id))),)
    return ApiCall("tracking", TRACKING_PATH, "tracking", query, authenticated=False, spends_credits=False)


def credits() -> ApiCall:
    """apicredits: the account's balance."""
    return ApiCall("credits", CREDITS_PATH, "credits", (), spends_credits=False)
