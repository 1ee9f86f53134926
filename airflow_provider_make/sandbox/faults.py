"""Faults a test can queue so the sandbox misbehaves the way a real service sometimes does.

A client's error handling is only trustworthy if it has seen the failures: an answer
that is not XML, an HTTP 500, a connection closed after the request was committed,
an answer that comes too late, or a plain ``failed`` with a service-side code
(0 "general error", 111 "contact us", 112 "retry later"). Each queued fault applies to
the next ``count`` API requests, optionally only to one path; control requests
(``/_sandbox/...``) and recording downloads are never affected.

Modes:

``code:N``
    answer ``failed`` with result code N, without doing anything (nothing charged).
``garbage``
    HTTP 200 with an HTML body that echoes the full request URL, query string and
    password included, so a test can prove the client never repeats an answer body
    in a log or an exception message.
``http500``
    HTTP 500 with a short body; nothing done.
``drop``
    process the request (a send is charged and tracked, and it is logged), then close
    the connection without answering: a server that crashed after committing.
``slow:SECONDS``
    process the request, then wait SECONDS real seconds before answering: the client
    may time out although the send happened.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from enum import Enum


class FaultKind(Enum):
    """What a fault does to the request it hits."""

    CODE = "code"
    GARBAGE = "garbage"
    HTTP500 = "http500"
    DROP = "drop"
    SLOW = "slow"


#: Longest ``slow:`` wait accepted, so a typo cannot hang a test run for hours.
MAX_SLOW_SECONDS = 300.0


@dataclass(frozen=True)
class Fault:
    """One queued misbehaviour: ``kind`` plus its argument (the code, or the seconds)."""

    kind: FaultKind
    code: int = 0
    seconds: float = 0.0
    path: str | None = None

    @property
    def mode(self) -> str:
        """The mode string this fault was created from (``code:111``, ``drop``...)."""
        if self.kind is FaultKind.CODE:
            return f"code:{self.code}"
        if self.kind is FaultKind.SLOW:
            return f"slow:{self.seconds:g}"
        return str(self.kind.value)


def parse_mode(mode: str, path: str | None = None) -> Fault:
    """Turn a mode string into a :class:`Fault`; ``ValueError`` says what is wrong."""
    name, _, argument = mode.partition(":")
    if name == "code":
        if not argument.isdigit() or not argument.isascii():
            raise ValueError(f"fault mode {mode!r}: expected code:N with N a non-negative integer")
        return Fault(FaultKind.CODE, code=int(argument), path=path)
    if name == "slow":
        try:
            seconds = float(argument)
        except ValueError:
            seconds = math.nan
        if not 0 <= seconds <= MAX_SLOW_SECONDS:
            raise ValueError(f"fault mode {mode!r}: expected slow:SECONDS with 0 <= SECONDS <= 300")
        return Fault(FaultKind.SLOW, seconds=seconds, path=path)
    if name in ("garbage", "http500", "drop") and not argument:
        return Fault(FaultKind(name), path=path)
    raise ValueError(f"unknown fault mode {mode!r}; use code:N, garbage, http500, drop or slow:SECONDS")


class FaultQueue:
    """Faults waiting for requests, first queued first served; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[Fault, int]] = []  # (fault, remaining uses)

    def add(self, fault: Fault, count: int = 1) -> None:
        """Queue ``fault`` for the next ``count`` matching API requests."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        with self._lock:
            self._entries.append((fault, count))

    def take(self, path: str) -> Fault | None:
        """The fault to apply to a request on ``path``, if any, consuming one use of it."""
        with self._lock:
            for index, (fault, remaining) in enumerate(self._entries):
                if fault.path is None or fault.path == path:
                    if remaining > 1:
                        self._entries[index] = (fault, remaining - 1)
                    else:
                        del self._entries[index]
                    return fault
        return None

    def pending(self) -> list[tuple[Fault, int]]:
        """The queued faults with their remaining counts, in order."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._entries.clear()
