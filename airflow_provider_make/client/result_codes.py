"""Every ``result_code`` of the make API v1.7 and what it means for a task.

The table is the document's section 12. The ``action`` column is the project's reading
(spec decision 11): what a task should do when it meets the code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Action(str, enum.Enum):
    """What a task does about a result code."""

    SUCCEED = "succeed"  # the request was accepted
    FAIL = "fail"  # retrying cannot help: fix the arguments, the account or the credit
    RETRY = "retry"  # a service-side failure: the same request may work later
    WAIT = "wait"  # the tracking log is not there yet: keep polling


class Family(str, enum.Enum):
    """The family of an outcome; each failed family has its exception class.

    :attr:`action` is the one place that says what a task does about a family: the
    exceptions, the Airflow exceptions and the trigger's events all read it.
    """

    ACCEPTED = "accepted"
    AUTH = "auth"
    CREDIT = "credit"
    INVALID_ARGUMENT = "invalid_argument"
    TRACKING_NOT_READY = "tracking_not_ready"
    TRACKING_UNKNOWN = "tracking_unknown"
    SERVICE = "service"
    CONFIGURATION = "configuration"  # the connection's settings: no result code

    @property
    def action(self) -> Action:
        """What a task does when it meets this family (spec decision 11)."""
        return _ACTIONS[self]


# Every family fails at once but these three.
_ACTIONS = {
    **dict.fromkeys(Family, Action.FAIL),
    Family.ACCEPTED: Action.SUCCEED,
    Family.TRACKING_NOT_READY: Action.WAIT,
    Family.SERVICE: Action.RETRY,
}


@dataclass(frozen=True)
class ResultCode:
    """One row of the result-code table."""

    code: int
    meaning: str  # in English, from the document's French
    family: Family
    argument: str | None = None  # the argument at fault, for the invalid-argument codes
    hint: str = ""  # what the user can do about it

    @property
    def action(self) -> Action:
        """What a task does about this code: its family's action."""
        return self.family.action


def _accepted(code: int, meaning: str) -> ResultCode:
    return ResultCode(code, meaning, Family.ACCEPTED)


def _invalid(code: int, argument: str, meaning: str, hint: str) -> ResultCode:
    return ResultCode(code, meaning, Family.INVALID_ARGUMENT, argument, hint)


def _service(code: int, meaning: str, hint: str) -> ResultCode:
    return ResultCode(code, meaning, Family.SERVICE, hint=hint)


def _tracking(code: int, family: Family, meaning: str, hint: str) -> ResultCode:
    return ResultCode(code, meaning, family, "id", hint)


_TABLE: tuple[ResultCode, ...] = (
    _service(0, "general error", "a failure on the make service's side; the same request may work later"),
    _accepted(8, "makeCall request accepted"),
    _accepted(9, "makeCall request with a delay accepted"),
    _accepted(18, "makeRing request accepted"),
    _accepted(19, "makeRing request with a delay accepted"),
    _accepted(28, "makeSms request accepted"),
    _accepted(29, "makeSms request with a delay accepted"),
    _accepted(38, "makeSms+ request accepted"),
    _accepted(39, "makeSms+ request with a delay accepted"),
    _accepted(58, "makeCall+ request accepted"),
    _accepted(59, "makeCall+ request with a delay accepted"),
    _accepted(78, "makeRing+ request accepted, with or without a delay"),
    _accepted(681, "makeRingun request accepted"),
    _accepted(691, "makeRingun request with a delay accepted"),
    _invalid(100, "arguments", "syntax error", "check the list of arguments and their encoding"),
    ResultCode(
        101,
        "wrong login or password",
        Family.AUTH,
        "login/pwd",
        "check the account e-mail and password of the connection",
    ),
    ResultCode(
        102,
        "insufficient credit",
        Family.CREDIT,
        hint="top up the account on makesms.fr before running again",
    ),
    _invalid(103, "from/prefix", "bad caller or sender (from) or country prefix", "check the number"),
    _invalid(104, "to", "bad callee or recipient (to)", "check the number"),
    _invalid(105, "insec", "bad delay (insec)", "the delay is whole seconds from 0 to 7200"),
    _invalid(106, "duration", "bad duration", "the duration is whole minutes from 1 to 10"),
    _invalid(
        107,
        "engage",
        "bad engage argument",
        "makeCall+ needs the commitment to tell both parties the call is recorded",
    ),
    _invalid(108, "txt", "bad catalog code (txt)", "use a code from the account's SMS catalog"),
    _invalid(
        109,
        "msg/list",
        "bad message (msg) or callee list (list)",
        "messages use the GSM 03.38 basic alphabet; a list holds 1 to 100 national numbers",
    ),
    _tracking(
        110,
        Family.TRACKING_UNKNOWN,
        "unknown tracking id, or tracking older than one month",
        "tracking is kept for one month after the request",
    ),
    _service(
        111,
        "contact make to solve this problem",
        "a failure on the make service's side; contact makesms.fr if it lasts",
    ),
    _tracking(
        112,
        Family.TRACKING_NOT_READY,
        "too early: the tracking log exists at the earliest 10 seconds after the id was issued",
        "ask again a little later",
    ),
)

RESULT_CODES: dict[int, ResultCode] = {row.code: row for row in _TABLE}


def describe(code: int) -> ResultCode:
    """The row for ``code``; a code the document does not list is a service failure."""
    if code in RESULT_CODES:
        return RESULT_CODES[code]
    return ResultCode(
        code,
        "a result code that the make API v1.7 document does not list",
        Family.SERVICE,
        hint="the API may have changed; the same request may work later",
    )
