"""The kinds of make request, with their endpoint paths and success codes."""

from __future__ import annotations

import enum


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
        return _LABELS[self]

    @property
    def endpoint(self) -> str:
        """The name used to override this kind's path in a connection's ``endpoints``."""
        return self.name.lower()

    @property
    def default_path(self) -> str:
        """The path below the base URL. For ring+, spec decision 2: ``apimakingplus.php``."""
        return _PATHS[self]

    @property
    def success_codes(self) -> frozenset[int]:
        """The result codes that mean "accepted" (with or without a delay)."""
        return _SUCCESS_CODES[self]

    @property
    def tracking_has_dates(self) -> bool:
        """ring+ and ringun tracking logs carry no dates: there is nothing to wait for."""
        return self not in (RequestKind.RING_PLUS, RequestKind.RINGUN)


_LABELS = {
    RequestKind.RING: "makeRing",
    RequestKind.RING_PLUS: "makeRing+",
    RequestKind.RINGUN: "makeRingun",
    RequestKind.CALL: "makeCall",
    RequestKind.CALL_PLUS: "makeCall+",
    RequestKind.SMS: "makeSms",
    RequestKind.SMS_PLUS: "makeSms+",
}

_PATHS = {
    RequestKind.RING: "apimaking.php",
    # Spec decision 2: the template says apimakeringplus.php, the example URL and the
    # sibling paths say apimakingplus.php. A connection can override it.
    RequestKind.RING_PLUS: "apimakingplus.php",
    RequestKind.RINGUN: "apimakingun.php",
    RequestKind.CALL: "apimakecall.php",
    RequestKind.CALL_PLUS: "apimakecallplus.php",
    RequestKind.SMS: "apimakesms.php",
    RequestKind.SMS_PLUS: "apimakesmsplus.php",
}

_SUCCESS_CODES = {
    RequestKind.RING: frozenset({18, 19}),
    RequestKind.RING_PLUS: frozenset({78}),
    RequestKind.RINGUN: frozenset({681, 691}),
    RequestKind.CALL: frozenset({8, 9}),
    RequestKind.CALL_PLUS: frozenset({58, 59}),
    RequestKind.SMS: frozenset({28, 29}),
    RequestKind.SMS_PLUS: frozenset({38, 39}),
}

#: Paths of the two reads, overridable the same way as the sends.
TRACKING_PATH = "apilog.php"
CREDITS_PATH = "apicredits.php"
