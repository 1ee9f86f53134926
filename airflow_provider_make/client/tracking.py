"""The tracking log of a request, one typed class per kind; a field's ``log`` metadata is its
name in the log, when that differs. Dates are Unix seconds in hexadecimal, any spelling of zero
meaning "has not happened (yet)" (spec decision 7): UTC datetimes, or None; else malformed.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import Field, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, ClassVar, get_args
from urllib.parse import unquote_plus

from airflow_provider_make.client.answers import Fields, integer_field, malformed, raise_for_failure
from airflow_provider_make.client.kinds import RequestKind


@dataclass(frozen=True)
class Tracking:
    """What every tracking log holds: the kind and the id."""

    kind: ClassVar[RequestKind]
    id: str

    @property
    def is_finished(self) -> bool:
        """Whether the request is over; ring+ and ringun logs have no dates: finished at once."""
        return True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: dates as ISO-8601 strings, plus ``kind`` and ``is_finished``."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        dates = {name: value.isoformat() for name, value in values.items() if isinstance(value, datetime)}
        return {"kind": self.kind.value, **values, **dates, "is_finished": self.is_finished}


@dataclass(frozen=True)
class RingPlusTracking(Tracking):
    kind = RequestKind.RING_PLUS


@dataclass(frozen=True)
class RingunTracking(Tracking):
    kind = RequestKind.RINGUN


@dataclass(frozen=True)
class _Dated(Tracking):
    created_at: datetime | None = field(metadata={"log": "date_created"})
    delay_seconds: int | None = field(metadata={"log": "insec"})


@dataclass(frozen=True)
class _Voice(_Dated):
    caller: str = field(metadata={"log": "from"})
    callee: str = field(metadata={"log": "to"})


@dataclass(frozen=True)
class RingTracking(_Voice):
    """makeRing: finished once ``hung_up_at`` is set; ``answered_at`` None: nobody picked up."""

    kind = RequestKind.RING
    rang_at: datetime | None = field(metadata={"log": "date_ring"})
    answered_at: datetime | None = field(metadata={"log": "date_answer"})
    hung_up_at: datetime | None = field(metadata={"log": "date_hangup"})

    @property
    def is_finished(self) -> bool:
        return self.hung_up_at is not None


@dataclass(frozen=True)
class CallTracking(_Voice):
    """makeCall. The service rings the callee (A) first, then the caller (B)."""

    kind = RequestKind.CALL
    callee_rang_at: datetime | None = field(metadata={"log": "date_ringA"})
    caller_rang_at: datetime | None = field(metadata={"log": "date_ringB"})
    callee_answered_at: datetime | None = field(metadata={"log": "date_answerA"})
    caller_answered_at: datetime | None = field(metadata={"log": "date_answerB"})
    callee_hung_up_at: datetime | None = field(metadata={"log": "date_hangup"})
    caller_hung_up_at: datetime | None = field(metadata={"log": "date_hangupB"})

    @property
    def is_finished(self) -> bool:
        """Spec decision 8: the callee's leg ended, and the caller's too unless it never rang."""
        if self.callee_hung_up_at is None:
            return False
        return self.caller_hung_up_at is not None or self.caller_rang_at is None


@dataclass(frozen=True)
class CallPlusTracking(CallTracking):
    """makeCall+: a recorded makeCall; no ``record_link`` when the two could not talk."""

    kind = RequestKind.CALL_PLUS
    # Seconds in the tracking, minutes in the request.
    max_duration_seconds: int | None = field(metadata={"log": "duration"})
    record_link: str | None


@dataclass(frozen=True)
class _Message(_Dated):
    sender: str = field(metadata={"log": "from"})
    recipient: str = field(metadata={"log": "to"})
    sent_at: datetime | None = field(metadata={"log": "date_executed"})
    content: str  # decoded from the URL-encoded text the log holds

    @property
    def is_finished(self) -> bool:
        return self.sent_at is not None


@dataclass(frozen=True)
class SmsTracking(_Message):
    kind = RequestKind.SMS
    catalog_code: str = field(metadata={"log": "txt"})


@dataclass(frozen=True)
class SmsPlusTracking(_Message):
    """makeSms+: finished once sent; the follow-up SMS comes later (``follow_up_sent_at``)."""

    kind = RequestKind.SMS_PLUS
    follow_up_sent_at: datetime | None = field(metadata={"log": "x_date_executed"})


_VoiceTracking = RingTracking | RingPlusTracking | RingunTracking | CallTracking | CallPlusTracking
AnyTracking = _VoiceTracking | SmsTracking | SmsPlusTracking
_CLASSES: dict[str, type[AnyTracking]] = {cls.kind: cls for cls in get_args(AnyTracking)}


def wait_is_over(tracking: Tracking, *, wait_for_follow_up: bool = False) -> bool:
    """Whether a wait for this request ends: it is finished (spec decision 8) and, for a makeSms+
    when ``wait_for_follow_up``, its follow-up SMS was sent too."""
    if wait_for_follow_up and isinstance(tracking, SmsPlusTracking):
        return tracking.follow_up_sent_at is not None
    return tracking.is_finished


def _value(raw: Fields, item: Field[Any]) -> Any:
    """One field from the log, converted by its annotation (as written)."""
    name = item.metadata.get("log", item.name)
    text = raw.get(name, "")
    if item.type == "datetime | None":
        if re.fullmatch("[0-9a-fA-F]{0,16}", text):
            with contextlib.suppress(ValueError, OverflowError, OSError):  # a year out of range
                seconds = int(text or "0", 16)
                return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds else None
        raise malformed("tracking", f"the date {name!r} is not hexadecimal Unix seconds", False)
    if item.type == "int | None":
        return integer_field(raw, name, label="tracking", spends_credits=False) if text else None
    if item.type == "str | None":
        return text or None
    return unquote_plus(text) if name == "content" else text


def parse_tracking(tracking_id: str, raw: Fields) -> AnyTracking:
    """The typed tracking log of ``tracking_id`` from apilog's answer; ``failed`` answers raise."""
    raise_for_failure(raw, "tracking", spends_credits=False)
    make = raw.get("make", "")
    if make not in _CLASSES:
        raise malformed("tracking", f"the log is of an unknown kind {make[:20]!r}", False)
    if raw.get("id", "") != tracking_id:
        raise malformed("tracking", f"it is the log of another id than {tracking_id}", False)
    cls = _CLASSES[make]
    return cls(**{item.name: _value(raw, item) for item in fields(cls)})
