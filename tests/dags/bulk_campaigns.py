"""Test DAGs of campaigns: a large list, bad rows, no credit in the middle, waiting in the worker, a dry run.

The list size and the results path come from the environment, so one file serves the
tests of tests/test_bulk_dags.py.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator

ROWS = int(os.environ.get("BULK_ROWS", "100"))
CONCURRENCY = int(os.environ.get("BULK_CONCURRENCY", "20"))
RESULTS = os.environ.get("BULK_RESULTS_PATH") or None
#: bench/campaign.py measures the campaign task's CPU and memory (bench/measure.py).
MEASURE: dict[str, Any] = {}
if os.environ.get("BULK_MEASURE"):
    from bench import measure

    MEASURE = {"pre_execute": measure.started, "post_execute": measure.finished}


def people(count: int) -> list[dict[str, Any]]:
    return [{"recipient": f"+3361{index:07d}", "name": f"P{index}"} for index in range(count)]


with DAG(dag_id="bulk_large", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):

    @task
    def everyone() -> list[dict[str, Any]]:
        return people(ROWS)

    MakeBulkSmsPlusOperator(
        task_id="campaign",
        sender="+33612345678",
        recipients=everyone(),
        message="Bonjour {name}",
        max_concurrency=CONCURRENCY,
        results_path=RESULTS,
        **MEASURE,
    )

with DAG(dag_id="bulk_bad_rows", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    rows: list[Any] = [*people(3), {"recipient": "+33 6 12", "name": "x"}, {"recipient": "+33610000009"}]
    MakeBulkSmsPlusOperator(
        task_id="fail", sender="+33612345678", recipients=rows, message="Hi {name}", on_invalid="fail"
    )
    MakeBulkSmsPlusOperator(
        task_id="skip",
        sender="+33612345678",
        # A string rendered by a template (here, a plain one) is read as a list.
        recipients="{{ params.rows | tojson }}",
        params={"rows": [{"recipient": "+33620000000", "name": "Ana"}, "not a number"]},
        message="Hi {name}",
        on_invalid="skip",
    )

with DAG(dag_id="bulk_dry_run", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    # COST_PER_SMS unset: the last makeSms+ cost seen charged to the account (or unknown).
    COST = os.environ.get("BULK_COST_PER_SMS")
    MakeBulkSmsPlusOperator(
        task_id="rehearse",
        sender="+33612345678",
        recipients=people(ROWS),
        message="Bonjour {name}",
        dry_run=True,
        cost_per_sms=int(COST) if COST else None,
        results_path=RESULTS,
        **MEASURE,
    )

with DAG(
    dag_id="bulk_no_credit_then_retry",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=8)},
):
    # The account runs out of credit halfway: 102 fails the task without its retries.
    MakeBulkSmsPlusOperator(
        task_id="campaign",
        sender="+33612345678",
        recipients=people(40),
        message="Hi {name}",
        max_concurrency=4,
    )

with DAG(dag_id="bulk_wait_in_worker", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    MakeBulkSmsPlusOperator(
        task_id="campaign",
        sender="+33612345678",
        recipients=people(12),
        message="Hi {name}",
        wait_for_completion=True,
        deferrable=False,
        poll_interval=0.5,
        timeout=60,
    )
