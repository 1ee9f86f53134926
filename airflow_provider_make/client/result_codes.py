"""Every ``result_code`` of the make API v1.7, and its family.

The table is the document's section 12; the families and the hints are the project's
reading. What a task does about each family (spec decision 11) is
:func:`~airflow_provider_make.client.errors.action_of`'s to say.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Family(str, enum.Enum):
    """The family of an outcome: each failed family has its exception class and its action."""

    ACCEPTED = "accepted"
    AUTH = "auth"
    CREDIT = "credit"
    INVALID_ARGUMENT = "invalid_argument"
    TRACKING_NOT_READY = "tracking_not_ready"
    TRACKING_UNKNOWN = "tracking_unknown"
    SERVICE = "service"


@dataclass(frozen=True)
class ResultCode:
    """One row of the result-code table."""

    code: int
    meaning: str  # in English, from the document's French
    family: Family
    argument: str | None = None  # the argument at fault: login/pwd, id, or an invalid argument
    hint: str = ""  # what the user can do about it


#: The document's table: code, family (the project's reading), argument at fault, meaning.
_DOCUMENT: tuple[tuple[int, Family, str | None, str], ...] = (
    (0, Family.SERVICE, None, "general error"),
    (8, Family.ACCEPTED, None, "makeCall request accepted"),
    (9, Family.ACCEPTED, None, "makeCall request with a delay accepted"),
    (18, Family.ACCEPTED, None, "makeRing request accepted"),
    (19, Family.ACCEPTED, None, "makeRing request with a delay accepted"),
    (28, Family.ACCEPTED, None, "makeSms request accepted"),
    (29, Family.ACCEPTED, None, "makeSms request with a delay accepted"),
    (38, Family.ACCEPTED, None, "makeSms+ request accepted"),
    (39, Family.ACCEPTED, None, "makeSms+ request with a delay accepted"),
    (58, Family.ACCEPTED, None, "makeCall+ request accepted"),
    (59, Family.ACCEPTED, None, "makeCall+ request with a delay accepted"),
    (78, Family.ACCEPTED, None, "makeRing+ request accepted, with or without a delay"),
    (681, Family.ACCEPTED, None, "makeRingun request accepted"),
    (691, Family.ACCEPTED, None, "makeRingun request with a delay accepted"),
    (100, Family.INVALID_ARGUMENT, "arguments", "syntax error"),
    (101, Family.AUTH, "login/pwd", "wrong login or password"),
    (102, Family.CREDIT, None, "insufficient credit"),
    (103, Family.INVALID_ARGUMENT, "from/prefix", "bad caller or sender (from) or country prefix"),
    (104, Family.INVALID_ARGUMENT, "to", "bad callee or recipient (to)"),
    (105, Family.INVALID_ARGUMENT, "insec", "bad delay (insec)"),
    (106, Family.INVALID_ARGUMENT, "duration", "bad duration"),
    (107, Family.INVALID_ARGUMENT, "engage", "bad engage argument"),
    (108, Family.INVALID_ARGUMENT, "txt", "bad catalog code (txt)"),
    (109, Family.INVALID_ARGUMENT, "msg/list", "bad message (msg) or callee list (list)"),
    (110, Family.TRACKING_UNKNOWN, "id", "unknown tracking id, or tracking older than one month"),
    (111, Family.SERVICE, None, "contact make to solve this problem"),
    (112, Family.TRACKING_NOT_READY, "id", "too early: no tracking log until 10 seconds after the request"),
)
#: What the user can do about a code: the project's words, not the document's.
_HINTS = {
    0: "a failure on the make service's side; the same request may work later",
    100: "check the list of arguments and their encoding",
    101: "check the account e-mail and password of the connection",
    102: "top up the account on makesms.fr before running again",
    103: "check the number",
    104: "check the number",
    105: "the delay is whole seconds from 0 to 7200",
    106: "the duration is whole minutes from 1 to 10",
    107: "makeCall+ needs the commitment to tell both parties the call is recorded",
    108: "use a code from the account's SMS catalog",
    109: "messages use the GSM 03.38 basic alphabet; a list holds 1 to 100 national numbers",
    110: "tracking is kept for one month after the request",
    111: "a failure on the make service's side; contact makesms.fr if it lasts",
    112: "ask again a little later",
}
RESULT_CODES: dict[int, ResultCode] = {
    code: ResultCode(code, meaning, family, argument, _HINTS.get(code, ""))
    for code, family, argument, meaning in _DOCUMENT
}


def describe(code: int) -> ResultCode:
    """The row for ``code``; a code the document does not list is a service failure."""
    unlisted = "a result code that the make API v1.7 document does not list"
    hint = "the API may have changed; the same request may work later"
    return RESULT_CODES.get(code) or ResultCode(code, unlisted, Family.SERVICE, hint=hint)
