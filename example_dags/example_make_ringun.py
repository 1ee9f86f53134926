"""Ring a list of numbers of one country with makeRingun."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeRingunOperator

with DAG(
    dag_id="example_make_ringun", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["make"]
):
    # [START howto_operator_make_ringun]
    ringun = MakeRingunOperator(
        task_id="ringun",
        prefix="33",
        caller="06 87 34 56 78",
        callees=["687654321", "687654322"],
    )
    # [END howto_operator_make_ringun]
