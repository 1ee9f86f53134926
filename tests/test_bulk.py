"""Campaigns in process: the rows, the loop, the durable progress and the money, against the sandbox.

Each test runs one or more tries of a campaign the way the operator's ``execute`` does
(:func:`tests.test_bulk_support.campaign_try`), with a JSON store standing for the
task's ``task_state_store``, then checks what the sandbox received against the summary
and the per-row results.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_make.campaign import report, rows
from airflow_provider_make.campaign.delivery import wait_for_deliveries
from airflow_provider_make.campaign.ledger import CampaignChangedError
from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.compat import AirflowFailException
from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.conftest import LOGIN, PASSWORD, Sandbox
from tests.helpers import FileStore, MemoryStore, campaign_try, people

SMS_PATH = "/apimakesmsplus.php"


def accepted_by_recipient(api: Sandbox) -> collections.Counter[str]:
    """How many times the sandbox accepted a makeSms+ for each recipient."""
    return collections.Counter(r["params"]["to"] for r in api.requests(SMS_PATH) if r["id"])


# ----------------------------------------------------------------------------- the rows


def test_recipients_may_be_a_list_a_json_string_or_a_rendered_python_list() -> None:
    listed = ["+33612345678", {"recipient": "+33687654321", "name": "Ana"}]
    assert rows.parse_recipients(listed) is listed
    assert rows.parse_recipients(json.dumps(listed)) == listed
    assert rows.parse_recipients(str(listed)) == listed  # what Jinja renders for a list
    with pytest.raises(MakeValidationError, match="recipients: expected a list, got the text"):
        rows.parse_recipients("+33612345678, +33687654321")
    with pytest.raises(MakeValidationError, match="recipients: expected a list"):
        rows.parse_recipients({"recipient": "+33612345678"})


def test_every_row_is_checked_and_each_problem_named() -> None:
    listed: list[Any] = [
        {"recipient": "+33612345678", "name": "Ana"},
        {"recipient": "06-CALL-ME", "name": "Bo"},
        {"recipient": "+33687654321"},  # no {name}
        {"recipient": "+33687654322", "name": "€uro"},
        42,
        {"name": "nobody"},
        {"recipient": "+33687654323", "message": "own text, sent as written"},
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Bonjour {name}",
        delay_seconds=None,
        transliterate=False,
        region=None,
    )
    assert list(plan.sendable()) == [0, 6]
    problems = {row: (p.column, p.why) for row, p in plan.problems.items()}
    assert problems[1][0] == "recipient" and "'06-CALL-ME' is not a phone number" in problems[1][1]
    assert problems[2] == ("message", "the placeholder {name} has no value in this row")
    assert problems[3][0] == "message" and "'€' (U+20AC)" in problems[3][1]
    assert problems[4] == ("row", "expected a phone number or a dict, got int")
    assert problems[5] == ("recipient", "the row has no 'recipient'")
    assert plan.problems_message().startswith("row 1, recipient: ")


@pytest.mark.parametrize("transliterate", [False, True])
def test_a_row_is_sent_as_checked_without_parsing_its_number_again(transliterate: bool) -> None:
    listed: list[Any] = [
        {"recipient": "+33612345678", "name": "Ana"},
        {"recipient": "0033 6 87 65 43 21", "name": "Léa"},
        "+33687654322",
        {"recipient": "+33687654323", "message": "own text, sent as written: 100% & more"},
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Bonjour {recipient}, é" if transliterate else "Bonjour {name}",
        delay_seconds=30,
        transliterate=transliterate,
        region=None,
    )
    assert list(plan.sendable()) == ([0, 1, 2, 3] if transliterate else [0, 1, 3])
    for index in plan.sendable():
        assert plan.numbers[index] > 0
        assert plan.call(index).query == plan.checked_call(index).query
        assert plan.call(index).label == "makeSms+"


def test_a_template_that_reaches_into_objects_is_refused() -> None:
    for template in ("{0}", "{}", "{name.__class__}", "{name[0]}"):
        with pytest.raises(MakeValidationError, match="message: placeholder"):
            rows.check_template(template)
    with pytest.raises(MakeValidationError, match="not a valid template"):
        rows.check_template("a lone { brace")


def test_duplicates_are_the_same_number_with_the_same_text() -> None:
    listed = [
        {"recipient": "+33612345678", "name": "Ana"},
        {"recipient": "0033612345678", "name": "Ana"},  # same number, written differently
        {"recipient": "+33612345678", "name": "Bo"},  # same number, another text
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Hi {name}",
        delay_seconds=None,
        transliterate=False,
        region=None,
    )
    assert plan.duplicate_of == {1: 0}
    assert list(plan.sendable()) == [0, 2]


# ----------------------------------------------------------------------------- the arguments


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("max_concurrency", 0, "max_concurrency: must be from 1 to 100, got 0"),
        ("max_concurrency", "8", "max_concurrency: expected a whole number"),
        ("max_per_second", -1, "max_per_second: expected a positive number"),
        ("on_invalid", "ignore", "on_invalid: expected 'fail' or 'skip'"),
        ("max_cost", -5, "max_cost: expected a whole number of credits"),
        ("resend_unknown", "yes", "resend_unknown: expected True or False"),
        ("poll_interval", 0, "poll_interval: must be a positive number of seconds"),
        ("results_path", "/tmp/results.xlsx", "results_path: '/tmp/results.xlsx' must end in .csv"),
    ],
)
def test_every_argument_is_checked_before_any_request(argument: str, value: Any, expected: str) -> None:
    operator = MakeBulkSmsPlusOperator(
        task_id="campaign", sender=LOGIN, recipients=[], message="hi", **{argument: value}
    )
    with pytest.raises(AirflowFailException, match=expected.replace("(", r"\(").replace(".", r"\.")):
        operator.checked_options()


def test_on_invalid_fail_lists_the_first_rows_and_a_count() -> None:
    listed = [{"recipient": f"bad{index}", "name": "x"} for index in range(25)]
    operator = MakeBulkSmsPlusOperator(
        task_id="campaign", sender="+33612345678", recipients=listed, message="Hi {name}"
    )
    with pytest.raises(AirflowFailException) as failed:
        operator.checked_plan(None)
    message = str(failed.value)
    assert message.startswith("25 of 25 rows are invalid: row 0, recipient: 'bad0' is not a phone number")
    assert "row 19, recipient" in message and "row 20, recipient" not in message
    assert message.endswith("; and 5 more. Nothing was sent (on_invalid='skip' sends the others)")


# ----------------------------------------------------------------------------- sending


def test_a_campaign_sends_each_row_once_and_reports_it(api: Sandbox, settings: ClientSettings) -> None:
    listed = people(300)
    store = MemoryStore()
    done = campaign_try(settings, listed, store, max_concurrency=16)
    assert done.outcome.stop is None
    counts = accepted_by_recipient(api)
    assert len(counts) == 300 and set(counts.values()) == {1}
    first = api.requests(SMS_PATH)[0]["params"]
    assert first["msg"].startswith("Bonjour P") and first["from"] == "33612345678"
    summary = done.summary
    assert summary == {
        "total": 300,
        "accepted": 300,
        "failed": 0,
        "invalid": 0,
        "unknown": 0,
        "skipped_duplicates": 0,
        "not_sent": 0,
        "cost": 3000,  # the sandbox answers 10 a makeSms+: read from the answers
        "credits": api.credits_of(LOGIN),
    }
    by_id = {r["id"]: r["params"]["to"] for r in api.requests(SMS_PATH)}
    for row in done.results():
        assert row["status"] == "accepted" and row["result_code"] == 38 and row["cost"] == 10
        assert by_id[row["id"]] == row["recipient"].lstrip("+")
    assert store.widest_intents <= 2 * 16
    # A second try of the same task instance sends nothing.
    again = campaign_try(settings, listed, store, max_concurrency=16)
    assert again.outcome.sent == 0 and again.summary["accepted"] == 300
    assert len(api.requests(SMS_PATH)) == 300


def test_writes_are_batched_so_the_store_does_not_set_the_pace(
    api: Sandbox, settings: ClientSettings
) -> None:
    store = MemoryStore(write_seconds=0.012)  # a task_state_store write under `airflow dags test`
    done = campaign_try(settings, people(400), store, max_concurrency=20)
    assert done.summary["accepted"] == 400
    # About one write per max_concurrency results, plus one per chunk of results.
    assert store.writes < 400 / 10, store.writes
    assert store.widest_intents <= 40


def test_concurrency_and_rate_are_bounded(settings: ClientSettings) -> None:
    with SandboxServer(port=0, speed=50, accounts=[Account(LOGIN, PASSWORD, 10_000)], latency=0.05) as server:
        sandbox = Sandbox(server)
        slow = ClientSettings(LOGIN, PASSWORD, base_url=server.url)
        started = time.monotonic()
        campaign_try(slow, people(60), MemoryStore(), max_concurrency=6)
        took = time.monotonic() - started
        assert server.state.max_in_flight <= 6
        assert took < 60 * 0.05 / 6 * 3  # concurrent: close to 0.5 s, not 3 s
        sandbox.reset()
        started = time.monotonic()
        campaign_try(slow, people(21), MemoryStore(), max_concurrency=6, max_per_second=40)
        assert time.monotonic() - started >= 20 / 40


def test_duplicates_are_sent_once(api: Sandbox, settings: ClientSettings) -> None:
    listed = [*people(5), *people(2), {"recipient": "+33610000000", "name": "other text"}]
    done = campaign_try(settings, listed, MemoryStore())
    counts = accepted_by_recipient(api)
    assert counts["33610000000"] == 2  # P0 once, "other text" once
    assert counts["33610000001"] == 1
    assert len(api.requests(SMS_PATH)) == 6
    assert done.summary["skipped_duplicates"] == 2 and done.summary["accepted"] == 6
    assert done.statuses()[5] == "duplicate" and done.results()[6]["message"].startswith("same recipient")


def test_invalid_rows_are_skipped_and_reported(api: Sandbox, settings: ClientSettings) -> None:
    listed = [*people(3), {"recipient": "+33 6 12", "name": "x"}, {"recipient": "+33610000009"}]
    done = campaign_try(settings, listed, MemoryStore())
    assert len(api.requests(SMS_PATH)) == 3
    assert done.summary["invalid"] == 2 and done.summary["accepted"] == 3
    results = done.results()
    assert results[3]["status"] == "invalid" and "row 3, recipient:" in results[3]["message"]
    assert results[4]["message"] == "row 4, message: the placeholder {name} has no value in this row"


def test_per_row_refusals_fail_that_row_only(api: Sandbox, settings: ClientSettings) -> None:
    api.fault("code:104", count=2, path=SMS_PATH)
    done = campaign_try(settings, people(20), MemoryStore(), max_concurrency=1)
    assert done.outcome.stop is None
    refused = [r for r in api.requests(SMS_PATH) if r["result_code"] == 104]
    assert len(refused) == 2 and len(accepted_by_recipient(api)) == 18
    assert done.summary["failed"] == 2 and done.summary["accepted"] == 18
    failed = [row for row in done.results() if row["status"] == "failed"]
    assert [row["row"] for row in failed] == [0, 1]
    assert failed[0]["result_code"] == 104 and "result code 104" in failed[0]["message"]


def test_no_credit_stops_cleanly_and_a_retry_after_topping_up_finishes(
    api: Sandbox, settings: ClientSettings
) -> None:
    api.account(LOGIN, PASSWORD, 250)  # 25 makeSms+ at 10
    listed = people(60)
    store = MemoryStore()
    first = campaign_try(settings, listed, store, max_concurrency=4)
    assert first.outcome.stop == "credit"
    assert first.summary["accepted"] == 25 and first.summary["not_sent"] == 35
    assert first.summary["credits"] == 0 and first.summary["cost"] == 250
    refused = [r for r in api.requests(SMS_PATH) if r["result_code"] == 102]
    assert 1 <= len(refused) <= 4  # the sends in flight when the balance ran out, no more
    api.account(LOGIN, PASSWORD, 1_000)
    second = campaign_try(settings, listed, store, max_concurrency=4)
    assert second.outcome.stop is None and second.outcome.sent == 35
    counts = accepted_by_recipient(api)
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert second.summary["accepted"] == 60 and second.summary["cost"] == 600


def test_max_cost_stops_before_spending_more(api: Sandbox, settings: ClientSettings) -> None:
    store = MemoryStore()
    done = campaign_try(settings, people(30), store, max_concurrency=8, max_cost=95)
    assert done.outcome.stop == "max_cost"
    assert len(accepted_by_recipient(api)) == 9  # 9 x 10 <= 95 < 10 x 10
    assert done.summary["cost"] == 90 and done.summary["not_sent"] == 21
    # The budget is the campaign's, across tries: raising it sends the rest, never more.
    more = campaign_try(settings, people(30), store, max_concurrency=8, max_cost=200)
    assert more.outcome.stop == "max_cost" and more.summary["cost"] == 200
    assert len(accepted_by_recipient(api)) == 20


def test_a_send_that_may_have_been_accepted_is_unknown_and_not_sent_again(
    api: Sandbox, settings: ClientSettings
) -> None:
    api.fault("drop", count=1, path=SMS_PATH)  # processed and charged, then the connection closes
    store = MemoryStore()
    done = campaign_try(settings, people(5), store, max_concurrency=1)
    assert done.summary["unknown"] == 1 and done.summary["accepted"] == 4
    [row] = [row for row in done.results() if row["status"] == "unknown"]
    assert "may have been accepted" in row["message"]
    again = campaign_try(settings, people(5), store, max_concurrency=1)
    assert again.outcome.sent == 0
    assert len(api.requests(SMS_PATH)) == 5
    resent = campaign_try(settings, people(5), store, max_concurrency=1, resend_unknown=True)
    assert resent.outcome.sent == 1 and resent.summary["unknown"] == 0
    assert accepted_by_recipient(api)[row["recipient"].lstrip("+")] == 2  # the opt-in duplicate


def test_service_failures_stay_to_send_again(api: Sandbox, settings: ClientSettings) -> None:
    api.fault("code:111", count=2, path=SMS_PATH)
    store = MemoryStore()
    done = campaign_try(settings, people(6), store, max_concurrency=1)
    assert done.summary["accepted"] == 4 and done.summary["not_sent"] == 2
    again = campaign_try(settings, people(6), store, max_concurrency=1)
    assert again.outcome.sent == 2 and again.summary["accepted"] == 6


def test_a_changed_list_is_not_resumed_on_a_guess(api: Sandbox, settings: ClientSettings) -> None:
    store = MemoryStore()
    campaign_try(settings, people(3), store)
    with pytest.raises(CampaignChangedError, match="have changed since"):
        campaign_try(settings, people(3, start=1), store)


# ----------------------------------------------------------------------------- killed mid-campaign

CHILD = """
import sys
from pathlib import Path
from airflow_provider_make.client.settings import ClientSettings
from tests.helpers import FileStore, campaign_try, people
settings = ClientSettings({login!r}, {password!r}, base_url={url!r})
campaign_try(settings, people({rows}), FileStore(Path({folder!r})), max_concurrency={concurrency})
"""


@pytest.fixture
def latency_sandbox() -> Iterator[Sandbox]:
    with SandboxServer(
        port=0, speed=50, accounts=[Account(LOGIN, PASSWORD, 100_000)], latency=0.05
    ) as server:
        yield Sandbox(server)


@pytest.mark.parametrize("concurrency", [4, 16])
def test_a_killed_campaign_resumes_without_sending_twice(
    latency_sandbox: Sandbox, tmp_path: Path, concurrency: int
) -> None:
    """SIGKILL mid-campaign, then a retry: at most once per row, the rest unknown, at most 2 x concurrency."""
    total = 400
    code = CHILD.format(
        login=LOGIN,
        password=PASSWORD,
        url=latency_sandbox.url,
        rows=total,
        folder=str(tmp_path),
        concurrency=concurrency,
    )
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=root)
    try:
        deadline = time.monotonic() + 60
        while len(latency_sandbox.requests(SMS_PATH)) < 120 and time.monotonic() < deadline:
            assert child.poll() is None, "the campaign ended before it could be killed"
            time.sleep(0.02)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    killed_at = len(latency_sandbox.requests(SMS_PATH))
    assert 120 <= killed_at < total
    settings = ClientSettings(LOGIN, PASSWORD, base_url=latency_sandbox.url)
    retry = campaign_try(settings, people(total), FileStore(tmp_path), max_concurrency=concurrency)
    counts = accepted_by_recipient(latency_sandbox)
    assert max(counts.values()) == 1, "a row was accepted twice"
    statuses = retry.statuses()
    unknown = [row for row, status in statuses.items() if status == "unknown"]
    assert sorted(unknown) == retry.interrupted
    assert len(unknown) <= 2 * concurrency
    for row in retry.results():
        number = row["recipient"].lstrip("+")
        if row["status"] == "accepted":
            assert counts[number] == 1
        else:
            assert row["status"] == "unknown", row  # every row not confirmed accepted is unknown
    assert retry.summary["accepted"] + retry.summary["unknown"] == total


# ----------------------------------------------------------------------------- results and waiting


def test_results_go_to_csv_or_json_lines(tmp_path: Path, api: Sandbox, settings: ClientSettings) -> None:
    done = campaign_try(settings, [*people(2), {"recipient": "nope", "name": "x"}], MemoryStore())
    csv_path, jsonl_path = tmp_path / "out.csv", tmp_path / "out.jsonl"
    assert report.write_results(str(csv_path), iter(done.results())) == 3
    lines = csv_path.read_text().splitlines()
    assert lines[0] == ",".join(report.COLUMNS)
    assert lines[1].startswith("0,+33610000000,") and ",accepted,38,10," in lines[1]
    report.write_results(str(jsonl_path), iter(done.results()))
    parsed = [json.loads(line) for line in jsonl_path.read_text().splitlines()]
    assert [row["status"] for row in parsed] == ["accepted", "accepted", "invalid"]
    with pytest.raises(ValueError, match=r"must end in \.csv"):
        report.results_format("s3://bucket/results.txt")


def test_one_wait_for_the_whole_campaign(api: Sandbox, settings: ClientSettings) -> None:
    done = campaign_try(settings, people(30), MemoryStore())
    ids = [row["id"] for row in done.results()]
    deliveries = asyncio.run(
        wait_for_deliveries(settings, ids, end_time=time.time() + 30, poll_interval=0.1, max_concurrency=8)
    )
    assert set(deliveries) == set(ids)
    assert all(look["delivered_at"] for look in deliveries.values())


def test_rows_not_delivered_at_the_deadline_are_named(slow_api: Sandbox) -> None:
    settings = ClientSettings(LOGIN, PASSWORD, base_url=slow_api.url)
    done = campaign_try(settings, people(3), MemoryStore())
    ids = [row["id"] for row in done.results()]
    deliveries = asyncio.run(
        wait_for_deliveries(settings, ids, end_time=time.time() + 0.5, poll_interval=0.2, max_concurrency=2)
    )
    assert all(look["delivered_at"] is None for look in deliveries.values())


def test_a_national_number_and_a_bad_row_after_the_first_are_checked_as_in_full() -> None:
    listed: list[Any] = [
        {"recipient": "06 12 34 56 78", "name": "Ana"},
        {"recipient": "06 87 65 43 21", "name": "Bo"},
        {"recipient": "06 12", "name": "Cy"},
        {"recipient": "+33687654329", "name": "€"},
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Hi {name}",
        delay_seconds=None,
        transliterate=False,
        region="FR",
    )
    assert list(plan.sendable()) == [0, 1]
    for index in plan.sendable():
        assert plan.call(index).query == plan.checked_call(index).query
    for index in (2, 3):
        with pytest.raises(MakeValidationError) as full:
            plan.checked_call(index)
        column = full.value.argument
        assert (plan.problems[index].column, plan.problems[index].why) == (
            column,
            full.value.message.removeprefix(f"{column}: "),
        )
