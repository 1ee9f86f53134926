"""The exceptions of the client layer: one base class, one class per error family.

Every exception carries ``result_code`` (None when the API answered none) and ``action``
(fail at once, retry later, keep waiting), from its family's row in :mod:`.result_codes`.
Messages are plain English, name the argument at fault, and never contain a URL: the
password travels in the query string (spec decision 12).
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from airflow_provider_make.client import result_codes
from airflow_provider_make.client.result_codes import Family, describe


class MakeError(Exception):
    """Base class of everything this package raises about the make API."""

    family: ClassVar[Family] = Family.SERVICE

    def __init_subclass__(cls, family: Family | None = None) -> None:
        super().__init_subclass__()
        if family is not None:
            cls.family = family

    def __init__(self, message: str, *, result_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result_code = result_code

    @property
    def action(self) -> result_codes.Action:
        """What a task does about this error: its family's action."""
        return self.family.action

    def to_event(self) -> dict[str, Any]:
        """A JSON-safe form, for a trigger's event; :func:`error_from_event` rebuilds it."""
        name = next(cls.__name__ for cls in type(self).__mro__ if cls.__name__ in _BY_NAME)
        extras = {name: getattr(self, name) for name in _EXTRAS if hasattr(self, name)}
        return {"error": name, "message": self.message, **extras}


class MakeApiError(MakeError):
    """A request was refused: by the API (``result_code`` says why) or, before sending, by the checks."""

    def __init__(self, message: str, *, result_code: int | None = None, request: str = "") -> None:
        super().__init__(message, result_code=result_code)
        self.request = request  # "makeSms+", "tracking", ...: never a URL


class MakeAuthError(MakeApiError, family=Family.AUTH):
    """101: wrong login or password. Retrying cannot help."""


class MakeCreditError(MakeApiError, family=Family.CREDIT):
    """102: not enough credit for this request. Retrying cannot help."""


class MakeInvalidArgumentError(MakeApiError, family=Family.INVALID_ARGUMENT):
    """An argument is wrong: refused by the API (100, 103-109) or by the checks before sending.

    ``argument`` is in the reader's vocabulary: the hook's parameter for checks made before
    sending (``caller``, ``delay_seconds``), the API's for codes it answered (``to``, ``insec``).
    """

    def __init__(
        self, message: str, *, result_code: int | None = None, request: str = "", argument: str | None = None
    ) -> None:
        super().__init__(message, result_code=result_code, request=request)
        self.argument = argument


class MakeValidationError(MakeInvalidArgumentError, ValueError):
    """An argument was refused before any request was sent (``result_code`` is None)."""


class MakeTrackingNotReadyError(MakeApiError, family=Family.TRACKING_NOT_READY):
    """112: the tracking log exists at the earliest 10 seconds after the id was issued."""


class MakeTrackingUnknownError(MakeApiError, family=Family.TRACKING_UNKNOWN):
    """110: the tracking id is unknown, or older than one month. Waiting cannot help."""


class MakeServiceError(MakeApiError, family=Family.SERVICE):
    """0, 111 or a code the document does not list: a failure on the service's side."""


class MakeTransportError(MakeError):
    """The exchange with the API broke: no connection, a timeout, an HTTP error, or garbage.

    ``may_have_been_accepted``: a request that spends credits may have reached the API, so
    sending it again could ring a phone twice; the task fails rather than retries (spec decision 13).
    """

    def __init__(self, message: str, *, may_have_been_accepted: bool) -> None:
        super().__init__(message)
        self.may_have_been_accepted = may_have_been_accepted

    @property
    def action(self) -> result_codes.Action:
        return result_codes.Action.FAIL if self.may_have_been_accepted else result_codes.Action.RETRY


class MakeConfigurationError(MakeError, family=Family.CONFIGURATION):
    """The connection's settings are unusable (no login, an unsafe base URL, ...)."""


# Built on import, so they hold this module's classes only (not the ones exceptions.py makes).
_BY_NAME = {
    name: cls for name, cls in globals().items() if isinstance(cls, type) and issubclass(cls, MakeError)
}
# The class for each family a result code can have: the one that declares it.
_CLASS_BY_FAMILY = {
    cls.family: cls for cls in _BY_NAME.values() if issubclass(cls, MakeApiError) and "family" in vars(cls)
}
_EXTRAS = ("result_code", "request", "argument", "may_have_been_accepted")


def error_from_event(event: dict[str, Any]) -> MakeError:
    """Rebuild the error that :meth:`MakeError.to_event` described (unknown names: a service error)."""
    cls = _BY_NAME.get(str(event.get("error")), MakeServiceError)
    error = cls.__new__(cls)
    error.message = str(event.get("message") or "the trigger reported an error without a message")
    error.args = (error.message,)
    vars(error).update({"result_code": None, **{name: event[name] for name in _EXTRAS if name in event}})
    if isinstance(error, MakeTransportError):
        error.may_have_been_accepted = bool(event.get("may_have_been_accepted"))
    return error


def error_for_code(result_code: int, request: str) -> MakeApiError:
    """Build the exception for a ``failed`` answer carrying ``result_code``."""
    row = describe(result_code)
    if row.family is Family.ACCEPTED:
        message = (
            f"{request} failed although the API gave result code {result_code} "
            f"({row.meaning}); the answer contradicts itself, so nothing can be assumed"
        )
        return MakeServiceError(message, result_code=result_code, request=request)
    message = f"{request} failed with result code {result_code}: {row.meaning} ({row.hint})"
    error = _CLASS_BY_FAMILY[row.family](message, result_code=result_code, request=request)
    if isinstance(error, MakeInvalidArgumentError):
        error.argument = row.argument
    return error


class Action(str, enum.Enum):
    """What to do about an error (interim: the core task's ``Action`` of errors.py replaces it)."""

    SUCCEED = "succeed"
    FIX_REQUEST = "fix_request"
    FIX_ACCOUNT = "fix_account"
    RETRY = "retry"
    WAIT = "wait"
    UNKNOWN = "unknown"
    LOST = "lost"


def action_of(error: BaseException) -> Action:
    """Interim stand-in for the core task's ``action_of`` (same names; the lead keeps core's)."""
    if isinstance(error, MakeTransportError):
        return Action.UNKNOWN if error.may_have_been_accepted else Action.RETRY
    if isinstance(error, (MakeAuthError, MakeCreditError, MakeConfigurationError)):
        return Action.FIX_ACCOUNT
    if isinstance(error, MakeInvalidArgumentError):
        return Action.FIX_REQUEST
    if isinstance(error, MakeTrackingNotReadyError):
        return Action.WAIT
    if isinstance(error, MakeTrackingUnknownError):
        return Action.LOST
    return Action.RETRY
