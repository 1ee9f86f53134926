"""Test DAG file: a literal delay over 7200 seconds fails the file's import, naming the argument."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator

with DAG(dag_id="delay_too_long", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    MakeSmsPlusOperator(
        task_id="send", sender="+33612345678", recipient="+33687654321", message="hi", delay_seconds=7201
    )
