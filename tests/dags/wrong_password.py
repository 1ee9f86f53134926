"""Test DAG: a wrong password (result code 101) fails the task at once, retries unused."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeCreditsOperator, MakeSmsPlusOperator

with DAG(
    dag_id="wrong_password",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(seconds=1)},
):
    MakeSmsPlusOperator(task_id="send", sender="+33612345678", recipient="+33687654321", message="hi")
    MakeCreditsOperator(task_id="credits", min_credits=1)
