"""A campaign's worker killed (SIGKILL) mid-list on a real deployment, then retried by the scheduler.

Every row must be accepted at most once at the sandbox; every row the campaign does not
report ``accepted`` must be ``unknown`` (never silently lost); and at most
2 x ``max_concurrency`` rows may end ``unknown``.
"""

from __future__ import annotations

import collections
import shutil
import time

import pytest

from tests.conftest import TEST_DAGS
from tests.deployment.conftest import Deployment, _q, wait_for
from tests.deployment.test_deployment import _task_process

pytestmark = pytest.mark.deployment
DAG_ID, TASK_ID, CONCURRENCY, ROWS = "bulk_kill_campaign", "campaign", 8, 600


def test_a_killed_campaign_is_retried_without_sending_twice(local_airflow: Deployment) -> None:
    sandbox = local_airflow.slow
    sandbox.reset()
    shutil.copy(TEST_DAGS / "bulk_kill_campaign.py", local_airflow.home / "dags" / "bulk_kill_campaign.py")
    wait_for(
        "the campaign DAG parsed", lambda: DAG_ID in local_airflow.dag_ids() or None, timeout=120, interval=1
    )
    run_id = local_airflow.trigger(DAG_ID)
    ti_id = local_airflow.wait_task_state(DAG_ID, run_id, TASK_ID, "running", timeout=90)
    wait_for(
        "a third of the list sent",
        lambda: len(sandbox.sms_plus()) >= ROWS // 3 or None,
        timeout=120,
        interval=0.1,
    )
    _task_process(ti_id).kill()
    killed_at = len(sandbox.sms_plus())
    assert killed_at < ROWS

    assert local_airflow.wait_run(DAG_ID, run_id, 300) == "success"
    time.sleep(3)  # a late duplicate would show
    accepted = collections.Counter(r["params"]["to"] for r in sandbox.sms_plus() if r["id"])
    assert max(accepted.values()) == 1, "a row was accepted twice"
    ti = local_airflow.task_instance(DAG_ID, run_id, TASK_ID)
    assert ti["try_number"] == 2
    xcom = local_airflow.api(
        "GET",
        f"/api/v2/dags/{DAG_ID}/dagRuns/{_q(run_id)}/taskInstances/{TASK_ID}/xcomEntries/make_campaign_results"
        "?deserialize=true",
    )
    results = xcom["value"]
    unknown = [row for row in results if row["status"] == "unknown"]
    assert len(unknown) <= 2 * CONCURRENCY
    for row in results:
        assert row["status"] in ("accepted", "unknown"), row
    summary = local_airflow.api(
        "GET",
        f"/api/v2/dags/{DAG_ID}/dagRuns/{_q(run_id)}/taskInstances/{TASK_ID}/xcomEntries/return_value"
        "?deserialize=true",
    )["value"]
    assert summary["accepted"] + summary["unknown"] == ROWS
    assert summary["accepted"] == sum(1 for row in results if row["status"] == "accepted")
