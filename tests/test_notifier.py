"""MakeSmsNotifier: notify and async_notify send one makeSms+; bad arguments are logged clearly."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.notifications.make import MakeSmsNotifier
from tests.conftest import TEST_DAGS, AirflowHome, Sandbox


def _notifier(**overrides: str) -> MakeSmsNotifier:
    arguments = {"sender": "+33612345678", "recipient": "+33687654321", "message": "DAG failed"} | overrides
    return MakeSmsNotifier(**arguments)


def test_notify_sends_one_sms(make_default: Sandbox) -> None:
    _notifier().notify({})  # type: ignore[arg-type]
    [sms] = make_default.sends()
    assert sms["path"] == "/apimakesmsplus.php"
    assert sms["params"]["msg"] == "DAG failed"


def test_async_notify_sends_one_sms(make_default: Sandbox) -> None:
    asyncio.run(_notifier(message="async alert").async_notify({}))  # type: ignore[arg-type]
    [sms] = make_default.sends()
    assert sms["params"]["msg"] == "async alert"


@pytest.mark.parametrize("use_async", [False, True])
def test_a_bad_argument_is_logged_then_raised(
    make_default: Sandbox, capsys: pytest.CaptureFixture[str], use_async: bool
) -> None:
    notifier = _notifier(message="price: 5€")

    def notify() -> None:
        if use_async:
            asyncio.run(notifier.async_notify({}))  # type: ignore[arg-type]
        else:
            notifier.notify({})  # type: ignore[arg-type]

    with pytest.raises(MakeValidationError):
        notify()
    assert make_default.requests() == []
    logged = "".join(capsys.readouterr())  # Airflow's structlog writes to the console
    assert "MakeSmsNotifier could not send the SMS to +33687654321: message: 1 character(s)" in logged


@pytest.mark.airflow
def test_a_bad_argument_in_a_callback_is_not_lost(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test(
        "notifier_bad_argument", api.conn_json(), dagfile=TEST_DAGS / "notifier_bad_argument.py"
    )
    assert run.task_states()["fails"][0] == "failed"
    assert api.requests() == []
    assert "MakeSmsNotifier could not send the SMS to not a number: recipient: 'not a number'" in run.output
