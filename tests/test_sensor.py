"""MakeTrackingSensor (sensors/make.py): one look per poke, its result, its arguments, in-process."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_make.client.errors import MakeTrackingUnknownError, MakeValidationError
from airflow_provider_make.compat import AirflowFailException, AirflowSensorTimeout
from airflow_provider_make.hooks.make import MakeHook
from airflow_provider_make.sensors.make import MakeTrackingSensor
from tests.conftest import Sandbox, TaskInstance


def test_a_poke_is_one_look_done_once_the_request_is_finished(make_default: Sandbox) -> None:
    tracking_id = MakeHook().sms_plus("+33612345678", "+33687654321", "Bonjour").id
    sensor = MakeTrackingSensor(task_id="wait", tracking_id=tracking_id)
    assert sensor.poke({}).is_done is False  # type: ignore[arg-type]  # 112: too early
    make_default.advance(20)
    ti = TaskInstance()
    done = sensor.poke({"ti": ti})  # type: ignore[typeddict-item]
    assert done.is_done is True
    assert done.xcom_value["id"] == tracking_id
    assert done.xcom_value["sent_at"] is not None
    assert len(make_default.requests("/apilog.php")) == 2


def test_a_call_plus_poke_remembers_the_recording_link(make_default: Sandbox) -> None:
    sent = MakeHook().call_plus("+33612345678", "+33687654321", max_duration_minutes=1, recording_notice=True)
    make_default.advance(400)
    sensor = MakeTrackingSensor(task_id="wait", tracking_id=sent.id)
    ti = TaskInstance()
    result = sensor.poke({"ti": ti}).xcom_value  # type: ignore[typeddict-item]
    assert result["record_link"].startswith(make_default.url)
    assert sensor.make_record_link == ti.pushed["make_record_link"] == result["record_link"]


def test_an_unknown_id_fails_the_sensor_without_retries(make_default: Sandbox) -> None:
    sensor = MakeTrackingSensor(task_id="wait", tracking_id="unknownid12345")
    with pytest.raises(MakeTrackingUnknownError, match="result code 110") as caught:
        sensor.poke({})  # type: ignore[arg-type]
    assert isinstance(caught.value, AirflowFailException)


def test_a_deferred_sensor_timeout_fails_without_retries() -> None:
    sensor = MakeTrackingSensor(task_id="wait", tracking_id="abc123")
    with pytest.raises(AirflowSensorTimeout, match="still not finished"):
        sensor.execute_complete({}, {"status": "timeout", "message": "request abc123 was still not finished"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"tracking_id": ""}, "tracking_id"),
        ({"tracking_id": "abc-123"}, "tracking_id"),
        ({"tracking_id": "abc123", "wait_for_follow_up": "yes"}, "wait_for_follow_up"),
        ({"tracking_id": "abc123", "deferrable": 1}, "deferrable"),
    ],
)
def test_a_bad_literal_argument_is_refused_when_the_dag_is_parsed(
    arguments: dict[str, Any], argument: str
) -> None:
    with pytest.raises(MakeValidationError) as caught:
        MakeTrackingSensor(task_id="wait", **arguments)
    assert isinstance(caught.value, AirflowFailException)
    assert str(caught.value).startswith(f"{argument}: ")


def test_a_templated_tracking_id_is_left_for_the_task() -> None:
    sensor = MakeTrackingSensor(task_id="wait", tracking_id="{{ ti.xcom_pull(task_ids='send')['id'] }}")
    assert sensor.tracking_id.startswith("{{")
