"""Send free text with makeSms+, templated from the run."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator

with DAG(
    dag_id="example_make_sms_plus",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
):
    # [START howto_operator_make_sms_plus]
    sms_plus = MakeSmsPlusOperator(
        task_id="sms_plus",
        sender="+33 6 12 34 56 78",
        recipient="+33 6 87 65 43 21",
        message="Report of {{ dag_run.run_after | ds }} is ready. Have a nice day!",
        delay_seconds=0,
    )
    # [END howto_operator_make_sms_plus]
