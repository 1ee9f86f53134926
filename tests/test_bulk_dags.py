"""Campaigns run by real Airflow (``airflow dags test``) against the sandbox.

What the sandbox received is checked against the task's return value (the summary) and
its per-row results XCom, as a user would read them.
"""

from __future__ import annotations

import collections
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LOGIN, PASSWORD, TEST_DAGS, AirflowHome, DagRun, Sandbox

pytestmark = pytest.mark.airflow
SMS_PATH = "/apimakesmsplus.php"
DAGS = TEST_DAGS / "bulk_campaigns.py"


def _accepted(api: Sandbox) -> collections.Counter[str]:
    return collections.Counter(r["params"]["to"] for r in api.requests(SMS_PATH) if r["id"])


def _state(run: DagRun, task_id: str) -> tuple[str, int]:
    return run.task_states()[task_id]


def test_the_example_campaign_sends_personalised_texts_and_waits(
    airflow_home: AirflowHome, api: Sandbox
) -> None:
    run = airflow_home.dags_test("example_make_bulk_sms", api.conn_json())
    assert run.returncode == 0, run.output[-4000:]
    assert _state(run, "tell_customers") == ("success", 1), run.output[-4000:]
    assert "running trigger in line" in run.output  # the wait was deferred
    texts = {r["params"]["to"]: r["params"]["msg"] for r in api.requests(SMS_PATH)}
    assert texts == {
        "33687654321": "Bonjour Camille, votre colis FR-1001 arrive demain.",
        "33687654322": "Bonjour Yanis, votre colis FR-1002 arrive demain.",
        "33687654323": "Bonjour Léa, votre colis FR-1003 arrive demain.",
        "33687654324": "Votre colis FR-1004 est en retard, désolé.",
    }
    summary = run.xcom("tell_customers")
    assert summary["accepted"] == 4 and summary["cost"] == 40 and summary["delivered"] == 4
    results = run.xcom("tell_customers", "make_campaign_results")
    assert [row["status"] for row in results] == ["accepted"] * 4
    assert all(row["delivered_at"] for row in results)


def test_ten_thousand_rows_each_sent_exactly_once(
    airflow_home: AirflowHome, api: Sandbox, tmp_path: Path
) -> None:
    results_path = tmp_path / "results.csv"
    run = airflow_home.dags_test(
        "bulk_large", api.conn_json(), dagfile=DAGS, BULK_ROWS="10000", BULK_RESULTS_PATH=str(results_path)
    )
    assert _state(run, "campaign") == ("success", 1), run.output[-4000:]
    counts = _accepted(api)
    assert len(counts) == 10_000 and set(counts.values()) == {1}
    assert len(api.requests(SMS_PATH)) == 10_000
    summary = run.xcom("campaign")
    assert summary == {
        "total": 10_000,
        "accepted": 10_000,
        "failed": 0,
        "invalid": 0,
        "unknown": 0,
        "skipped_duplicates": 0,
        "not_sent": 0,
        "cost": 100_000,
        "credits": api.credits_of(LOGIN),
    }
    assert "Campaign progress: " in run.output
    lines = results_path.read_text().splitlines()
    assert len(lines) == 10_001 and ",accepted,38,10," in lines[-1]


def test_invalid_rows_fail_before_any_send_or_are_skipped(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("bulk_bad_rows", api.conn_json(), dagfile=DAGS)
    assert _state(run, "fail") == ("failed", 1)
    assert "2 of 5 rows are invalid: row 3, recipient: '+33 6 12' is not a valid phone number" in run.output
    assert "row 4, message: the placeholder {name} has no value in this row" in run.output
    assert _state(run, "skip") == ("success", 1)
    assert [r["params"]["to"] for r in api.requests(SMS_PATH)] == ["33620000000"]  # only the skip task's
    summary = run.xcom("skip")
    assert summary["accepted"] == 1 and summary["invalid"] == 1
    results: list[dict[str, Any]] = run.xcom("skip", "make_campaign_results")
    assert results[1]["status"] == "invalid" and results[1]["recipient"] == "not a number"


def test_no_credit_in_the_middle_then_a_retry_finishes_the_list(
    airflow_home: AirflowHome, api: Sandbox
) -> None:
    api.account(LOGIN, PASSWORD, 150)  # 15 of the 40 rows

    def top_up_once_refused() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(r["result_code"] == 102 for r in api.requests(SMS_PATH)):
                api.account(LOGIN, PASSWORD, 10_000)
                return
            time.sleep(0.2)

    helper = threading.Thread(target=top_up_once_refused, daemon=True)
    helper.start()
    run = airflow_home.dags_test("bulk_no_credit_then_retry", api.conn_json(), dagfile=DAGS)
    helper.join(timeout=5)
    assert _state(run, "campaign") == ("success", 2), run.output[-4000:]
    assert "ran out of credit (result code 102)" in run.output
    assert "Top up the account on makesms.fr" in run.output
    counts = _accepted(api)
    assert len(counts) == 40 and set(counts.values()) == {1}
    summary = run.xcom("campaign")
    assert summary["accepted"] == 40 and summary["cost"] == 400 and summary["not_sent"] == 0


def test_waiting_in_the_worker_adds_the_delivery_times(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("bulk_wait_in_worker", api.conn_json(), dagfile=DAGS)
    assert _state(run, "campaign") == ("success", 1), run.output[-4000:]
    assert "running trigger in line" not in run.output
    results = run.xcom("campaign", "make_campaign_results")
    assert len(results) == 12 and all(row["delivered_at"] for row in results)
    assert run.xcom("campaign")["delivered"] == 12
