"""The exceptions of the client layer, and :func:`action_of`: what a task does about one.

Every exception carries ``result_code`` (None when the API answered none). Messages are
plain English, name the argument at fault, and never contain a URL: the password travels
in the query string (spec decision 12).
"""

from __future__ import annotations

import enum
from typing import Any

from airflow_provider_make.client.result_codes import Family, describe


class Action(str, enum.Enum):
    """What is done about an outcome; :func:`action_of` is the one place that decides it."""

    SUCCEED = "succeed"  # the request was accepted
    #: This request's arguments are wrong (100, 103-109, the checks before sending): fail it;
    #: a campaign fails just that row.
    FIX_REQUEST = "fix_request"
    #: The credentials, the credit or the connection's settings (101, 102, configuration):
    #: fail without retries; a campaign stops, its unsent rows stay ``retry``.
    FIX_ACCOUNT = "fix_account"
    #: Surely not accepted, may work later (0, 111, an unlisted code, never reached the API,
    #: a failed TLS handshake): Airflow's retries apply; a campaign row stays ``retry``.
    RETRY = "retry"
    WAIT = "wait"  # 112: the tracking log is not there yet: look again
    #: May have been accepted: fail, never send again (spec decision 13); a campaign row is ``unknown``.
    UNKNOWN = "unknown"
    LOST = "lost"  # 110: the tracking id is unknown or expired: waiting cannot help


class MakeError(Exception):
    """Base class of everything this package raises about the make API."""

    def __init__(self, message: str, *, result_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result_code = result_code

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles with every attribute, whatever the constructor's keyword arguments."""
        return rebuild, (type(self), self.message, dict(vars(self)))

    def to_event(self) -> dict[str, Any]:
        """A JSON-safe form, for a trigger's event; :func:`error_from_event` rebuilds it."""
        name = next(cls.__name__ for cls in type(self).__mro__ if cls.__name__ in _BY_NAME)
        extras = {name: getattr(self, name) for name in _EXTRAS if hasattr(self, name)}
        return {"error": name, "message": self.message, **extras}


def rebuild(cls: type[MakeError], message: str, attributes: dict[str, Any]) -> MakeError:
    """An error of class ``cls`` with this message and these attributes, its constructor not called
    (so whatever its keyword arguments: pickling, trigger events, :func:`.to_airflow_exception`)."""
    error = cls.__new__(cls, message)
    error.args = (message,)
    vars(error).update(attributes)
    return error


class MakeApiError(MakeError):
    """A request was refused: by the API (``result_code`` says why) or, before sending, by the checks."""

    def __init__(self, message: str, *, result_code: int | None = None, request: str = "") -> None:
        super().__init__(message, result_code=result_code)
        self.request = request  # "makeSms+", "tracking", ...: never a URL


class MakeAuthError(MakeApiError):
    """101: wrong login or password. Retrying cannot help."""


class MakeCreditError(MakeApiError):
    """102: not enough credit for this request. Retrying cannot help."""


class MakeInvalidArgumentError(MakeApiError):
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


class MakeTrackingNotReadyError(MakeApiError):
    """112: the tracking log exists at the earliest 10 seconds after the id was issued."""


class MakeTrackingUnknownError(MakeApiError):
    """110: the tracking id is unknown, or older than one month. Waiting cannot help."""


class MakeServiceError(MakeApiError):
    """0, 111 or a code the document does not list: a failure on the service's side."""


class MakeTransportError(MakeError):
    """The exchange with the API broke: no connection, a timeout, an HTTP error, or garbage.

    ``may_have_been_accepted``: a request that spends credits may have reached the API, so
    sending it again could ring a phone twice; the task fails rather than retries (spec decision 13).
    """

    def __init__(self, message: str, *, may_have_been_accepted: bool) -> None:
        super().__init__(message)
        self.may_have_been_accepted = may_have_been_accepted


class MakeConfigurationError(MakeError):
    """The connection's settings are unusable (no login, an unsafe base URL, ...)."""


def action_of(error: BaseException) -> Action:
    """What is done about ``error``: the one place that decides fail, retry, wait or unknown.

    Anything not a :class:`MakeError` (a bug, a cancellation, the caller's own code) is
    ``UNKNOWN``: nothing says the request was not sent, so it is never sent again.
    """
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
    return Action.RETRY if isinstance(error, MakeError) else Action.UNKNOWN


#: The class raised for each family a failed answer's result code can have.
_CLASS_OF_FAMILY: dict[Family, type[MakeApiError]] = {
    Family.AUTH: MakeAuthError,
    Family.CREDIT: MakeCreditError,
    Family.INVALID_ARGUMENT: MakeInvalidArgumentError,
    Family.TRACKING_NOT_READY: MakeTrackingNotReadyError,
    Family.TRACKING_UNKNOWN: MakeTrackingUnknownError,
    Family.SERVICE: MakeServiceError,
}
_OTHER_CLASSES: tuple[type[MakeError], ...] = (
    MakeError,
    MakeApiError,
    MakeValidationError,
    MakeTransportError,
    MakeConfigurationError,
)
_BY_NAME = {cls.__name__: cls for cls in (*_OTHER_CLASSES, *_CLASS_OF_FAMILY.values())}
_EXTRAS = ("result_code", "request", "argument", "may_have_been_accepted")


def error_from_event(event: dict[str, Any]) -> MakeError:
    """Rebuild the error that :meth:`MakeError.to_event` described (unknown names: a service error)."""
    cls = _BY_NAME.get(str(event.get("error")), MakeServiceError)
    message = str(event.get("message") or "the trigger reported an error without a message")
    attributes: dict[str, Any] = {"message": message, "result_code": None}
    attributes.update((name, event[name]) for name in _EXTRAS if name in event)
    if issubclass(cls, MakeTransportError):
        attributes["may_have_been_accepted"] = bool(event.get("may_have_been_accepted"))
    return rebuild(cls, message, attributes)


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
    error = _CLASS_OF_FAMILY[row.family](message, result_code=result_code, request=request)
    if isinstance(error, MakeInvalidArgumentError):
        error.argument = row.argument
    return error
