"""campaign/ledger.py: durable progress, so that a retry or a killed worker never sends a row twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_make.campaign.ledger import STATE_KEY, CampaignChangedError, Ledger, Result, chunk_key
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.conftest import LOGIN, PASSWORD, Sandbox
from tests.helpers import SMS_PATH, FileStore, MemoryStore, accepted_by_recipient, campaign_try, people


def test_a_changed_list_is_not_resumed_on_a_guess(api: Sandbox, settings: ClientSettings) -> None:
    store = MemoryStore()
    campaign_try(settings, people(3), store)
    with pytest.raises(CampaignChangedError, match="have changed since"):
        campaign_try(settings, people(3, start=1), store)


def test_results_are_named_records_stored_as_lists_and_earlier_entries_still_load() -> None:
    store = MemoryStore()
    ledger = Ledger(store, "f", 300, chunk_rows=128)
    ledger.record(5, Result("accepted", "id5", 38, 10, "", "2026-01-01T00:00:00+00:00"))
    ledger.commit(ledger.prepare([], frontier=300))
    assert store.get(chunk_key(0)) == {"5": ["accepted", "id5", 38, 10, "", "2026-01-01T00:00:00+00:00"]}
    assert store.get(STATE_KEY)["intents"] == [] and store.get(STATE_KEY)["journal"] == {}
    store.set(chunk_key(1), {"2": ["failed", "", 104, 0, "refused"]})  # an entry of the first release
    again = Ledger(store, "f", 300)
    again.load()
    assert again.chunk(1)[130] == Result("failed", "", 104, 0, "refused", "")
    assert again.count("accepted") == 1 and again.spent == 10 and again.highest_cost == 10


def test_a_row_in_intents_is_unknown_even_if_an_earlier_try_left_it_retry() -> None:
    store = MemoryStore()
    ledger = Ledger(store, "f", 10)
    ledger.record(3, Result("retry", error="111"))
    ledger.commit(ledger.prepare([3], frontier=4))  # sent again by a later try, then killed
    again = Ledger(store, "f", 10)
    again.load()
    again.settle_interrupted(resend_unknown=False)
    assert again.interrupted == [3] and again.count("unknown") == 1
    assert list(again.pending(range(10), resend_unknown=False)) == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_writes_are_batched_so_the_store_does_not_set_the_pace(
    api: Sandbox, settings: ClientSettings
) -> None:
    store = MemoryStore(write_seconds=0.012)  # a task_state_store write under `airflow dags test`
    done = campaign_try(settings, people(400), store, max_concurrency=20)
    assert done.summary["accepted"] == 400
    # About one write per max_concurrency results, plus one per chunk of results.
    assert store.writes < 400 / 10, store.writes
    assert store.widest_intents <= 40


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
        number = row["number"]
        if row["status"] == "accepted":
            assert counts[number] == 1
        else:
            assert row["status"] == "unknown", row  # every row not confirmed accepted is unknown
    assert retry.summary["accepted"] + retry.summary["unknown"] == total
