"""Test DAG: three makeSms+ through the hook, each counted with the provider's metrics.

The test queues a refusal for one of them and listens for the StatsD packets
(tests/test_metrics.py).
"""

from __future__ import annotations

import time
from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

RECIPIENTS = ("+33600000001", "+33600000002", "+33600000003")


def send_and_count() -> None:
    from airflow_provider_make.client.errors import MakeApiError
    from airflow_provider_make.client.kinds import RequestKind
    from airflow_provider_make.hooks.make import MakeHook
    from airflow_provider_make.monitoring import metrics

    hook = MakeHook()
    for recipient in RECIPIENTS:
        started = time.monotonic()
        try:
            result = hook.sms_plus("+33612345678", recipient, "Hello from the metrics test")
        except MakeApiError as error:
            metrics.refused(RequestKind.SMS_PLUS, result_code=error.result_code)
        else:
            metrics.accepted(result.kind, cost=result.cost, credits_left=result.credits)
        finally:
            metrics.api_exchange(RequestKind.SMS_PLUS.endpoint, time.monotonic() - started)


with DAG(dag_id="make_metrics", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    PythonOperator(task_id="send_and_count", python_callable=send_and_count)
