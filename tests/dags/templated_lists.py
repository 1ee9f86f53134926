"""Test DAG: list arguments rendered by templates, without render_template_as_native_obj."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_make.operators.make import MakeRingPlusOperator, MakeRingunOperator

with DAG(
    dag_id="templated_lists",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"pairs": [["+33612345671", "+33687654321"], ["+33612345672", "+33687654322"]]},
):

    @task
    def callees() -> list[str]:
        return ["687654321", "687654322", "687654323"]

    MakeRingPlusOperator(task_id="ring_plus", pairs="{{ params.pairs }}")  # type: ignore[arg-type]
    # The XCom must exist before the template that pulls it renders.
    callees() >> MakeRingunOperator(
        task_id="ringun",
        prefix="33",
        caller="687345678",
        callees="{{ ti.xcom_pull(task_ids='callees') }}",  # type: ignore[arg-type]
    )
