"""Ring a phone with makeRing and wait until it has stopped ringing."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeRingOperator

with DAG(
    dag_id="example_make_ring", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["make"]
):
    # [START howto_operator_make_ring]
    ring = MakeRingOperator(
        task_id="ring",
        caller="+33 6 12 34 56 78",
        callee="+33 6 87 65 43 21",
        wait_for_completion=True,
        poll_interval=5,
    )
    # [END howto_operator_make_ring]
