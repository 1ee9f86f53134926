"""Every result code of the document's table, as the user meets it.

Failures are produced over real HTTP: wrong credentials (101), a poor account (102), an
unknown id (110) and the 10-second tracking window (112) happen naturally in the
sandbox; the other codes come from the sandbox's ``code:N`` fault, which answers
``failed`` with that code exactly as the API would. Each is checked through the client
(exception class, ``result_code``, ``action``, ``argument``, message) and through the
hook (which Airflow exception: fail at once, or let the task's retries apply).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_make.client.errors import (
    Action,
    MakeApiError,
    MakeAuthError,
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
)
from airflow_provider_make.client.result_codes import RESULT_CODES, Family, describe
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.tracking import SmsPlusTracking
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from tests.conftest import LOGIN, PASSWORD, POOR_LOGIN
from tests.kinds import KindClient

CALLER = "33612345678"
CALLEE = "33687654321"

#: Section 12 of the document, in full.
DOCUMENT_CODES = {
    0, 8, 9, 18, 19, 28, 29, 38, 39, 58, 59, 78, 681, 691,
    100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
}  # fmt: skip

SENDS: dict[str, Callable[[Any], Any]] = {
    "ring": lambda t: t.ring(CALLER, CALLEE),
    "ring_plus": lambda t: t.ring_plus([(CALLER, CALLEE), (CALLER, CALLEE)]),
    "ringun": lambda t: t.ringun("33", "687345678", ["687654321"]),
    "call": lambda t: t.call(CALLER, CALLEE),
    "call_plus": lambda t: t.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice=True),
    "sms": lambda t: t.sms(CALLER, CALLEE, "123"),
    "sms_plus": lambda t: t.sms_plus(CALLER, CALLEE, "Bonjour comment ca va ?"),
}

#: The invalid-argument codes, the request each is provoked on, the API argument it names
#: and a word of its meaning.
INVALID_ARGUMENT = [
    (100, "sms_plus", "arguments", "syntax error"),
    (103, "ringun", "from/prefix", "prefix"),
    (104, "call", "to", "callee"),
    (105, "ring", "insec", "delay"),
    (106, "call_plus", "duration", "duration"),
    (107, "call_plus", "engage", "engage"),
    (108, "sms", "txt", "catalog code"),
    (109, "sms_plus", "msg/list", "message"),
    (109, "ringun", "msg/list", "callee list"),
]


@pytest.fixture
def hook(make_default):
    made = MakeHook()
    yield made
    made.close()


def hook_on(monkeypatch, conn_json: str) -> MakeHook:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", conn_json)
    return MakeHook()


# ----------------------------------------------------------------------------- the table


def test_the_table_holds_every_code_of_the_document():
    assert set(RESULT_CODES) == DOCUMENT_CODES
    for code in DOCUMENT_CODES:
        row = describe(code)
        assert row.code == code
        assert row.meaning


@pytest.mark.parametrize("code", [8, 9, 18, 19, 28, 29, 38, 39, 58, 59, 78, 681, 691])
def test_success_codes_mean_succeed(code):
    assert describe(code).family is Family.ACCEPTED


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (0, Action.RETRY),
        (111, Action.RETRY),
        (100, Action.FIX_REQUEST),
        (101, Action.FIX_ACCOUNT),
        (102, Action.FIX_ACCOUNT),
        *[(code, Action.FIX_REQUEST) for code in range(103, 110)],
        (110, Action.LOST),
        (112, Action.WAIT),
        (555, Action.RETRY),
    ],
)
def test_failure_codes_map_to_the_projects_actions(code, action):
    # Spec decision 11.
    assert action_of(error_for_code(code, "makeSms+")) is action


# ----------------------------------------------------------------------------- success


@pytest.mark.parametrize("name", list(SENDS))
def test_accepted_sends_return_their_success_code(api, client, name):
    result = SENDS[name](client)

    assert describe(result.result_code).family is Family.ACCEPTED
    assert result.result_code in result.kind.success_codes
    assert api.sends()[0]["result_code"] == result.result_code


# ----------------------------------------------------------------------------- 0 and 111


@pytest.mark.parametrize("code", [0, 111])
@pytest.mark.parametrize("name", ["ring", "sms_plus", "call_plus"])
def test_service_side_failures_on_sends(api, client, hook, code, name):
    api.fault(f"code:{code}")
    with pytest.raises(MakeServiceError) as caught:
        SENDS[name](client)

    error = caught.value
    assert error.result_code == code
    assert action_of(error) is Action.RETRY
    assert f"result code {code}" in str(error)
    assert describe(code).meaning in str(error)
    assert len(api.sends()) == 1  # not repeated: the answer said failed

    api.fault(f"code:{code}")
    with pytest.raises(AirflowException) as raised:
        SENDS[name](hook)
    assert not isinstance(raised.value, AirflowFailException)
    assert isinstance(raised.value, MakeServiceError)
    assert raised.value.result_code == code
    assert str(raised.value) == str(error)


@pytest.mark.parametrize("code", [0, 111])
def test_service_side_failures_on_reads(api, client, hook, code):
    api.fault(f"code:{code}", count=2, path="/apilog.php")
    with pytest.raises(MakeServiceError) as caught:
        client.get_tracking("abcdefghijkl15")
    assert caught.value.result_code == code
    with pytest.raises(AirflowException) as raised:
        hook.get_tracking("abcdefghijkl15")
    assert not isinstance(raised.value, AirflowFailException)

    api.fault(f"code:{code}", count=2, path="/apicredits.php")
    with pytest.raises(MakeServiceError):
        client.get_credits()
    with pytest.raises(AirflowException) as raised:
        hook.get_credits()
    assert not isinstance(raised.value, AirflowFailException)


def test_general_error_message_says_it_may_work_later(api, client):
    api.fault("code:0")
    with pytest.raises(MakeServiceError) as caught:
        client.sms(CALLER, CALLEE, "123")

    assert str(caught.value).startswith("makeSms failed with result code 0: general error")
    assert "later" in str(caught.value)


# ----------------------------------------------------------------------------- 100, 103-109


@pytest.mark.parametrize(
    ("code", "name", "argument", "meaning"),
    INVALID_ARGUMENT,
    ids=[f"{c}-{n}" for c, n, _, _ in INVALID_ARGUMENT],
)
def test_invalid_argument_codes(api, client, hook, code, name, argument, meaning):
    api.fault(f"code:{code}")
    with pytest.raises(MakeInvalidArgumentError) as caught:
        SENDS[name](client)

    error = caught.value
    assert not isinstance(error, MakeValidationError)  # the API refused it, not the checks
    assert error.result_code == code
    assert error.argument == argument
    assert action_of(error) is Action.FIX_REQUEST
    message = str(error)
    assert f"result code {code}" in message
    assert meaning in message
    assert describe(code).meaning in message

    api.fault(f"code:{code}")
    with pytest.raises(AirflowFailException) as raised:
        SENDS[name](hook)
    assert isinstance(raised.value, MakeInvalidArgumentError)
    assert raised.value.result_code == code
    assert raised.value.argument == argument
    assert len(api.sends()) == 2  # once per attempt above, never repeated


# ----------------------------------------------------------------------------- 101


def test_wrong_password_is_an_auth_error(api, monkeypatch):
    settings = ClientSettings(LOGIN, "not the password", base_url=api.url)
    with KindClient(settings) as client, pytest.raises(MakeAuthError) as caught:
        client.sms_plus(CALLER, CALLEE, "hi")

    error = caught.value
    assert error.result_code == 101
    assert action_of(error) is Action.FIX_ACCOUNT
    assert "result code 101" in str(error)
    assert "wrong login or password" in str(error)
    assert api.requests()[0]["result_code"] == 101
    assert api.credits_of(LOGIN) == 100_000

    hook = hook_on(monkeypatch, api.conn_json(password="not the password"))
    with pytest.raises(AirflowFailException) as raised:
        hook.ring(CALLER, CALLEE)
    assert isinstance(raised.value, MakeAuthError)
    assert raised.value.result_code == 101


def test_unknown_login_is_an_auth_error(api):
    settings = ClientSettings("nobody@example.com", PASSWORD, base_url=api.url)
    with KindClient(settings) as client, pytest.raises(MakeAuthError):
        client.call(CALLER, CALLEE)


# ----------------------------------------------------------------------------- 102


def test_insufficient_credit(api, monkeypatch):
    settings = ClientSettings(POOR_LOGIN, PASSWORD, base_url=api.url)
    with KindClient(settings) as client, pytest.raises(MakeCreditError) as caught:
        client.sms_plus(CALLER, CALLEE, "Bonjour")  # costs 10, the account has 3

    error = caught.value
    assert error.result_code == 102
    assert action_of(error) is Action.FIX_ACCOUNT
    assert "result code 102" in str(error)
    assert "insufficient credit" in str(error)
    assert api.credits_of(POOR_LOGIN) == 3

    hook = hook_on(monkeypatch, api.conn_json(login=POOR_LOGIN))
    with pytest.raises(AirflowFailException) as raised:
        hook.sms_plus(CALLER, CALLEE, "Bonjour")
    assert isinstance(raised.value, MakeCreditError)
    assert len(api.sends()) == 2


# ----------------------------------------------------------------------------- 110


def test_unknown_tracking_id(api, client, hook):
    with pytest.raises(MakeTrackingUnknownError) as caught:
        client.get_tracking("abcdefghijkl15")

    error = caught.value
    assert error.result_code == 110
    assert action_of(error) is Action.LOST
    assert "result code 110" in str(error)
    assert "unknown tracking id" in str(error)
    assert "one month" in str(error)
    assert len(api.requests("/apilog.php")) == 1  # not retried

    with pytest.raises(AirflowFailException) as raised:
        hook.get_tracking("abcdefghijkl15")
    assert isinstance(raised.value, MakeTrackingUnknownError)
    with pytest.raises(AirflowFailException):
        hook.poll_tracking("abcdefghijkl15")


def test_tracking_expires_after_a_month(api, client):
    sent = client.sms(CALLER, CALLEE, "123")
    api.advance(31 * 86400)

    with pytest.raises(MakeTrackingUnknownError):
        client.get_tracking(sent.id)


# ----------------------------------------------------------------------------- 112


def test_tracking_too_early_then_available(slow_api, monkeypatch):
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=slow_api.url)) as client:
        sent = client.sms_plus(CALLER, CALLEE, "Bonjour")
        with pytest.raises(MakeTrackingNotReadyError) as caught:
            client.get_tracking(sent.id)

        error = caught.value
        assert error.result_code == 112
        assert action_of(error) is Action.WAIT
        assert "result code 112" in str(error)
        assert "10 seconds" in str(error)

        hook = hook_on(monkeypatch, slow_api.conn_json())
        with pytest.raises(AirflowException) as raised:
            hook.get_tracking(sent.id)
        assert not isinstance(raised.value, AirflowFailException)
        assert isinstance(raised.value, MakeTrackingNotReadyError)
        assert hook.poll_tracking(sent.id) is None

        slow_api.advance(11)
        tracking = client.get_tracking(sent.id)
        assert isinstance(tracking, SmsPlusTracking)
        assert tracking.id == sent.id
        assert hook.poll_tracking(sent.id) == tracking
        hook.close()
    assert [r["result_code"] for r in slow_api.requests("/apilog.php")] == [112, 112, 112, None, None]


# ----------------------------------------------------------------------------- odd answers


@pytest.mark.parametrize("code", [555, 1, 113])
def test_an_unknown_code_is_a_service_error(api, client, hook, code):
    api.fault(f"code:{code}")
    with pytest.raises(MakeServiceError) as caught:
        client.ring(CALLER, CALLEE)

    assert caught.value.result_code == code
    assert action_of(caught.value) is Action.RETRY
    assert f"result code {code}" in str(caught.value)
    assert "does not list" in str(caught.value)

    api.fault(f"code:{code}")
    with pytest.raises(AirflowException) as raised:
        hook.ring(CALLER, CALLEE)
    assert not isinstance(raised.value, AirflowFailException)


def test_a_success_code_in_a_failed_answer_to_a_send_is_never_retried(api, client):
    api.fault("code:18")
    with pytest.raises(MakeTransportError) as caught:
        client.ring(CALLER, CALLEE)

    assert caught.value.may_have_been_accepted is True
    assert "result code 18" in str(caught.value)
    assert "contradicts" in str(caught.value)
    assert len(api.requests()) == 1


def test_every_api_error_names_the_request_not_a_url(api, client):
    api.fault("code:104")
    with pytest.raises(MakeApiError) as caught:
        client.call(CALLER, CALLEE)

    assert caught.value.request == "makeCall"
    assert str(caught.value).startswith("makeCall failed with result code 104")
    assert "http" not in str(caught.value)


def test_success_answer_with_another_kinds_code_is_not_taken_for_accepted(api):
    # A path override pointing makeRing at the makeCall endpoint: the API accepts a call
    # (code 8), which is not how it accepts a ring.
    settings = ClientSettings(LOGIN, PASSWORD, base_url=api.url, endpoints={"ring": "apimakecall.php"})
    with KindClient(settings) as misrouted, pytest.raises(MakeError) as caught:
        misrouted.ring(CALLER, CALLEE)

    assert "result code 8" in str(caught.value)
    assert "may have been accepted" in str(caught.value)
    assert api.sends()[0]["result_code"] == 8
    assert len(api.sends()) == 1


def test_success_answer_with_another_kinds_code_fails_the_task(api, monkeypatch):
    hook = hook_on(monkeypatch, api.conn_json(endpoints={"ring": "apimakecall.php"}))
    try:
        with pytest.raises(MakeError) as caught:
            hook.ring(CALLER, CALLEE)
    finally:
        hook.close()

    assert len(api.sends()) == 1  # the call was placed and charged
    assert action_of(caught.value) is Action.UNKNOWN
    assert isinstance(caught.value, AirflowFailException)


def test_credits_with_a_wrong_password_answer_zero_and_the_connection_test_says_so(api, monkeypatch):
    # Spec decision 10: apicredits answers success with 0 credits for wrong credentials.
    with KindClient(ClientSettings(LOGIN, "not the password", base_url=api.url)) as client:
        assert client.get_credits() == 0

    hook = hook_on(monkeypatch, api.conn_json(password="not the password"))
    ok, message = hook.test_connection()
    assert ok is False
    assert "0 credits" in message
    assert "password" in message

    hook = hook_on(monkeypatch, api.conn_json())
    ok, message = hook.test_connection()
    assert ok is True
    assert "100000 credits" in message


def test_every_failure_code_says_what_to_do() -> None:
    """Every failure's message ends with a hint: a code added without one would show '()'."""
    for code, row in RESULT_CODES.items():
        assert row.family is Family.ACCEPTED or row.hint, f"result code {code} has no hint"


#: What the documentation's table says a task does, for each action.
EFFECT = {
    Action.SUCCEED: "accepted: the task goes on",
    Action.FIX_REQUEST: "fails at once, no retry (fix the request)",
    Action.FIX_ACCOUNT: "fails at once, no retry (fix the account)",
    Action.RETRY: "fails this try; retries apply",
    Action.WAIT: "keeps waiting",
    Action.LOST: "fails at once, no retry (waiting cannot help)",
}


def action_of_code(code: int) -> Action:
    """What a task does when the API answers ``code``."""
    if describe(code).family is Family.ACCEPTED:
        return Action.SUCCEED
    return action_of(error_for_code(code, "makeSms+"))


def documented_table() -> str:
    """The table docs/result_codes.rst must hold: an RST simple table, read as is on GitHub."""
    rows = [("code", "meaning", "what the task does", "hint (in the error message)")]
    for code in sorted(RESULT_CODES):
        row = RESULT_CODES[code]
        rows.append((str(code), row.meaning, EFFECT[action_of_code(code)], row.hint))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    rule = "  ".join("=" * width for width in widths)
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join([rule, lines[0], rule, *lines[1:], rule])


def test_the_documentation_shows_this_table() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "result_codes.rst").read_text()
    expected = documented_table()
    assert expected in page, f"docs/result_codes.rst must hold this table:\n{expected}"
