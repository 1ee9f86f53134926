"""The kinds of make request, with their endpoint paths and success codes."""

from __future__ import annotations

import enum
from typing import Any


class RequestKind(str, enum.Enum):
    """A make request kind: its value is the log's ``make``, its ``label`` the document's name,
    its ``success_codes`` the result codes that mean "accepted" (with or without a delay)."""

    _value_: str
    label: str
    default_path: str
    success_codes: frozenset[int]

    def __new__(cls, value: str, *details: Any) -> RequestKind:  # later, RequestKind(value) looks up
        kind = str.__new__(cls, value)
        kind._value_ = value
        kind.label, kind.default_path, *codes = details
        kind.success_codes = frozenset(codes)
        return kind

    RING = "ring", "makeRing", "apimaking.php", 18, 19
    # Spec decision 2: the template says apimakeringplus.php, the example URL and the
    # sibling paths say apimakingplus.php. A connection can override it.
    RING_PLUS = "ring+", "makeRing+", "apimakingplus.php", 78
    RINGUN = "ringun", "makeRingun", "apimakingun.php", 681, 691
    CALL = "call", "makeCall", "apimakecall.php", 8, 9
    CALL_PLUS = "call+", "makeCall+", "apimakecallplus.php", 58, 59
    SMS = "sms", "makeSms", "apimakesms.php", 28, 29
    SMS_PLUS = "sms+", "makeSms+", "apimakesmsplus.php", 38, 39

    @property
    def endpoint(self) -> str:
        """The name used to override this kind's path in a connection's ``endpoints``."""
        return self.name.lower()

    @property
    def tracking_has_dates(self) -> bool:
        """ring+ and ringun tracking logs carry no dates: there is nothing to wait for."""
        return self not in (RequestKind.RING_PLUS, RequestKind.RINGUN)


#: Paths of the two reads, overridable the same way as the sends.
TRACKING_PATH = "apilog.php"
CREDITS_PATH = "apicredits.php"
