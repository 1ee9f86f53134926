"""Ring four phones at once with makeRing+."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeRingPlusOperator

with DAG(
    dag_id="example_make_ring_plus",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
):
    # [START howto_operator_make_ring_plus]
    ring_plus = MakeRingPlusOperator(
        task_id="ring_plus",
        pairs=[
            ("+33612345678", "+33687654321"),
            ("+33612345679", "+33687654322"),
            ("+33612345670", "+33687654323"),
            ("+33612345671", "+33687654324"),
        ],
        delay_seconds=0,
    )
    # [END howto_operator_make_ring_plus]
