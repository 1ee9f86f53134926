"""Test DAG: every operator with a wrong argument known only when the task runs (a phone number,
or a template's value); each task must fail before sending anything, without using its retries.
A wrong literal fails the DAG file's import instead (tests/dags_import_errors/)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_make.operators.make import (
    MakeCallOperator,
    MakeCallPlusOperator,
    MakeRingOperator,
    MakeRingPlusOperator,
    MakeRingunOperator,
    MakeSmsOperator,
    MakeSmsPlusOperator,
)

GOOD = "+33612345678"

with DAG(
    dag_id="bad_arguments",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(seconds=1)},
    params={
        "delay": "7201",
        "one_pair": [[GOOD, GOOD]],
        "no_callees": [],
        "duration": 11,
        "code": "abc",
        "euro": "€",
    },
):
    MakeRingOperator(task_id="ring_letters", caller="06-CALL-ME", callee=GOOD)
    MakeRingOperator(
        task_id="ring_templated_delay", caller=GOOD, callee=GOOD, delay_seconds="{{ params.delay }}"
    )
    MakeRingPlusOperator(task_id="ring_plus_one_pair", pairs="{{ params.one_pair }}")  # type: ignore[arg-type]
    MakeRingunOperator(
        task_id="ringun_no_callee",
        prefix="33",
        caller="687345678",
        callees="{{ params.no_callees }}",  # type: ignore[arg-type]
    )
    MakeCallOperator(task_id="call_short_number", caller=GOOD, callee="+33 6 12")
    MakeCallPlusOperator(
        task_id="call_plus_long",
        caller=GOOD,
        callee=GOOD,
        max_duration_minutes="{{ params.duration }}",
        recording_notice=True,
    )
    MakeSmsOperator(task_id="sms_bad_code", sender=GOOD, recipient=GOOD, catalog_code="{{ params.code }}")
    MakeSmsPlusOperator(
        task_id="sms_plus_euro", sender=GOOD, recipient=GOOD, message="Only 5{{ params.euro }} today"
    )
