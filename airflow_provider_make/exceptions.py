"""What the hook raises: the client layer's errors (:mod:`.client.errors`), as Airflow exceptions.

Each error is re-raised as a class that inherits from both its own class (so ``except
MakeAuthError`` catches either) and the Airflow exception its ``action`` calls for, from
the result-code table (spec decision 11): ``AirflowFailException`` (no retries) when the
action is "fail" (bad credentials, no credit, invalid arguments, an unknown tracking id,
an unusable connection, and a send that may have been accepted: sending it again could
ring a phone twice), else ``AirflowException`` (retries apply: service failures, a
tracking log not ready yet, transport failures of reads or of sends that never left).
The classes are named ``Airflow<ClientClass>``, or ``AirflowMakeUnsafeToRetryError``.
"""

from __future__ import annotations

from airflow_provider_make.client import errors
from airflow_provider_make.client.errors import MakeError
from airflow_provider_make.client.result_codes import Action
from airflow_provider_make.compat import AirflowException, AirflowFailException

_MADE: dict[tuple[type[MakeError], bool], type[MakeError]] = {}


def to_airflow_exception(error: MakeError) -> MakeError:
    """The same error (message, ``result_code``, every attribute) as its Airflow class."""
    if isinstance(error, AirflowException):
        return error
    kind, fails = type(error), error.action is Action.FAIL
    if (cls := _MADE.get((kind, fails))) is None:
        base = AirflowFailException if fails else AirflowException
        unsafe = fails and isinstance(error, errors.MakeTransportError)
        name = "AirflowMakeUnsafeToRetryError" if unsafe else f"Airflow{kind.__name__}"
        doc = f"{kind.__name__}, as {base.__name__}."
        cls = _MADE[kind, fails] = type(name, (kind, base), {"__module__": __name__, "__doc__": doc})
        globals()[name] = cls  # importable by name, so it pickles like any class
    converted = cls.__new__(cls)
    converted.args = error.args
    converted.__dict__.update(error.__dict__)
    return converted


def __getattr__(name: str) -> type[MakeError]:
    """The client errors by this module's name too: ``from ...exceptions import MakeAuthError``."""
    if isinstance(found := getattr(errors, name, None), type) and issubclass(found, MakeError):
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
