"""Send a message of the account's SMS catalog with makeSms."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsOperator

with DAG(
    dag_id="example_make_sms", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["make"]
):
    # [START howto_operator_make_sms]
    sms = MakeSmsOperator(
        task_id="sms",
        sender="+33 6 12 34 56 78",
        recipient="+33 6 87 65 43 21",
        catalog_code="123",
    )
    # [END howto_operator_make_sms]
