"""Send an SMS and wait in the triggerer until it is sent; a retry never sends it twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator
from airflow_provider_make.sensors.make import MakeTrackingSensor

with DAG(
    dag_id="example_make_sms_wait_deferrable",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
):
    # [START howto_operator_make_sms_wait_deferrable]
    send = MakeSmsPlusOperator(
        task_id="send_sms",
        sender="+33 6 12 34 56 78",
        recipient="+33 6 87 65 43 21",
        message="Your order of {{ dag_run.run_after | ds }} leaves the warehouse today.",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=5,
        timeout=600,
    )
    # [END howto_operator_make_sms_wait_deferrable]

    # [START howto_sensor_make_tracking]
    follow_up = MakeTrackingSensor(
        task_id="wait_for_follow_up_sms",
        tracking_id="{{ ti.xcom_pull(task_ids='send_sms', key='make_tracking_id') }}",
        wait_for_follow_up=True,
        deferrable=True,
        poke_interval=5,
        timeout=900,
    )
    # [END howto_sensor_make_tracking]

    send >> follow_up
