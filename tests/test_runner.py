"""campaign/runner.py: the loop sends each row once, within its limits, and stops when the account says so.

Each test runs one or more tries of a campaign the way the operator's ``execute`` does
(:func:`tests.helpers.campaign_try`), with a JSON store standing for the task's
``task_state_store``, then checks what the sandbox received against the summary and the
per-row results.
"""

from __future__ import annotations

import threading
import time

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.conftest import LOGIN, PASSWORD, Sandbox
from tests.helpers import SMS_PATH, MemoryStore, accepted_by_recipient, campaign_try, people


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
        "refused": 0,
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
        assert by_id[row["id"]] == row["number"] == row["recipient"].lstrip("+")
        assert row["text"] == f"Bonjour {row['name']}" and row["accepted_at"]
    assert store.widest_intents <= 2 * 16
    # A second try of the same task instance sends nothing.
    again = campaign_try(settings, listed, store, max_concurrency=16)
    assert again.outcome.sent == 0 and again.summary["accepted"] == 300
    assert len(api.requests(SMS_PATH)) == 300


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
    assert done.statuses()[5] == "duplicate" and done.results()[6]["error"].startswith("same number")


def test_invalid_rows_are_skipped_and_reported(api: Sandbox, settings: ClientSettings) -> None:
    listed = [*people(3), {"recipient": "+33 6 12", "name": "x"}, {"recipient": "+33610000009"}]
    done = campaign_try(settings, listed, MemoryStore())
    assert len(api.requests(SMS_PATH)) == 3
    assert done.summary["invalid"] == 2 and done.summary["accepted"] == 3
    results = done.results()
    assert results[3]["status"] == "invalid" and "row 3, recipient:" in results[3]["error"]
    assert results[4]["error"] == "row 4, message: the placeholder {name} has no value in this row"


def test_per_row_refusals_fail_that_row_only(api: Sandbox, settings: ClientSettings) -> None:
    api.fault("code:104", count=2, path=SMS_PATH)
    done = campaign_try(settings, people(20), MemoryStore(), max_concurrency=1)
    assert done.outcome.stop is None
    refused = [r for r in api.requests(SMS_PATH) if r["result_code"] == 104]
    assert len(refused) == 2 and len(accepted_by_recipient(api)) == 18
    assert done.summary["refused"] == 2 and done.summary["accepted"] == 18
    failed = [row for row in done.results() if row["status"] == "failed"]
    assert [row["row"] for row in failed] == [0, 1]
    assert failed[0]["result_code"] == 104 and "result code 104" in failed[0]["error"]


def test_no_credit_stops_cleanly_and_a_retry_after_topping_up_finishes(
    api: Sandbox, settings: ClientSettings
) -> None:
    api.account(LOGIN, PASSWORD, 250)  # 25 makeSms+ at 10
    listed = people(60)
    store = MemoryStore()
    first = campaign_try(settings, listed, store, max_concurrency=4)
    assert first.outcome.stop == "account"
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
    assert "may have been accepted" in row["error"]
    again = campaign_try(settings, people(5), store, max_concurrency=1)
    assert again.outcome.sent == 0
    assert len(api.requests(SMS_PATH)) == 5
    resent = campaign_try(settings, people(5), store, max_concurrency=1, resend_unknown=True)
    assert resent.outcome.sent == 1 and resent.summary["unknown"] == 0
    assert accepted_by_recipient(api)[row["number"]] == 2  # the opt-in duplicate


def test_service_failures_stay_to_send_again(api: Sandbox, settings: ClientSettings) -> None:
    api.fault("code:111", count=2, path=SMS_PATH)
    store = MemoryStore()
    done = campaign_try(settings, people(6), store, max_concurrency=1)
    assert done.summary["accepted"] == 4 and done.summary["not_sent"] == 2
    again = campaign_try(settings, people(6), store, max_concurrency=1)
    assert again.outcome.sent == 2 and again.summary["accepted"] == 6


def test_a_wrong_password_sends_nothing_and_names_both_causes(api: Sandbox) -> None:
    wrong = ClientSettings(LOGIN, "not-the-password", base_url=api.url)
    done = campaign_try(wrong, people(10), MemoryStore())
    assert done.outcome.stop == "balance" and done.outcome.credits_before == 0
    assert api.requests(SMS_PATH) == []
    assert done.summary["not_sent"] == 10


def test_a_balance_short_of_one_sms_stops_before_any_send(api: Sandbox, settings: ClientSettings) -> None:
    api.account(LOGIN, PASSWORD, 5)
    done = campaign_try(settings, people(10), MemoryStore(), cost_per_sms=10)
    assert done.outcome.stop == "balance" and api.requests(SMS_PATH) == []


def test_credentials_turning_wrong_stop_the_campaign_at_the_first_101() -> None:
    concurrency = 4
    with SandboxServer(
        port=0, speed=50, accounts=[Account(LOGIN, PASSWORD, 100_000)], latency=0.05
    ) as server:
        sandbox = Sandbox(server)
        settings = ClientSettings(LOGIN, PASSWORD, base_url=server.url)

        def change_password() -> None:
            deadline = time.monotonic() + 30
            while len(sandbox.requests(SMS_PATH)) < 20 and time.monotonic() < deadline:
                time.sleep(0.01)
            sandbox.account(LOGIN, "changed-password", 100_000)

        changer = threading.Thread(target=change_password)
        changer.start()
        done = campaign_try(settings, people(200), MemoryStore(), max_concurrency=concurrency)
        changer.join()
        received = sandbox.requests(SMS_PATH)
    refused = [index for index, request in enumerate(received) if request["result_code"] == 101]
    assert refused, "the password change came too late"
    # Only the requests already in flight when the first 101 came back may follow it.
    assert len(received) - refused[0] <= concurrency
    assert done.outcome.stop == "account" and done.outcome.stop_error is not None
    assert "101" in str(done.outcome.stop_error)
    assert done.summary["accepted"] == len(received) - len(refused)
    assert done.summary["unknown"] == 0 and done.summary["not_sent"] == 200 - done.summary["accepted"]


def test_its_progress_writes_carry_the_record_the_make_page_lists(
    api: Sandbox, settings: ClientSettings
) -> None:
    from airflow_provider_make.campaign.ledger import STATE_KEY
    from airflow_provider_make.monitoring import reader

    api.fault("code:104", count=1, path=SMS_PATH)
    store = MemoryStore()
    who = {"dag_id": "d", "run_id": "r", "task_id": "t", "map_index": -1, "try_number": 1}
    done = campaign_try(settings, people(300), store, identity=who, max_concurrency=4)
    [row] = reader.requests([reader.Stored(store.get(STATE_KEY), None)], None)
    assert row["counts"] == {name: value for name, value in done.summary.items() if name != "credits"}
    assert (row["counts"]["accepted"], row["counts"]["refused"]) == (299, 1)
    assert (row["state"], row["kind"], row["dag_id"]) == ("finished", "campaign", "d")
    assert row["cost"] == done.summary["cost"] > 0 and row["credits"] == api.credits_of(LOGIN)
