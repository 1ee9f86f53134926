"""client/answers.py: answers are read strictly, whichever driver carried them.

An answer not exactly of the API's shape is malformed, never guessed at: for a send,
"may have been accepted, not sent again" (spec decision 13).
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import Action, MakeError, MakeTransportError, action_of
from tests.drivers import DRIVERS, raised
from tests.hostile_server import LOGIN, HostileServer, hostile, hostile_settings, send_fields, xml

__all__ = ["hostile"]  # fixture

CALLER = "33612345678"
CALLEE = "33687654321"


def sms_plus() -> calls.ApiCall[Any]:
    return calls.sms_plus(sender=CALLER, recipient=CALLEE, message="hi")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            [*send_fields(), ("result", "failed"), ("result_code", "0")], id="success-then-failed-retryable"
        ),
        pytest.param([*send_fields(), ("id", "zzz999")], id="two-ids"),
    ],
)
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_send_answer_with_a_duplicated_element_is_unknown_fate_never_retried(
    hostile: HostileServer, driver: str, answer: list[tuple[str, str]]
) -> None:
    hostile.answer("xml:" + xml(*answer))

    error = raised(driver, hostile_settings(hostile.url), sms_plus())

    assert isinstance(error, MakeTransportError), repr(error)
    assert action_of(error) is Action.UNKNOWN  # the task must not send it again
    assert len(hostile.requests) == 1


#: Numbers that int() reads but the API never writes.
MALFORMED_NUMBERS = {"negative": "-10", "underscore": "1_0", "arabic-indic-digits": "١٠"}
NUMBERS = [pytest.param(value, id=key) for key, value in MALFORMED_NUMBERS.items()]
#: In a send answer; result_code spells 38 (success) so that only its spelling is wrong.
SEND_NUMBERS = [
    *(
        pytest.param(name, value, id=f"{name}-{key}")
        for name in ("cost", "credits")
        for key, value in MALFORMED_NUMBERS.items()
    ),
    pytest.param("result_code", "3_8", id="result_code-underscore"),
    pytest.param("result_code", "٣٨", id="result_code-arabic-indic-digits"),
]


@pytest.mark.parametrize(("name", "number"), SEND_NUMBERS)
def test_a_malformed_number_in_a_send_answer_is_unknown_fate_never_retried(
    hostile: HostileServer, name: str, number: str
) -> None:
    hostile.answer("xml:" + xml(*send_fields(**{name: number})))

    error = raised("sync", hostile_settings(hostile.url), sms_plus())

    assert isinstance(error, MakeTransportError), repr(error)
    assert action_of(error) is Action.UNKNOWN
    assert len(hostile.requests) == 1


@pytest.mark.parametrize("number", NUMBERS)
def test_a_malformed_credits_balance_is_an_error(hostile: HostileServer, number: str) -> None:
    hostile.answer("xml:" + xml(("result", "success"), ("login", LOGIN), ("credits", number)))

    error = raised("sync", hostile_settings(hostile.url), calls.credits())

    assert isinstance(error, MakeError)
    assert "'credits' field is not a whole number" in str(error)
