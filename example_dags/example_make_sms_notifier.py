"""Get an SMS when a task fails, with MakeSmsNotifier."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_make.notifications.make import MakeSmsNotifier

with DAG(
    dag_id="example_make_sms_notifier",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
):
    # [START howto_notifier_make_sms]
    @task(
        on_failure_callback=MakeSmsNotifier(
            sender="+33 6 12 34 56 78",
            recipient="+33 6 87 65 43 21",
            message="Airflow: {{ ti.task_id }} of {{ dag.dag_id }} failed ({{ dag_run.run_after | ds }}).",
        )
    )
    def nightly_export() -> None:
        raise RuntimeError("the export failed")

    # [END howto_notifier_make_sms]

    nightly_export()
