"""Test DAG: three makeSms+ operators and a campaign of five rows, whose sends the provider
counts in its metrics.

The test queues a refusal for the first makeSms+ the sandbox receives and listens for the
StatsD packets (tests/test_metrics.py); the task that got it fails, the run goes on.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator
from airflow_provider_make.operators.make import MakeSmsPlusOperator

SENDER = "+33612345678"
RECIPIENTS = ("+33600000001", "+33600000002", "+33600000003")
CAMPAIGN = [f"+3361000000{index}" for index in range(5)]

with DAG(dag_id="make_metrics", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    for number, recipient in enumerate(RECIPIENTS):
        MakeSmsPlusOperator(
            task_id=f"send_{number}",
            sender=SENDER,
            recipient=recipient,
            message="Hello from the metrics test",
            retries=0,
        )
    MakeBulkSmsPlusOperator(
        task_id="campaign", sender=SENDER, recipients=CAMPAIGN, message="Hello, row", retries=0
    )
