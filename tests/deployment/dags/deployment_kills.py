"""Test DAGs of the deployment tier: one makeSms+ each, killed at a chosen moment by the tests.

They use the ``make_slow`` connection: a sandbox whose clock runs at half speed, so the
tracking log appears about 20 s after the request and the wait lasts long enough to kill
something during it. A retry comes 2 s after a failed try.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator

SENDER = "+33612345678"
RECIPIENT = "+33687654321"
RETRY = {"retries": 1, "retry_delay": timedelta(seconds=2)}

with DAG(
    dag_id="deployment_kill_while_waiting",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=RETRY,
):
    # Kill the task process during the wait in the worker: the retry must wait for the same SMS.
    MakeSmsPlusOperator(
        task_id="send_and_wait",
        make_conn_id="make_slow",
        sender=SENDER,
        recipient=RECIPIENT,
        message="killed while waiting, sent once",
        wait_for_completion=True,
        deferrable=False,
        poll_interval=1,
        timeout=180,
    )

with DAG(
    dag_id="deployment_kill_in_flight",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=RETRY,
):
    # Kill the task process while the request is on the wire (the sandbox holds the answer):
    # the retry cannot know whether the SMS went out, so it must not send it again.
    MakeSmsPlusOperator(
        task_id="send",
        make_conn_id="make_slow",
        sender=SENDER,
        recipient=RECIPIENT,
        message="killed in flight, never sent twice",
    )

with DAG(
    dag_id="deployment_kill_triggerer",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=RETRY,
):
    # Kill the triggerer during the deferred wait: a new triggerer takes the wait over.
    MakeSmsPlusOperator(
        task_id="send_and_wait",
        make_conn_id="make_slow",
        sender=SENDER,
        recipient=RECIPIENT,
        message="triggerer killed, sent once",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=1,
        timeout=180,
    )

with DAG(
    dag_id="deployment_kill_in_flight_last_try",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
):
    # The same kill on the task's last try: no code of the provider runs after it, yet the
    # make page must list the request as unknown (tests/deployment/test_monitoring.py).
    MakeSmsPlusOperator(
        task_id="send",
        make_conn_id="make_slow",
        sender=SENDER,
        recipient=RECIPIENT,
        message="killed in flight on the last try",
    )
