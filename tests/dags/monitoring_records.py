"""Test DAGs: tasks that send and keep their monitoring records the way the operators do.

Each task writes through :class:`~airflow_provider_make.durable.DurableState` to one of
the two stores (``task_state_store`` on 3.3, Variables before: the ``store`` argument
forces Variables on 3.3 too), and sends to the sandbox through the real client.
"""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

STORES = ("task_state_store", "variable")


def _durable(context: Any, store: str) -> Any:
    from airflow_provider_make.durable import DurableState

    return DurableState(context if store == "task_state_store" else {**context, "task_state_store": None})


def _sms(conn_id: str, recipient: str) -> Any:
    from airflow_provider_make.client import calls
    from airflow_provider_make.hooks.make import MakeHook

    hook = MakeHook(make_conn_id=conn_id)
    return hook, hook.build(calls.sms, sender="+33612345678", recipient=recipient, catalog_code="123")


def send(store: str, conn_id: str = "make_default", fail_first_try: bool = False, **context: Any) -> None:
    """What a send operator does: keep the intent, send, keep the answer (or the refusal)."""
    from airflow_provider_make.client.errors import MakeError
    from airflow_provider_make.monitoring.records import RequestRecord, record_finished
    from airflow_provider_make.xcom_keys import STATE_REQUEST

    durable = _durable(context, store)
    earlier = durable.get(STATE_REQUEST) or {}
    if not earlier.get("id"):  # an earlier try had it accepted: never twice
        recipient = "+33687654321"
        hook, call = _sms(conn_id, recipient)
        record = RequestRecord(durable, context, kind="sms", recipients=[recipient], earlier=earlier)
        record.intent({"intent": "fingerprint", "at": "now"})
        try:
            result = hook.client.request(call)
        except MakeError as error:
            record.refusal(error.result_code, str(error))
            raise
        request = result.to_dict()
        record.answer(request, {**request, "fingerprint": "fingerprint"}, hook.tracking_url(request["id"]))
        record_finished(durable, datetime.now(timezone.utc))
    if fail_first_try and context["ti"].try_number == 1:
        raise RuntimeError("failing after the send, so that the task is retried")


def killed(store: str, **context: Any) -> None:
    """The worker dies while the request is on the wire: nothing of ours runs after the intent."""
    from airflow_provider_make.monitoring.records import RequestRecord

    record = RequestRecord(_durable(context, store), context, kind="sms+", recipients=["+33611111111"])
    record.intent({"intent": "fingerprint", "at": "now"})
    os.kill(os.getpid(), signal.SIGKILL)


def campaign(store: str, total: int, running: bool = False, **context: Any) -> None:
    """A campaign's records as its runner leaves them: the ledger's chunks, then its state
    carrying the monitoring record."""
    from airflow_provider_make.campaign.ledger import Ledger, Result
    from airflow_provider_make.monitoring.records import campaign_record, identity, utc_now

    ledger = Ledger(_durable(context, store), "fingerprint", total)
    for row in range(total):
        ledger.record(
            row, Result("accepted", f"id{row}", 28, 5) if row % 10 else Result("failed", "", 102, 0, "no")
        )
    refused = len(range(0, total, 10))
    counts = {"total": total, "accepted": total - refused, "refused": refused}
    counts.update(invalid=0, unknown=0, skipped_duplicates=0, cost=ledger.spent)
    ledger.monitor = campaign_record(identity(context), counts=counts, started_at=utc_now(), running=running)
    ledger.commit(ledger.prepare([], frontier=total))


START = datetime(2026, 1, 1)

with DAG(dag_id="monitoring_sends", schedule=None, start_date=START, catchup=False):
    for name in STORES:
        PythonOperator(task_id=f"accepted_{name}", python_callable=send, op_kwargs={"store": name})
        PythonOperator(
            task_id=f"refused_{name}", python_callable=send, op_kwargs={"store": name, "conn_id": "make_poor"}
        )
        PythonOperator(
            task_id=f"retried_{name}",
            python_callable=send,
            op_kwargs={"store": name, "fail_first_try": True},
            retries=1,
            retry_delay=timedelta(seconds=0),
        )
        PythonOperator(
            task_id=f"campaign_{name}", python_callable=campaign, op_kwargs={"store": name, "total": 300}
        )
    # Its task ends with the campaign recorded as running (as when its worker dies mid-campaign).
    PythonOperator(
        task_id="campaign_stopped",
        python_callable=campaign,
        op_kwargs={"store": "variable", "total": 10, "running": True},
    )

for name in STORES:
    with DAG(dag_id=f"monitoring_killed_{name}", schedule=None, start_date=START, catchup=False):
        PythonOperator(task_id="killed", python_callable=killed, op_kwargs={"store": name}, retries=0)
