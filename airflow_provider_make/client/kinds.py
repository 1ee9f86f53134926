"""The kinds of make request, with their endpoint paths and success codes."""

from __future__ import annotations

import enum
from typing import NamedTuple


class RequestKind(str, enum.Enum):
    """A make request kind. The value is what the tracking log calls it (``make``)."""

    RING = "ring"
    RING_PLUS = "ring+"
    RINGUN = "ringun"
    CALL = "call"
    CALL_PLUS = "call+"
    SMS = "sms"
    SMS_PLUS = "sms+"

    @property
    def label(self) -> str:
        """The document's name for the request: ``makeSms+``."""
        return _DETAILS[self].label

    @property
    def endpoint(self) -> str:
        """The name used to override this kind's path in a connection's ``endpoints``."""
        return self.name.lower()

    @property
    def default_path(self) -> str:
        """The path below the base URL. For ring+, spec decision 2: ``apimakingplus.php``."""
        return _DETAILS[self].default_path

    @property
    def success_codes(self) -> frozenset[int]:
        """The result codes that mean "accepted" (with or without a delay)."""
        return _DETAILS[self].success_codes

    @property
    def tracking_has_dates(self) -> bool:
        """ring+ and ringun tracking logs carry no dates: there is nothing to wait for."""
        return self not in (RequestKind.RING_PLUS, RequestKind.RINGUN)


class _Details(NamedTuple):
    label: str
    default_path: str
    success_codes: frozenset[int]


_DETAILS = {
    RequestKind.RING: _Details("makeRing", "apimaking.php", frozenset({18, 19})),
    # Spec decision 2: the template says apimakeringplus.php, the example URL and the
    # sibling paths say apimakingplus.php. A connection can override it.
    RequestKind.RING_PLUS: _Details("makeRing+", "apimakingplus.php", frozenset({78})),
    RequestKind.RINGUN: _Details("makeRingun", "apimakingun.php", frozenset({681, 691})),
    RequestKind.CALL: _Details("makeCall", "apimakecall.php", frozenset({8, 9})),
    RequestKind.CALL_PLUS: _Details("makeCall+", "apimakecallplus.php", frozenset({58, 59})),
    RequestKind.SMS: _Details("makeSms", "apimakesms.php", frozenset({28, 29})),
    RequestKind.SMS_PLUS: _Details("makeSms+", "apimakesmsplus.php", frozenset({38, 39})),
}

#: Paths of the two reads, overridable the same way as the sends.
TRACKING_PATH = "apilog.php"
CREDITS_PATH = "apicredits.php"
