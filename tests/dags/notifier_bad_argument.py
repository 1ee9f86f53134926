"""Test DAG: a notifier with a wrong recipient must say so in the log, not fail silently."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_make.notifications.make import MakeSmsNotifier

with DAG(dag_id="notifier_bad_argument", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):

    @task(
        on_failure_callback=MakeSmsNotifier(
            sender="+33612345678", recipient="not a number", message="{{ ti.task_id }} failed"
        )
    )
    def fails() -> None:
        raise RuntimeError("boom")

    fails()
