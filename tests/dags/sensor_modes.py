"""Test DAGs: send an SMS, then wait for it with the sensor in poke and reschedule modes, and
an SMS operator that waits in the worker (poke mode of the operator)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeCallPlusOperator, MakeSmsPlusOperator
from airflow_provider_make.sensors.make import MakeTrackingSensor

for mode in ("poke", "reschedule"):
    with DAG(dag_id=f"sensor_{mode}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
        send = MakeSmsPlusOperator(
            task_id="send", sender="+33612345678", recipient="+33687654321", message="hello"
        )
        wait = MakeTrackingSensor(
            task_id="wait",
            tracking_id="{{ ti.xcom_pull(task_ids='send')['id'] }}",
            mode=mode,
            poke_interval=1,
            timeout=60,
            deferrable=False,
        )
        send >> wait

with DAG(dag_id="sms_wait_in_worker", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    MakeSmsPlusOperator(
        task_id="send_and_wait",
        sender="+33612345678",
        recipient="+33687654321",
        message="waited for in the worker",
        wait_for_completion=True,
        deferrable=False,
        poll_interval=1,
        timeout=60,
    )

with DAG(dag_id="mapped_deferrable", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    MakeSmsPlusOperator.partial(
        task_id="send_each",
        sender="+33612345678",
        message="one of several",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=1,
        timeout=60,
    ).expand(recipient=["+33687654321", "+33687654322"])

with DAG(dag_id="call_plus_deferrable", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    call = MakeCallPlusOperator(
        task_id="recorded_call",
        caller="+33612345678",
        callee="+33687654321",
        max_duration_minutes=1,
        recording_notice=True,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=1,
        timeout=60,
    )
    MakeTrackingSensor(
        task_id="sensor_on_call",
        tracking_id="{{ ti.xcom_pull(task_ids='recorded_call', key='make_tracking_id') }}",
        deferrable=True,
        poke_interval=1,
        timeout=60,
    ).set_upstream(call)
