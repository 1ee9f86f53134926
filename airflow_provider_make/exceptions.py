"""What the hook raises: the client layer's errors (:mod:`.client.errors`) as Airflow exceptions.

Each ``Airflow<ClientClass>`` inherits from its client class (``except MakeAuthError``
catches either) and from the Airflow exception :func:`action_of` calls for (spec decision
11): ``AirflowFailException`` (no retries) when retrying cannot help or may send twice, else
``AirflowException``. Every class is declared here, so a pickled error unpickles in any process.
"""

from __future__ import annotations

from airflow_provider_make.client.errors import (
    Action,
    MakeApiError,
    MakeAuthError,
    MakeConfigurationError,
    MakeCreditError,
    MakeError,
    MakeInvalidArgumentError,
    MakeServiceError,
    MakeTrackingNotReadyError,
    MakeTrackingUnknownError,
    MakeTransportError,
    MakeValidationError,
    action_of,
    rebuild,
)
from airflow_provider_make.compat import AirflowException, AirflowFailException

__all__ = [
    "AirflowMakeApiError",
    "AirflowMakeAuthError",
    "AirflowMakeConfigurationError",
    "AirflowMakeCreditError",
    "AirflowMakeError",
    "AirflowMakeInvalidArgumentError",
    "AirflowMakeServiceError",
    "AirflowMakeTrackingNotReadyError",
    "AirflowMakeTrackingUnknownError",
    "AirflowMakeTransportError",
    "AirflowMakeUnsafeToRetryError",
    "AirflowMakeValidationError",
    "MakeApiError",
    "MakeAuthError",
    "MakeConfigurationError",
    "MakeCreditError",
    "MakeError",
    "MakeInvalidArgumentError",
    "MakeServiceError",
    "MakeTrackingNotReadyError",
    "MakeTrackingUnknownError",
    "MakeTransportError",
    "MakeValidationError",
    "to_airflow_exception",
]


class AirflowMakeError(MakeError, AirflowException):
    """A :class:`MakeError` of no more precise class: retries apply."""


class AirflowMakeApiError(MakeApiError, AirflowException):
    """A :class:`MakeApiError` of no more precise class: retries apply."""


class AirflowMakeAuthError(MakeAuthError, AirflowFailException):
    """101, wrong login or password: fails without retries."""


class AirflowMakeCreditError(MakeCreditError, AirflowFailException):
    """102, not enough credit: fails without retries."""


class AirflowMakeInvalidArgumentError(MakeInvalidArgumentError, AirflowFailException):
    """100, 103-109, an argument the API refused: fails without retries."""


class AirflowMakeValidationError(MakeValidationError, AirflowFailException):
    """An argument refused before sending: fails without retries; nothing was sent."""


class AirflowMakeTrackingNotReadyError(MakeTrackingNotReadyError, AirflowException):
    """112, the tracking log is not there yet: retries apply."""


class AirflowMakeTrackingUnknownError(MakeTrackingUnknownError, AirflowFailException):
    """110, the tracking id is unknown or expired: fails without retries."""


class AirflowMakeServiceError(MakeServiceError, AirflowException):
    """0, 111 or an unlisted code, a failure on the service's side: retries apply."""


class AirflowMakeTransportError(MakeTransportError, AirflowException):
    """The exchange broke for a read, or for a send that never left this machine: retries apply."""


class AirflowMakeUnsafeToRetryError(MakeTransportError, AirflowFailException):
    """A send's exchange broke after it may have reached the API: fails without retries,
    since sending it again could ring a phone twice (spec decision 13)."""


class AirflowMakeConfigurationError(MakeConfigurationError, AirflowFailException):
    """The connection's settings are unusable: fails without retries; nothing was sent."""


#: The Airflow class of each client class (the nearest one in an error's MRO applies).
_AIRFLOW_CLASS: dict[type[MakeError], type[MakeError]] = {
    MakeError: AirflowMakeError,
    MakeApiError: AirflowMakeApiError,
    MakeAuthError: AirflowMakeAuthError,
    MakeCreditError: AirflowMakeCreditError,
    MakeInvalidArgumentError: AirflowMakeInvalidArgumentError,
    MakeValidationError: AirflowMakeValidationError,
    MakeTrackingNotReadyError: AirflowMakeTrackingNotReadyError,
    MakeTrackingUnknownError: AirflowMakeTrackingUnknownError,
    MakeServiceError: AirflowMakeServiceError,
    MakeTransportError: AirflowMakeTransportError,
    MakeConfigurationError: AirflowMakeConfigurationError,
}


def to_airflow_exception(error: MakeError) -> MakeError:
    """The same error (message, ``result_code``, every attribute) as its Airflow class."""
    if isinstance(error, AirflowException):
        return error
    if action_of(error) is Action.UNKNOWN:
        cls: type[MakeError] = AirflowMakeUnsafeToRetryError
    else:
        cls = next(_AIRFLOW_CLASS[kind] for kind in type(error).__mro__ if kind in _AIRFLOW_CLASS)
    return rebuild(cls, error.message, vars(error))
