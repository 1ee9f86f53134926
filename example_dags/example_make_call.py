"""Bridge two phones with makeCall and wait for the call to end."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeCallOperator

with DAG(
    dag_id="example_make_call", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["make"]
):
    # [START howto_operator_make_call]
    call = MakeCallOperator(
        task_id="call",
        caller="+33 6 12 34 56 78",
        callee="+33 6 87 65 43 21",
        wait_for_completion=True,
        poll_interval=5,
    )
    # [END howto_operator_make_call]
