"""Test DAG file: a literal recording_notice=False fails the file's import, naming the argument."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeCallPlusOperator

with DAG(dag_id="call_plus_without_notice", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    MakeCallPlusOperator(
        task_id="recorded_call",
        caller="+33612345678",
        callee="+33687654321",
        max_duration_minutes=2,
        recording_notice=False,
    )
