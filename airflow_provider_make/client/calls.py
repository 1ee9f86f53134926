"""Each make request, described once: its arguments, their checks, its wire format, its answer.

A builder checks every argument and returns an :class:`ApiCall`, never holding the
credentials: the pipeline adds ``login`` and ``pwd`` at the last moment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar
from urllib.parse import quote_plus

from airflow_provider_make.client import validation as check
from airflow_provider_make.client.answers import Fields, SendResult, credits_balance, send_result
from airflow_provider_make.client.kinds import CREDITS_PATH, TRACKING_PATH, RequestKind
from airflow_provider_make.client.tracking import AnyTracking, parse_tracking

T = TypeVar("T")


def encode(value: str, safe: str = "") -> str:
    """URL-encode as the document's examples do (spaces as ``+``), in UTF-8 (it names no encoding)."""
    return quote_plus(value, safe=safe, encoding="utf-8")


@dataclass(frozen=True)
class ApiCall(Generic[T]):
    """One request to send: its endpoint, its encoded arguments, and how to read its answer."""

    endpoint: str  # RequestKind.endpoint, "tracking" or "credits": the key for path overrides
    default_path: str
    label: str  # "makeSms+", "tracking": what messages call it
    query: tuple[tuple[str, str], ...]  # encoded (name, value) pairs, credentials excluded
    interpret: Callable[[Fields], T]  # the answer's fields -> the typed result (raises on failure)
    authenticated: bool = True  # tracking takes no login
    spends_credits: bool = True  # a send: never repeated once it may have reached the API

    @property
    def query_string(self) -> str:
        """The arguments as they go on the wire, without login and pwd."""
        return "&".join(f"{name}={value}" for name, value in self.query)

    @property
    def recipients(self) -> list[str]:
        """The numbers a send reaches, as sent: ``to`` (``to0``... for makeRing+), ``list``'s (national)."""
        reached: list[str] = []
        for name, value in self.query:
            if name == "list":
                reached += value.split("+")
            elif name.startswith("to"):
                reached.append(value)
        return reached


def _send(
    kind: RequestKind, pairs: Iterable[tuple[str, str]], delay_seconds: object, *after: tuple[str, str]
) -> ApiCall[SendResult]:
    """A send of the checked ``pairs``, then the delay, then ``after`` (already safe)."""
    # Spec decision 4: makeRingun's callees (digits) are joined by a literal '+' in the raw
    # query string, as in the document's example (list=687654321+687654322), not by '%2B'.
    query = [(name, encode(value, safe="+" if name == "list" else "")) for name, value in pairs]
    if (delay := check.delay_seconds(delay_seconds)) is not None:
        # Spec decision 1: the delay is `insec` everywhere (the makeRing template's
        # `nsec` is a typo). Spec history 1.5: left out, the account's setting applies.
        query.append(("insec", str(delay)))
    interpret = functools.partial(send_result, kind)
    return ApiCall(kind.endpoint, kind.default_path, kind.label, (*query, *after), interpret)


def _from_to(
    first: object, second: object, region: str | None, names: tuple[str, str] = ("caller", "callee")
) -> list[tuple[str, str]]:
    """``from`` and ``to``: international numbers, refused under the argument ``names``."""
    first_number = check.international_number(first, names[0], region)
    return [("from", first_number), ("to", check.international_number(second, names[1], region))]


def ring(
    *, caller: str, callee: str, delay_seconds: int | None = None, region: str | None = None
) -> ApiCall[SendResult]:
    """makeRing: ring ``callee``, showing ``caller``."""
    return _send(RequestKind.RING, _from_to(caller, callee, region), delay_seconds)


def call(
    *, caller: str, callee: str, delay_seconds: int | None = None, region: str | None = None
) -> ApiCall[SendResult]:
    """makeCall: ring ``callee`` (A) and, once answered, bridge ``caller`` (B)."""
    return _send(RequestKind.CALL, _from_to(caller, callee, region), delay_seconds)


def ring_plus(
    *, pairs: Iterable[Sequence[str]], delay_seconds: int | None = None, region: str | None = None
) -> ApiCall[SendResult]:
    """makeRing+: 2 to 10 makeRings in one request, as from0/to0 ... from9/to9."""
    args: list[tuple[str, str]] = []
    for index, (caller, callee) in enumerate(check.ring_plus_pairs(pairs, region)):
        args += [(f"from{index}", caller), (f"to{index}", callee)]
    return _send(RequestKind.RING_PLUS, args, delay_seconds)


def ringun(
    *,
    prefix: str,
    caller: str,
    callees: Iterable[str],
    delay_seconds: int | None = None,
    region: str | None = None,
) -> ApiCall[SendResult]:
    """makeRingun: ring up to 100 callees from one caller, national numbers of ``prefix`` (not ``region``)."""
    country = check.country_prefix(prefix)
    pairs = [("prefix", country), ("from", check.national_number(caller, "caller", country))]
    pairs.append(("list", "+".join(check.ringun_callees(callees, country))))
    return _send(RequestKind.RINGUN, pairs, delay_seconds)


def call_plus(
    *,
    caller: str,
    callee: str,
    max_duration_minutes: int,
    recording_notice: bool,
    delay_seconds: int | None = None,
    region: str | None = None,
) -> ApiCall[SendResult]:
    """makeCall+: a recorded makeCall of at most ``max_duration_minutes``."""
    pairs = _from_to(caller, callee, region)
    duration = check.duration_minutes(max_duration_minutes)
    check.recording_notice(recording_notice)
    # The document's template order: from, to, insec, duration, engage.
    return _send(RequestKind.CALL_PLUS, pairs, delay_seconds, ("duration", str(duration)), ("engage", "1"))


def sms(
    *,
    sender: str,
    recipient: str,
    catalog_code: str | int,
    delay_seconds: int | None = None,
    region: str | None = None,
) -> ApiCall[SendResult]:
    """makeSms: send the catalog message ``catalog_code``."""
    pairs = _from_to(sender, recipient, region, ("sender", "recipient"))
    return _send(RequestKind.SMS, [*pairs, ("txt", check.catalog_code(catalog_code))], delay_seconds)


def sms_plus(
    *,
    sender: str,
    recipient: str,
    message: str,
    delay_seconds: int | None = None,
    transliterate: bool = False,
    region: str | None = None,
) -> ApiCall[SendResult]:
    """makeSms+: send free text in the GSM 03.38 basic alphabet."""
    check.flag(transliterate, "transliterate")
    pairs = _from_to(sender, recipient, region, ("sender", "recipient"))
    text = check.sms_text(message, allow_transliteration=transliterate)
    return _send(RequestKind.SMS_PLUS, [*pairs, ("msg", text)], delay_seconds)


def sms_plus_like(
    model: ApiCall[SendResult], *, to: str, message: str, transliterate: bool
) -> ApiCall[SendResult]:
    """``model`` (a checked makeSms+) for ``to`` (digits, checked already) and ``message`` (checked here)."""
    changed = {"to": to, "msg": encode(check.sms_text(message, allow_transliteration=transliterate))}
    return replace(model, query=tuple((k, changed.get(k, v)) for k, v in model.query))


def tracking(*, tracking_id: str, region: str | None = None) -> ApiCall[AnyTracking]:
    """apilog: the tracking log of a request. Takes the id only, no login (``region`` unused)."""
    checked = check.tracking_id(tracking_id)
    query, interpret = (("id", encode(checked)),), functools.partial(parse_tracking, checked)
    return ApiCall(
        "tracking", TRACKING_PATH, "tracking", query, interpret, authenticated=False, spends_credits=False
    )


def credits(*, region: str | None = None) -> ApiCall[int]:
    """apicredits: the account's balance (``region`` unused)."""
    return ApiCall("credits", CREDITS_PATH, "credits", (), credits_balance, spends_credits=False)
