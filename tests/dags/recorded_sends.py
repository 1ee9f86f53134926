"""Test DAGs: two DAGs, each with one makeSms+ sent to the sandbox by the operator, which keeps
its monitoring record (the make page's tests, the FAB auth manager's test)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator

DAG_IDS = ("make_recorded_one", "make_recorded_two")
#: Whom each sends to.
RECIPIENT = "+33687654321"

for dag_id in DAG_IDS:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
        MakeSmsPlusOperator(task_id="send", sender="+33612345678", recipient=RECIPIENT, message="Hello")
