"""Campaigns run by real Airflow (``airflow dags test``) against the sandbox.

What the sandbox received is checked against the task's return value (the summary) and
its per-row results XCom, as a user would read them.
"""

from __future__ import annotations

import collections
import json
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
    airflow_home: AirflowHome, api: Sandbox, tmp_path: Path
) -> None:
    run = airflow_home.dags_test(
        "example_make_bulk_sms", api.conn_json(), AIRFLOW_VAR_MAKE_RESULTS_DIR=str(tmp_path)
    )
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
    assert summary["accepted"] == 4 and summary["cost"] == 40 and summary["executed"] == 4
    results = run.xcom("tell_customers", "make_campaign_results")
    assert [row["status"] for row in results] == ["accepted"] * 4
    assert all(row["executed_at"] and row["accepted_at"] for row in results)
    # Each record joins back to its row: its own fields, the number and the text as sent.
    assert results[0]["parcel"] == "FR-1001" and results[0]["name"] == "Camille"
    assert results[0]["number"] == "33687654321"
    assert results[0]["text"] == "Bonjour Camille, votre colis FR-1001 arrive demain."
    [written] = tmp_path.glob("tell_customers_*.csv")
    lines = written.read_text().splitlines()
    assert lines[0] == "recipient,name,parcel," + ",".join(
        [
            "row",
            "number",
            "text",
            "status",
            "id",
            "result_code",
            "cost",
            "error",
            "accepted_at",
            "executed_at",
        ]
    )
    assert lines[1].startswith('+33 6 87 65 43 21,Camille,FR-1001,0,33687654321,"Bonjour Camille, votre')
    # Its durable state carries the record the make page lists (read as the api-server reads it).
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from airflow_provider_make.monitoring import reader

    with Session(create_engine(f"sqlite:///{airflow_home.path}/airflow.db")) as session:
        listed = reader.requests(reader.load(session), {"example_make_bulk_sms"})
    [row] = [row for row in listed if row["run_id"] == run.run_id and row["task_id"] == "tell_customers"]
    assert (row["kind"], row["state"], row["cost"]) == ("campaign", "finished", 40)
    assert row["counts"] == {name: value for name, value in summary.items() if name in row["counts"]}
    assert row["counts"]["accepted"] == 4


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
        "refused": 0,
        "invalid": 0,
        "unknown": 0,
        "skipped_duplicates": 0,
        "not_sent": 0,
        "cost": 100_000,
        "credits": api.credits_of(LOGIN),
        "result_pages": summary["result_pages"],
    }
    pages = [run.xcom("campaign", "make_campaign_results")]
    pages += [run.xcom("campaign", f"make_campaign_results_{n}") for n in range(1, summary["result_pages"])]
    assert [record["row"] for page in pages for record in page] == list(range(10_000))
    assert "Campaign progress: " in run.output
    lines = results_path.read_text().splitlines()
    assert len(lines) == 10_001 and lines[-1].startswith(
        "+33610009999,P9999,9999,33610009999,Bonjour P9999,accepted,"
    )
    assert ",38,10,," in lines[-1]
    assert (
        lines[0] == "recipient,name,row,number,text,status,id,result_code,cost,error,accepted_at,executed_at"
    )


def test_a_dry_run_sends_nothing_and_fails_when_the_balance_is_short(
    airflow_home: AirflowHome, api: Sandbox, tmp_path: Path
) -> None:
    results_path = tmp_path / "dry.jsonl"
    env = {"BULK_ROWS": "1000", "BULK_RESULTS_PATH": str(results_path), "BULK_COST_PER_SMS": "10"}
    api.account(LOGIN, PASSWORD, 10_000)  # exactly 1,000 SMS at 10
    run = airflow_home.dags_test("bulk_dry_run", api.conn_json(), dagfile=DAGS, **env)
    assert _state(run, "rehearse") == ("success", 1), run.output[-4000:]
    assert api.requests(SMS_PATH) == [] and len(api.requests("/apicredits.php")) >= 1
    summary = run.xcom("rehearse")
    assert summary["would_send"] == 1000 and summary["would_cost"] == 10_000 and summary["accepted"] == 0
    records = [json.loads(line) for line in results_path.read_text().splitlines()]
    assert len(records) == 1000 and {r["status"] for r in records} == {"would_send"}
    assert records[7]["text"] == "Bonjour P7" and records[7]["number"] == "33610000007"
    api.account(LOGIN, PASSWORD, 9_999)
    short = airflow_home.dags_test("bulk_dry_run", api.conn_json(), dagfile=DAGS, **env)
    assert _state(short, "rehearse") == ("failed", 1)
    assert (
        "dry run: the campaign would cost 10000 credits (1000 SMS at 10), the account has 9999"
        in short.output
    )
    assert api.requests(SMS_PATH) == []


def test_a_wrong_password_sends_nothing_and_says_both_causes(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("bulk_large", api.conn_json(password="wrong"), dagfile=DAGS, BULK_ROWS="30")
    assert _state(run, "campaign")[0] == "failed"
    assert api.requests(SMS_PATH) == []
    assert "the account has 0 credits, not enough for one SMS: either the account is empty" in run.output
    assert "login or password is wrong" in run.output


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
    assert results[1]["error"].startswith("row 1, ")


def test_no_credit_in_the_middle_stops_at_once_without_retries(
    airflow_home: AirflowHome, api: Sandbox
) -> None:
    api.account(LOGIN, PASSWORD, 150)  # 15 of the 40 rows
    run = airflow_home.dags_test("bulk_no_credit_then_retry", api.conn_json(), dagfile=DAGS)
    # 102 is an account to fix (shared interface 1): the task fails without retries ...
    assert _state(run, "campaign") == ("failed", 1), run.output[-4000:]
    assert "result code 102" in run.output
    refused = [r for r in api.requests(SMS_PATH) if r["result_code"] == 102]
    assert 1 <= len(refused) <= 4  # those in flight when the balance ran out, no more
    # A later try sends only the rows not accepted: tests/test_runner.py (the same durable records).
    statuses = collections.Counter(row["status"] for row in run.xcom("campaign", "make_campaign_results"))
    assert statuses == {"accepted": 15, "not_sent": 25}
    assert len(_accepted(api)) == 15


def test_waiting_in_the_worker_adds_the_execution_times(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("bulk_wait_in_worker", api.conn_json(), dagfile=DAGS)
    assert _state(run, "campaign") == ("success", 1), run.output[-4000:]
    assert "running trigger in line" not in run.output
    results = run.xcom("campaign", "make_campaign_results")
    assert len(results) == 12 and all(row["executed_at"] for row in results)
    assert run.xcom("campaign")["executed"] == 12


BAD_LITERALS = """
from datetime import datetime
from airflow.sdk import DAG
from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator

with DAG(dag_id="bulk_bad_literal", schedule=None, start_date=datetime(2026, 1, 1)):
    MakeBulkSmsPlusOperator(task_id="campaign", sender="+33612345678", message="Hi", {arguments})
"""
#: file name -> (the operator's arguments, the message the import error must show)
BAD_FILES = {
    "bad_concurrency": ("recipients=[], max_concurrency=0", "max_concurrency: must be from 1 to 100, got 0"),
    "bad_on_invalid": (
        'recipients=[], on_invalid="ignore"',
        "on_invalid: expected 'fail' or 'skip', got 'ignore'",
    ),
    "bad_recipients": ('recipients="+33612345678, +33687654321"', "recipients: expected a list"),
}


def test_bad_literal_arguments_are_dag_import_errors(airflow_home: AirflowHome, tmp_path: Path) -> None:
    for name, (arguments, _) in BAD_FILES.items():
        (tmp_path / f"{name}.py").write_text(BAD_LITERALS.format(arguments=arguments))
    folder = {"AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path)}
    airflow_home.airflow("dags", "reserialize", **folder)
    listed = airflow_home.airflow("dags", "list-import-errors", "--output", "json", **folder)
    [found] = [line for line in listed.stdout.splitlines() if line.startswith("[")]  # after the log lines
    errors = {Path(entry["filepath"]).stem: entry["error"] for entry in json.loads(found)}
    for name, (_, message) in BAD_FILES.items():
        assert message in errors.get(name, ""), (name, listed.stdout[-2000:], listed.stderr[-2000:])
