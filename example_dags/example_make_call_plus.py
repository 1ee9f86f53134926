"""Record a call with makeCall+; the task shows a "Call recording" link once it is over."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeCallPlusOperator

with DAG(
    dag_id="example_make_call_plus",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
):
    # [START howto_operator_make_call_plus]
    recorded_call = MakeCallPlusOperator(
        task_id="recorded_call",
        caller="+33 6 12 34 56 78",
        callee="+33 6 87 65 43 21",
        max_duration_minutes=2,
        recording_notice=True,  # you commit to telling both parties the call is recorded
        wait_for_completion=True,
        poll_interval=5,
    )
    # [END howto_operator_make_call_plus]
