"""waiting.py: the one way to wait for requests to finish, against the sandbox."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.hooks.make import MakeHook
from airflow_provider_make.waiting import Waited, wait_for_trackings
from tests.conftest import Sandbox

SENDER, RECIPIENT = "+33612345678", "+33687654321"


# ---------------------------------------------------------------- waiting.wait_for_trackings


def _wait(settings: ClientSettings, ids: list[str], seconds: float, **kwargs: Any) -> Waited:
    deadline = time.time() + seconds
    return asyncio.run(wait_for_trackings(settings, ids, deadline=deadline, poll_interval=0.05, **kwargs))


def test_the_wait_looks_through_too_early_until_each_request_is_finished(
    make_default: Sandbox, settings: ClientSettings
) -> None:
    hook_ids = [MakeHook().sms_plus(SENDER, RECIPIENT, f"Bonjour {n}").id for n in range(3)]
    waited = _wait(settings, hook_ids, 10)
    assert sorted(waited.finished) == sorted(hook_ids)
    assert all(waited.finished[tid].sent_at is not None for tid in hook_ids)
    assert not waited.not_finished
    assert not waited.lost
    assert len(make_default.requests("/apilog.php")) > 3  # the first looks were "too early" (112)


def test_a_single_look_leaves_a_request_not_finished_without_a_problem(
    make_default: Sandbox, settings: ClientSettings
) -> None:
    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour").id
    waited = asyncio.run(wait_for_trackings(settings, [tracking_id], deadline=0, poll_interval=10))
    assert waited.not_finished == {tracking_id: ""}  # 112, the normal start of every wait
    assert len(make_default.requests("/apilog.php")) == 1


def test_the_wait_names_the_last_problem_at_the_deadline(
    make_default: Sandbox, settings: ClientSettings
) -> None:
    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour").id
    make_default.fault("code:111", count=1000, path="/apilog.php")
    waited = _wait(settings, [tracking_id], 0.3)
    assert "result code 111" in waited.not_finished[tracking_id]
    assert not waited.finished


def test_an_unknown_id_ends_its_own_wait_only(make_default: Sandbox, settings: ClientSettings) -> None:
    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour").id
    waited = _wait(settings, ["unknownid12345", tracking_id], 10)
    assert waited.lost["unknownid12345"].result_code == 110
    assert list(waited.finished) == [tracking_id]


def test_the_follow_up_sms_is_waited_for_on_request(make_default: Sandbox, settings: ClientSettings) -> None:
    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour").id
    make_default.advance(20)
    waited = _wait(settings, [tracking_id], 0.2, wait_for_follow_up=True)
    assert waited.not_finished == {tracking_id: ""}  # sent, but the follow-up comes ~300 s later
    make_default.advance(400)
    waited = _wait(settings, [tracking_id], 10, wait_for_follow_up=True)
    assert waited.finished[tracking_id].follow_up_sent_at is not None


def test_the_wait_says_once_that_it_waits_then_only_problems(
    make_default: Sandbox, settings: ClientSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """A triggerer runs thousands of waits: a line each per look would flood its log."""
    import logging

    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour").id
    log = logging.getLogger("test_waiting")
    with caplog.at_level(logging.INFO, logger="test_waiting"):
        _wait(
            settings, [tracking_id], 0.5, log=log, wait_for_follow_up=True
        )  # many looks, all 112 or not over
    assert len(make_default.requests("/apilog.php")) > 3
    assert [record.levelname for record in caplog.records] == ["INFO"]
    assert "looking again every 0 s" in caplog.records[0].getMessage()
    make_default.fault("code:111", count=1000, path="/apilog.php")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="test_waiting"):
        _wait(settings, [tracking_id], 0.3, log=log)
    assert caplog.records and {record.levelname for record in caplog.records} == {"WARNING"}
    assert all("result code 111" in record.getMessage() for record in caplog.records)
