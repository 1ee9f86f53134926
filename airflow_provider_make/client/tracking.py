"""The tracking log of a request, one typed class per kind.

Dates are Unix seconds in lowercase hexadecimal, ``0`` meaning "has not happened
(yet)" (spec decision 7): they become timezone-aware UTC datetimes, or None. Every
spelling of zero (``0``, ``00000000``) is "not happened"; anything that is not plain
hexadecimal digits is a malformed answer. ``is_finished`` follows spec decision 8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import unquote_plus

from airflow_provider_make.client.answers import Fields, integer_field, malformed, raise_for_failure
from airflow_provider_make.client.errors import MakeError
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.client.result_codes import Action

_HEX = re.compile(r"[0-9a-fA-F]{1,16}")


def _date(raw: str, name: str) -> datetime | None:
    if raw == "" or (_HEX.fullmatch(raw) and int(raw, 16) == 0):
        return None
    try:
        if not _HEX.fullmatch(raw):
            raise ValueError(raw)
        return datetime.fromtimestamp(int(raw, 16), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise malformed("tracking", f"the date {name!r} is not hexadecimal Unix seconds", False) from None


def _int(fields: Fields, name: str) -> int | None:
    if not fields.get(name):
        return None
    return integer_field(fields, name, label="tracking", spends_credits=False)


@dataclass(frozen=True)
class Tracking:
    """What every tracking log holds: the kind and the id."""

    kind: ClassVar[RequestKind]
    id: str

    @property
    def is_finished(self) -> bool:
        """Whether the request is over; kinds without dates are finished at once."""
        return True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: dates as ISO-8601 strings, plus ``kind`` and ``is_finished``."""
        result: dict[str, Any] = {"kind": self.kind.value}
        for item in fields(self):
            value = getattr(self, item.name)
            result[item.name] = value.isoformat() if isinstance(value, datetime) else value
        result["is_finished"] = self.is_finished
        return result


@dataclass(frozen=True)
class RingPlusTracking(Tracking):
    """makeRing+: the log carries no dates, so there is nothing to wait for."""

    kind = RequestKind.RING_PLUS


@dataclass(frozen=True)
class RingunTracking(Tracking):
    """makeRingun: the log carries no dates, so there is nothing to wait for."""

    kind = RequestKind.RINGUN


@dataclass(frozen=True)
class _Dated(Tracking):
    created_at: datetime | None  # date_created
    delay_seconds: int | None  # insec


@dataclass(frozen=True)
class _Voice(_Dated):
    caller: str  # from
    callee: str  # to


@dataclass(frozen=True)
class _Message(_Dated):
    sender: str  # from
    recipient: str  # to


@dataclass(frozen=True)
class RingTracking(_Voice):
    """makeRing: finished once ``hung_up_at`` (date_hangup) is set."""

    kind = RequestKind.RING
    rang_at: datetime | None  # date_ring
    answered_at: datetime | None  # date_answer; None: the callee did not pick up
    hung_up_at: datetime | None  # date_hangup

    @property
    def is_finished(self) -> bool:
        return self.hung_up_at is not None


@dataclass(frozen=True)
class CallTracking(_Voice):
    """makeCall. The service rings the callee (A) first, then the caller (B)."""

    kind = RequestKind.CALL
    callee_rang_at: datetime | None  # date_ringA
    caller_rang_at: datetime | None  # date_ringB
    callee_answered_at: datetime | None  # date_answerA
    caller_answered_at: datetime | None  # date_answerB
    callee_hung_up_at: datetime | None  # date_hangup
    caller_hung_up_at: datetime | None  # date_hangupB

    @property
    def is_finished(self) -> bool:
        """Spec decision 8: the callee's leg ended, and the caller's too unless it never rang."""
        if self.callee_hung_up_at is None:
            return False
        return self.caller_hung_up_at is not None or self.caller_rang_at is None


@dataclass(frozen=True)
class CallPlusTracking(CallTracking):
    """makeCall+: a recorded makeCall."""

    kind = RequestKind.CALL_PLUS
    max_duration_seconds: int | None  # duration (seconds in the tracking, minutes in the request)
    record_link: str | None  # None when caller and callee could not talk


@dataclass(frozen=True)
class SmsTracking(_Message):
    """makeSms: finished once ``sent_at`` (date_executed) is set."""

    kind = RequestKind.SMS
    catalog_code: str  # txt
    sent_at: datetime | None  # date_executed
    content: str  # decoded from the URL-encoded text the log holds

    @property
    def is_finished(self) -> bool:
        return self.sent_at is not None


@dataclass(frozen=True)
class SmsPlusTracking(_Message):
    """makeSms+: finished once sent; the follow-up SMS comes later (``follow_up_sent_at``)."""

    kind = RequestKind.SMS_PLUS
    sent_at: datetime | None  # date_executed
    content: str
    follow_up_sent_at: datetime | None  # x_date_executed

    @property
    def is_finished(self) -> bool:
        return self.sent_at is not None


AnyTracking = (
    RingTracking
    | RingPlusTracking
    | RingunTracking
    | CallTracking
    | CallPlusTracking
    | SmsTracking
    | SmsPlusTracking
)


def is_done(tracking: Tracking, *, wait_for_follow_up: bool = False) -> bool:
    """``is_finished``, and for makeSms+ optionally the follow-up SMS too (spec decision 8)."""
    if wait_for_follow_up and isinstance(tracking, SmsPlusTracking):
        return tracking.follow_up_sent_at is not None
    return tracking.is_finished


def parse_tracking(tracking_id: str, raw: Fields) -> AnyTracking:
    """The typed tracking log of ``tracking_id`` from apilog's answer; ``failed`` answers raise."""
    raise_for_failure(raw, "tracking", spends_credits=False)
    make = raw.get("make", "")
    try:
        kind = RequestKind(make)
    except ValueError:
        raise malformed("tracking", f"the log is of an unknown kind {make[:20]!r}", False) from None
    ident = raw.get("id", "")
    if ident != tracking_id:
        raise malformed("tracking", f"it is the log of another id than {tracking_id}", False)
    if not kind.tracking_has_dates:
        return RingPlusTracking(id=ident) if kind is RequestKind.RING_PLUS else RingunTracking(id=ident)

    def date(name: str) -> datetime | None:
        return _date(raw.get(name, "0"), name)

    sms = kind in (RequestKind.SMS, RequestKind.SMS_PLUS)
    ends = ("sender", "recipient") if sms else ("caller", "callee")
    common: dict[str, Any] = {
        "id": ident,
        "created_at": date("date_created"),
        "delay_seconds": _int(raw, "insec"),
    }
    common |= dict(zip(ends, (raw.get("from", ""), raw.get("to", "")), strict=True))
    if kind is RequestKind.RING:
        return RingTracking(
            **common,
            rang_at=date("date_ring"),
            answered_at=date("date_answer"),
            hung_up_at=date("date_hangup"),
        )
    if kind in (RequestKind.CALL, RequestKind.CALL_PLUS):
        legs: dict[str, Any] = {
            "callee_rang_at": date("date_ringA"),
            "caller_rang_at": date("date_ringB"),
            "callee_answered_at": date("date_answerA"),
            "caller_answered_at": date("date_answerB"),
            "callee_hung_up_at": date("date_hangup"),
            "caller_hung_up_at": date("date_hangupB"),
        }
        if kind is RequestKind.CALL:
            return CallTracking(**common, **legs)
        duration, link = _int(raw, "duration"), raw.get("record_link") or None
        return CallPlusTracking(**common, **legs, max_duration_seconds=duration, record_link=link)
    content, sent_at = unquote_plus(raw.get("content", "")), date("date_executed")
    if kind is RequestKind.SMS:
        return SmsTracking(**common, catalog_code=raw.get("txt", ""), sent_at=sent_at, content=content)
    return SmsPlusTracking(
        **common, sent_at=sent_at, content=content, follow_up_sent_at=date("x_date_executed")
    )


@dataclass(frozen=True)
class TrackingPoll:
    """One look at a tracking log while waiting: the log once finished, or why not yet."""

    finished: AnyTracking | None
    problem: str = ""  # a failure worth waiting through (the last one is named on timeout)

    @classmethod
    def of(cls, tracking: AnyTracking, *, wait_for_follow_up: bool) -> TrackingPoll:
        """The look at a log that was read: finished, or not yet."""
        return cls(tracking if is_done(tracking, wait_for_follow_up=wait_for_follow_up) else None)

    @classmethod
    def of_error(cls, error: MakeError) -> TrackingPoll:
        """The look at a failed read: re-raise unless waiting can help (112, and what may pass).

        Spec decision 9: "too early" (112) is not finished yet; an unknown id (110) fails. A
        failure worth retrying (0, 111, a dropped connection) is a read, safe to repeat.
        """
        if error.action is Action.WAIT:
            return cls(None)  # the log is not there yet: the normal start of every wait
        if error.action is not Action.RETRY:
            raise error
        return cls(None, str(error))
