"""What the hook raises: the client layer's errors, as Airflow exceptions.

The client layer (:mod:`airflow_provider_make.client`) knows nothing of Airflow. The
hook re-raises each of its errors as a class that inherits from both the error's own
class (so ``except MakeAuthError`` catches either) and the Airflow exception that its
``action`` calls for, which comes from the result-code table (spec decision 11):

* :class:`~airflow.sdk.exceptions.AirflowFailException` (the task fails without using
  its retries) when the action is "fail": bad credentials (101), insufficient credit
  (102), invalid arguments (100, 103-109, and every check made before sending), an
  unknown tracking id (110), an unusable connection, and a send that may have been
  accepted before the exchange broke (sending it again could ring a phone twice);
* :class:`~airflow.sdk.exceptions.AirflowException` (the task's retries apply)
  otherwise: service failures (0, 111), a tracking log not ready yet (112), and
  transport failures of reads or of sends that never reached the API.

The Airflow classes are made from that rule, one per client class and action, named
``Airflow<ClientClass>``; a send that may have been accepted is ``AirflowMakeUnsafeToRetryError``.
"""

from __future__ import annotations

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
from airflow_provider_make.client.result_codes import Action
from airflow_provider_make.compat import AirflowException, AirflowFailException

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


_MADE: dict[tuple[type[MakeError], bool], type[MakeError]] = {}


def _airflow_class(cls: type[MakeError], fails: bool) -> type[MakeError]:
    made = _MADE.get((cls, fails))
    if made is None:
        base = AirflowFailException if fails else AirflowException
        unsafe = fails and issubclass(cls, MakeTransportError)
        name = "AirflowMakeUnsafeToRetryError" if unsafe else f"Airflow{cls.__name__}"
        doc = f"{cls.__name__}, as {base.__name__}."
        made = _MADE[cls, fails] = type(name, (cls, base), {"__module__": __name__, "__doc__": doc})
        globals()[name] = made  # importable by name, so it pickles like any class
    return made


def to_airflow_exception(error: MakeError) -> MakeError:
    """The same error (message, ``result_code``, every attribute) as its Airflow class."""
    if isinstance(error, AirflowException):
        return error
    cls = _airflow_class(type(error), error.action is Action.FAIL)
    converted = cls.__new__(cls)
    converted.args = error.args
    converted.__dict__.update(error.__dict__)
    return converted
