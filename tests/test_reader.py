"""The monitoring records, written by real task runs and read back as the api-server reads them.

The tasks (tests/dags/monitoring_records.py) keep their records the way the operators
do, in both stores (3.3's ``task_state_store`` and the Variables of 3.1/3.2), and send to
the sandbox; the reader then reads this Airflow home's database through Airflow's ORM.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_make.monitoring import reader
from tests.conftest import LOGIN, POOR_LOGIN, TEST_DAGS, AirflowHome, Sandbox
from tests.helpers import fernet_key

pytestmark = pytest.mark.airflow

DAGFILE = TEST_DAGS / "monitoring_records.py"
STORES = ("task_state_store", "variable")
START_CREDITS = 100_000


@dataclass
class Recorded:
    home: AirflowHome
    api: Sandbox
    run_id: str
    sends: list[dict[str, Any]]

    def session(self) -> Any:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        return Session(create_engine(f"sqlite:///{self.home.path}/airflow.db"))

    def stored(self) -> list[reader.Stored]:
        with self.session() as session:
            return reader.load(session)

    def rows(self) -> list[dict[str, Any]]:
        return reader.requests(self.stored(), None)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, sandbox_server: Any) -> Iterator[Recorded]:
    """A home where the sends, the refusals, a retried send, two campaigns and two killed workers ran."""
    home = AirflowHome(tmp_path_factory.mktemp("monitoring_home"))
    assert home.airflow("db", "migrate").returncode == 0
    api = Sandbox(sandbox_server)
    api.reset()
    poor = api.conn_json(login=POOR_LOGIN)
    run = home.dags_test("monitoring_sends", api.conn_json(), dagfile=DAGFILE, AIRFLOW_CONN_MAKE_POOR=poor)
    states = run.task_states()
    assert states[f"accepted_{STORES[0]}"] == ("success", 1), run.output[-3000:]
    for store in STORES:
        assert states[f"retried_{store}"] == ("success", 2)  # sent on try 1, found on try 2
        assert states[f"refused_{store}"][0] == "failed"
        killed = home.dags_test(f"monitoring_killed_{store}", api.conn_json(), dagfile=DAGFILE)
        assert killed.returncode == -9, killed.output[-2000:]  # SIGKILL: nothing of ours ran after
    # Variables are encrypted with the home's key; Airflow's model decrypts them with it.
    os.environ["AIRFLOW__CORE__FERNET_KEY"] = fernet_key(home.path)
    from airflow.models.crypto import get_fernet

    get_fernet.cache_clear()
    yield Recorded(home, api, run.run_id, api.sends())
    os.environ.pop("AIRFLOW__CORE__FERNET_KEY")
    get_fernet.cache_clear()


def _singles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row["kind"] != "campaign"]


def test_every_accepted_request_is_listed_once_with_the_sandbox_answer(recorded: Recorded) -> None:
    rows = recorded.rows()
    accepted = [row for row in _singles(rows) if row["tracking_id"]]
    # The sandbox accepted four sends (2 stores x accepted + retried) and refused one per
    # store: every accepted one is listed once, with its id and cost.
    ids = [send["id"] for send in recorded.sends if send.get("id")]
    assert len(ids) == 4
    assert sorted(row["tracking_id"] for row in accepted) == sorted(ids)
    assert {row["state"] for row in accepted} == {"finished"}
    assert sum(row["cost"] for row in accepted) == START_CREDITS - recorded.api.credits_of(LOGIN)
    by_task = {(row["task_id"], row["try_number"]) for row in accepted}
    for store in STORES:
        assert (f"accepted_{store}", 1) in by_task
        assert (f"retried_{store}", 1) in by_task  # try 2 found the answer: listed once, not twice
    assert all(row["recipients"] == ["*********21"] for row in accepted)  # masked: last two digits
    assert all(row["tracking_url"].endswith("apilog.php?id=" + row["tracking_id"]) for row in accepted)


def test_refusals_are_listed_with_their_result_code_and_no_cost(recorded: Recorded) -> None:
    refused = [row for row in recorded.rows() if row["state"] == "refused"]
    assert sorted(row["task_id"] for row in refused) == [f"refused_{store}" for store in sorted(STORES)]
    assert {row["result_code"] for row in refused} == {102}
    assert all(row["cost"] == 0 and "102" in row["reason"] for row in refused)


def test_a_worker_killed_mid_send_leaves_its_request_unknown(recorded: Recorded) -> None:
    unknown = [row for row in _singles(recorded.rows()) if row["state"] == "unknown"]
    assert sorted(row["dag_id"] for row in unknown) == [
        f"monitoring_killed_{store}" for store in sorted(STORES)
    ]
    assert all(row["kind"] == "sms_plus" and row["recipients"] == ["*********11"] for row in unknown)
    assert all(row["cost"] == 0 and row["sent_at"] for row in unknown)


def test_a_campaign_is_one_row_with_its_counts_and_pages_of_rows(recorded: Recorded) -> None:
    campaigns = [
        row for row in recorded.rows() if row["kind"] == "campaign" and row["counts"]["total"] == 300
    ]
    assert sorted(row["task_id"] for row in campaigns) == [f"campaign_{store}" for store in sorted(STORES)]
    assert {row["state"] for row in campaigns} == {"finished"}
    for row in campaigns:
        assert row["counts"]["total"] == 300
        assert row["counts"]["accepted"] == 270 and row["counts"]["refused"] == 30
        assert row["cost"] == 270 * 5
    stored = recorded.stored()
    for store in STORES:
        campaign = reader.find_campaign(stored, "monitoring_sends", recorded.run_id, f"campaign_{store}", -1)
        assert campaign is not None
        with recorded.session() as session:
            page = reader.campaign_rows(session, campaign, limit=5, offset=126)  # across two chunks
            last = reader.campaign_rows(session, campaign, limit=100, offset=290)
        assert page["total_entries"] == 300
        assert [row["row"] for row in page["rows"]] == [126, 127, 128, 129, 130]
        assert page["rows"][4] == {
            "row": 130,
            "tracking_id": None,
            "status": "failed",
            "result_code": 102,
            "cost": 0,
            "message": "no",
        }
        assert page["rows"][0]["tracking_id"] == "id126"
        assert [row["row"] for row in last["rows"]] == list(range(290, 300))


def test_a_campaign_whose_task_stopped_while_running_is_unknown(recorded: Recorded) -> None:
    [stopped] = [row for row in recorded.rows() if row["task_id"] == "campaign_stopped"]
    assert stopped["state"] == "unknown"  # recorded as running, its task instance is no longer
    assert stopped["counts"]["total"] == 10


def test_filters(recorded: Recorded) -> None:
    rows = recorded.rows()
    assert {row["kind"] for row in reader.filtered(rows, kind="campaign")} == {"campaign"}
    assert {row["dag_id"] for row in reader.filtered(rows, dag_id="monitoring_killed_variable")} == {
        "monitoring_killed_variable"
    }
    assert len(reader.filtered(rows, state="refused")) == 2
    now = datetime.now(timezone.utc)
    assert reader.filtered(rows, since=now + timedelta(minutes=1)) == []
    assert reader.filtered(rows, until=now - timedelta(hours=1)) == []
    assert len(
        reader.filtered(rows, since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
    ) == len(rows)
    assert [row["sent_at"] for row in rows] == sorted((row["sent_at"] for row in rows), reverse=True)


def test_a_user_sees_only_the_dags_they_may_read(recorded: Recorded) -> None:
    rows = reader.requests(recorded.stored(), {"monitoring_killed_variable"})
    assert [row["dag_id"] for row in rows] == ["monitoring_killed_variable"]


def test_summary_adds_up_to_the_sandbox(recorded: Recorded) -> None:
    rows = recorded.rows()
    summary = reader.summary(rows, 30, datetime.now(timezone.utc))
    assert summary["credits"]["value"] == recorded.api.credits_of(LOGIN)  # the latest answer's balance
    days = {(day["dag_id"]): day for day in summary["days"]}
    sends = days["monitoring_sends"]
    assert sends["accepted"] == 4 + 2 * 270 + 9 and sends["refused"] == 2 + 2 * 30 + 1  # the campaigns' rows
    assert sends["cost"] == (START_CREDITS - recorded.api.credits_of(LOGIN)) + (2 * 270 + 9) * 5
    assert days["monitoring_killed_variable"]["unknown"] == 1


def test_the_records_outlive_the_xcom_purge(recorded: Recorded) -> None:
    before = recorded.rows()
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    done = recorded.home.airflow("db", "clean", "--tables", "xcom", "--clean-before-timestamp", future, "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    with recorded.session() as session:
        from sqlalchemy import text

        assert session.execute(text("select count(*) from xcom")).scalar() == 0
    assert recorded.rows() == before


def test_retention_purges_what_is_older(recorded: Recorded) -> None:
    with recorded.session() as session:  # never committed: the purge is rolled back
        stored = reader.load(session)
        assert reader.purge(session, stored, retention_days=90) == 0
        assert reader.purge(session, stored, retention_days=0) == 0  # 0 keeps everything
        later = datetime.now(timezone.utc) + timedelta(days=91)
        assert reader.purge(session, stored, retention_days=90, now=later) == len(stored)
        assert reader.load(session) == []
        from sqlalchemy import text

        left = session.execute(text("select count(*) from variable where key like 'make%'")).scalar()
        assert left == 0  # the campaign's chunks went with it
        session.rollback()


def test_days_left_come_from_the_last_7_days_whatever_the_window() -> None:
    now = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)

    def row(day: int, cost: int, credits: int) -> dict[str, Any]:
        at = f"2026-01-{day:02d}T08:00:00.000Z"
        return {
            "dag_id": "alerts",
            "kind": "sms",
            "state": "accepted",
            "cost": cost,
            "credits": credits,
            "sent_at": at,
            "answered_at": at,
        }

    rows = [row(31, 70, 700), row(26, 70, 770), row(10, 1000, 840)]  # newest first
    for days in (1, 30):
        summary = reader.summary(rows, days, now)
        assert summary["credits"] == {
            "value": 700,
            "at": "2026-01-31T08:00:00.000Z",
            "days_left": 35.0,  # 700 / (140 / 7)
            "trend": [
                {"day": d, "value": v}
                for d, v in (
                    [("2026-01-31", 700)]
                    if days == 1
                    else [("2026-01-10", 840), ("2026-01-26", 770), ("2026-01-31", 700)]
                )
            ],
        }
    assert [day["day"] for day in reader.summary(rows, 30, now)["days"]] == [
        "2026-01-31",
        "2026-01-26",
        "2026-01-10",
    ]
    assert [day["day"] for day in reader.summary(rows, 1, now)["days"]] == ["2026-01-31"]
