"""client/errors.py: the exception classes, and action_of, the one decision about an error."""

from __future__ import annotations

import asyncio
import pickle

import pytest

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
    error_for_code,
    error_from_event,
)

#: One error of each class (and each side of MakeTransportError), with what is done about it.
EXAMPLES: list[tuple[MakeError, Action]] = [
    (MakeAuthError("101", result_code=101, request="makeSms+"), Action.FIX_ACCOUNT),
    (MakeCreditError("102", result_code=102, request="makeSms+"), Action.FIX_ACCOUNT),
    (MakeConfigurationError("no login"), Action.FIX_ACCOUNT),
    (MakeInvalidArgumentError("104", result_code=104, request="makeCall", argument="to"), Action.FIX_REQUEST),
    (MakeValidationError("bad caller", argument="caller"), Action.FIX_REQUEST),
    (MakeTrackingNotReadyError("112", result_code=112, request="tracking"), Action.WAIT),
    (MakeTrackingUnknownError("110", result_code=110, request="tracking"), Action.LOST),
    (MakeServiceError("0", result_code=0, request="makeRing"), Action.RETRY),
    (MakeApiError("refused", request="credits"), Action.RETRY),
    (MakeError("something"), Action.RETRY),
    (MakeTransportError("could not connect", may_have_been_accepted=False), Action.RETRY),
    (MakeTransportError("dropped", may_have_been_accepted=True), Action.UNKNOWN),
]
IDS = [f"{type(error).__name__}-{action.value}" for error, action in EXAMPLES]


@pytest.mark.parametrize(("error", "action"), EXAMPLES, ids=IDS)
def test_action_of_each_error(error: MakeError, action: Action) -> None:
    assert action_of(error) is action


@pytest.mark.parametrize(
    "error", [KeyError("id"), RuntimeError("a bug"), asyncio.CancelledError(), KeyboardInterrupt()]
)
def test_anything_else_is_of_unknown_fate(error: BaseException) -> None:
    """Nothing says a request was not sent when something unforeseen broke it: never send it again."""
    assert action_of(error) is Action.UNKNOWN


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (101, MakeAuthError),
        (102, MakeCreditError),
        (104, MakeInvalidArgumentError),
        (110, MakeTrackingUnknownError),
        (112, MakeTrackingNotReadyError),
        (111, MakeServiceError),
        (555, MakeServiceError),
        (38, MakeServiceError),  # a success code in a failed answer: the answer contradicts itself
    ],
)
def test_error_for_code(code: int, cls: type[MakeError]) -> None:
    error = error_for_code(code, "makeSms+")

    assert type(error) is cls
    assert error.result_code == code
    assert error.request == "makeSms+"
    assert f"result code {code}" in str(error)


def test_an_invalid_argument_code_names_the_argument() -> None:
    error = error_for_code(105, "makeRing")

    assert isinstance(error, MakeInvalidArgumentError)
    assert error.argument == "insec"


@pytest.mark.parametrize(("error", "action"), EXAMPLES, ids=IDS)
def test_an_error_survives_a_trigger_event(error: MakeError, action: Action) -> None:
    rebuilt = error_from_event(error.to_event())

    assert type(rebuilt) is type(error)
    assert str(rebuilt) == str(error)
    assert vars(rebuilt) == vars(error)
    assert action_of(rebuilt) is action


def test_an_event_naming_no_known_class_is_a_service_error() -> None:
    rebuilt = error_from_event({"error": "SomethingNew", "message": "odd"})

    assert type(rebuilt) is MakeServiceError
    assert str(rebuilt) == "odd"
    assert rebuilt.result_code is None


@pytest.mark.parametrize(("error", "action"), EXAMPLES, ids=IDS)
def test_an_error_survives_pickling(error: MakeError, action: Action) -> None:
    rebuilt = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes

    assert type(rebuilt) is type(error)
    assert rebuilt.args == error.args
    assert vars(rebuilt) == vars(error)
    assert action_of(rebuilt) is action
