"""Bench DAG: one send's durable writes with and without the monitoring record, interleaved.

Each round sends one makeSms to the sandbox twice: once keeping the intent and the answer
as the operators did before monitoring (``durable.set``), once through
:class:`~airflow_provider_make.monitoring.records.RequestRecord` (the same two writes,
with the record beside the values). The task prints the medians.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

ROUNDS = int(os.environ.get("MONITORING_ROUNDS", "40"))


def measure(**context: Any) -> None:
    from airflow_provider_make.client import calls
    from airflow_provider_make.durable import DurableState
    from airflow_provider_make.hooks.make import MakeHook
    from airflow_provider_make.monitoring.records import RequestRecord
    from airflow_provider_make.xcom_keys import STATE_REQUEST

    durable = DurableState(context)
    hook = MakeHook()
    call = hook.build(calls.sms, sender="+33612345678", recipient="+33687654321", catalog_code="123")
    hook.send(call)  # warm the connection
    plain: list[float] = []
    recorded: list[float] = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        durable.set(STATE_REQUEST, {"intent": "fingerprint", "at": "now"})
        request = hook.send(call).to_dict()
        durable.set(STATE_REQUEST, {**request, "fingerprint": "fingerprint"})
        plain.append(time.perf_counter() - start)

        start = time.perf_counter()
        record = RequestRecord(durable, context, kind="sms", recipients=["+33687654321"])
        record.intent({"intent": "fingerprint", "at": "now"})
        request = hook.send(call).to_dict()
        record.answer(request, {**request, "fingerprint": "fingerprint"}, hook.tracking_url(request["id"]))
        recorded.append(time.perf_counter() - start)
    plain_ms, recorded_ms = statistics.median(plain) * 1000, statistics.median(recorded) * 1000
    print(f"RECORDING plain={plain_ms:.2f} recorded={recorded_ms:.2f}")


with DAG(dag_id="monitoring_recording_cost", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    PythonOperator(task_id="measure", python_callable=measure)
