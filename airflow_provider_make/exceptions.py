"""What the hook raises: the client layer's exception families, as Airflow exceptions.

The client layer (:mod:`airflow_provider_make.client`) knows nothing of Airflow. The
hook turns each of its errors into a class that inherits from both the client's family
(so ``except MakeAuthError`` catches either) and the Airflow exception that says what
the task does about it:

* :class:`~airflow.sdk.exceptions.AirflowFailException`, the task fails without using
  its retries, for what retrying cannot fix: bad credentials (101), insufficient credit
  (102), invalid arguments (100, 103-109, and every check made before sending), an
  unknown tracking id (110), an unusable connection, and a send that may have been
  accepted before the exchange broke (sending it again could ring a phone twice);
* :class:`~airflow.sdk.exceptions.AirflowException`, the task's retries apply, for what
  may work later: service failures (0, 111), a tracking log not ready yet (112), and
  transport failures of reads or of sends that never reached the API.
"""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_make.client.errors import (
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
)

__all__ = [
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


class AirflowMakeAuthError(MakeAuthError, AirflowFailException):
    """101, raised by the hook: fails the task without retries."""


class AirflowMakeCreditError(MakeCreditError, AirflowFailException):
    """102, raised by the hook: fails the task without retries."""


class AirflowMakeInvalidArgumentError(MakeInvalidArgumentError, AirflowFailException):
    """100, 103-109, raised by the hook: fails the task without retries."""


class AirflowMakeValidationError(MakeValidationError, AirflowFailException):
    """An argument refused before sending, raised by the hook: fails the task without retries."""


class AirflowMakeTrackingNotReadyError(MakeTrackingNotReadyError, AirflowException):
    """112, raised by the hook: the task's retries apply (sensors keep waiting instead)."""


class AirflowMakeTrackingUnknownError(MakeTrackingUnknownError, AirflowFailException):
    """110, raised by the hook: fails the task without retries."""


class AirflowMakeServiceError(MakeServiceError, AirflowException):
    """0, 111 or an unknown code, raised by the hook: the task's retries apply."""


class AirflowMakeTransportError(MakeTransportError, AirflowException):
    """A read, or a send that never reached the API, failed in transit: retries apply."""


class AirflowMakeUnsafeToRetryError(MakeTransportError, AirflowFailException):
    """A send may have been accepted before the exchange broke: fail, never send twice."""


class AirflowMakeConfigurationError(MakeConfigurationError, AirflowFailException):
    """The connection is unusable: fails the task without retries."""


# Most specific first: the first class of the error's MRO found here wins.
_AIRFLOW_CLASSES: dict[type[MakeError], type[MakeError]] = {
    MakeValidationError: AirflowMakeValidationError,
    MakeAuthError: AirflowMakeAuthError,
    MakeCreditError: AirflowMakeCreditError,
    MakeInvalidArgumentError: AirflowMakeInvalidArgumentError,
    MakeTrackingNotReadyError: AirflowMakeTrackingNotReadyError,
    MakeTrackingUnknownError: AirflowMakeTrackingUnknownError,
    MakeServiceError: AirflowMakeServiceError,
    MakeConfigurationError: AirflowMakeConfigurationError,
    MakeTransportError: AirflowMakeTransportError,
    MakeApiError: AirflowMakeServiceError,
}


def to_airflow_exception(error: MakeError) -> MakeError:
    """The same error (message, ``result_code``, every attribute) as its Airflow class."""
    if isinstance(error, AirflowException):
        return error
    if isinstance(error, MakeTransportError) and error.may_have_been_accepted:
        cls: type[MakeError] = AirflowMakeUnsafeToRetryError
    else:
        cls = next(
            (_AIRFLOW_CLASSES[base] for base in type(error).__mro__ if base in _AIRFLOW_CLASSES),
            AirflowMakeServiceError,
        )
    converted = cls.__new__(cls)
    converted.args = error.args
    converted.__dict__.update(error.__dict__)
    return converted
