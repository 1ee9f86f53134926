"""Test DAG: three makeSms+ operators, whose sends the provider counts in its metrics.

The test queues a refusal for one of them and listens for the StatsD packets
(tests/test_metrics.py); the refused task fails, the run goes on.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator

RECIPIENTS = ("+33600000001", "+33600000002", "+33600000003")

with DAG(dag_id="make_metrics", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    for number, recipient in enumerate(RECIPIENTS):
        MakeSmsPlusOperator(
            task_id=f"send_{number}",
            sender="+33612345678",
            recipient=recipient,
            message="Hello from the metrics test",
            retries=0,
        )
