"""Test DAGs: two DAGs, each with one makeSms+ sent to the sandbox and kept in its monitoring
record the way the operators keep it (the make page's browser test, the FAB auth manager's test)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

DAG_IDS = ("make_recorded_one", "make_recorded_two")
#: Whom each sends to.
RECIPIENT = "+33687654321"


def send_and_record(**context: Any) -> None:
    from airflow_provider_make.client import calls
    from airflow_provider_make.durable import DurableState
    from airflow_provider_make.hooks.make import MakeHook
    from airflow_provider_make.monitoring.records import RequestRecord

    hook = MakeHook()
    call = hook.build(calls.sms_plus, sender="+33612345678", recipient=RECIPIENT, message="Hello")
    record = RequestRecord(DurableState(context), context, kind="sms+", recipients=[RECIPIENT])
    record.intent({"intent": "fingerprint", "at": "now"})
    result = hook.send(call)
    record.answer(result.to_dict(), {"id": result.id}, hook.tracking_url(result.id))


for dag_id in DAG_IDS:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
        PythonOperator(task_id="send", python_callable=send_and_record)
