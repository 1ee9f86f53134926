"""Test DAGs: the first try fails while waiting, the retry must not send the SMS again.

On a real-time sandbox the tracking log appears 10 s after the request, so a 3 s wait
always times out on the first try; the retry starts 12 s later and finds the SMS sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeSmsPlusOperator

for deferrable in (False, True):
    with DAG(
        dag_id=f"retry_after_waiting_failure_{'deferrable' if deferrable else 'poke'}",
        schedule=None,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        default_args={"retries": 1, "retry_delay": timedelta(seconds=12)},
    ):
        MakeSmsPlusOperator(
            task_id="send_and_wait",
            sender="+33612345678",
            recipient="+33687654321",
            message="sent once, however many tries",
            wait_for_completion=True,
            deferrable=deferrable,
            poll_interval=1,
            timeout=3,
        )

with DAG(
    dag_id="retry_with_changed_arguments",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=1)},
):
    # The text changes from one try to the next: the retry must refuse to guess.
    MakeSmsPlusOperator(
        task_id="send_and_wait",
        sender="+33612345678",
        recipient="+33687654321",
        message="attempt {{ ti.try_number }}",
        wait_for_completion=True,
        deferrable=False,
        poll_interval=1,
        timeout=3,
    )

for resend in (False, True):
    with DAG(
        dag_id=f"retry_after_a_send_cut_short_{'resend' if resend else 'refuse'}",
        schedule=None,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        default_args={"retries": 2, "retry_delay": timedelta(seconds=1)},
    ):
        # The sandbox holds the answer longer than the try may last: the try ends while its
        # request is on the wire (the API accepted it), as when a worker dies mid-send.
        MakeSmsPlusOperator(
            task_id="send",
            sender="+33612345678",
            recipient="+33687654321",
            message="cut short",
            execution_timeout=timedelta(seconds=2),
            resend_unknown=resend,
        )
