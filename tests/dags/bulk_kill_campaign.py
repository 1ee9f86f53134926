"""The campaign the deployment tier kills: 600 rows on the ``make_slow`` sandbox, retried.

tests/deployment/test_campaign_kill.py copies this file into the deployment's DAGs
folder, triggers it, SIGKILLs the task process mid-campaign and lets the scheduler retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator

with DAG(
    dag_id="bulk_kill_campaign",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
):
    MakeBulkSmsPlusOperator(
        task_id="campaign",
        make_conn_id="make_slow",
        sender="+33612345678",
        recipients=[{"recipient": f"+3361{index:07d}", "name": f"P{index}"} for index in range(600)],
        message="Bonjour {name}",
        max_concurrency=8,
        max_per_second=60,  # about 10 s of sending: time to kill it in the middle
    )
