"""Waiting for a request in the worker, and what a retry compares: in-process, against the sandbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.hooks.make import MakeHook
from airflow_provider_make.operators.make import MakeRingOperator, MakeSmsPlusOperator
from airflow_provider_make.sandbox import Account, SandboxServer
from airflow_provider_make.waiting import Waited, wait_for_trackings
from tests.conftest import LOGIN, PASSWORD, Sandbox

SENDER, RECIPIENT = "+33612345678", "+33687654321"


@pytest.fixture
def slow_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox 5 ms away, so that concurrent requests overlap, as on a real network."""
    accounts = [Account(LOGIN, PASSWORD, 100_000)]
    with SandboxServer(port=0, speed=50.0, accounts=accounts, latency=0.005) as server:
        sandbox = Sandbox(server)
        monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", sandbox.conn_json())
        yield sandbox


def _operator(**kwargs: object) -> MakeSmsPlusOperator:
    arguments: dict[str, object] = {"sender": SENDER, "recipient": RECIPIENT, "message": "Bonjour"}
    arguments.update(kwargs)
    return MakeSmsPlusOperator(task_id="send", wait_for_completion=True, **arguments)  # type: ignore[arg-type]


def test_waiting_in_the_worker_names_the_last_problem(make_default: Sandbox) -> None:
    from airflow_provider_make.compat import AirflowException, AirflowFailException

    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour").id
    make_default.fault("code:111", count=1000, path="/apilog.php")
    operator = _operator(poll_interval=0.1, timeout=0.5)
    with pytest.raises(AirflowException) as caught:
        operator.wait_here(tracking_id)
    assert not isinstance(caught.value, AirflowFailException)  # a retry waits again
    message = str(caught.value)
    assert "still not finished" in message
    assert "last problem: tracking failed with result code 111" in message
    assert len(make_default.sends()) == 1


def test_waiting_in_the_worker_without_problems_says_none(make_default: Sandbox) -> None:
    from airflow_provider_make.compat import AirflowException

    tracking_id = MakeHook().sms_plus(SENDER, RECIPIENT, "Bonjour", delay_seconds=7200).id
    with pytest.raises(AirflowException) as caught:
        _operator(poll_interval=0.1, timeout=0.5).wait_here(tracking_id)
    assert "last problem" not in str(caught.value)


def test_the_fingerprint_follows_the_rendered_arguments() -> None:
    same = _operator().fingerprint()
    assert same == _operator().fingerprint()  # stable across instances and processes
    assert len(same) == 16 and int(same, 16) >= 0
    assert _operator(message="Bonsoir").fingerprint() != same
    assert _operator(recipient="+33687654322").fingerprint() != same
    assert _operator(delay_seconds=5).fingerprint() != same
    ring = MakeRingOperator(task_id="send", caller=SENDER, callee=RECIPIENT)
    assert ring.fingerprint() != same  # another request kind never matches


def test_a_thousand_concurrent_reads_in_one_loop_all_succeed(slow_network: Sandbox) -> None:
    """The loop keeps its requests in flight below the pool's size: no PoolTimeout at 1,000."""
    make_default = slow_network
    hook = MakeHook()
    tracking_id = hook.sms_plus(SENDER, RECIPIENT, "Bonjour").id
    make_default.advance(20)

    async def many() -> list[object]:
        return await asyncio.gather(*(hook.aget_tracking(tracking_id) for _ in range(1000)))

    results = asyncio.run(many())
    assert len(results) == 1000
    assert all(getattr(tracking, "id", None) == tracking_id for tracking in results)
    assert len(make_default.requests("/apilog.php")) == 1000
    # Never more requests at once than the loop's bound (httpx alone would open 100).
    assert make_default._call("health")["max_in_flight"] <= 16


def test_the_connection_id_is_templated_like_the_official_providers() -> None:
    from airflow_provider_make.notifications.make import MakeSmsNotifier
    from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator
    from airflow_provider_make.operators.make import MakeCreditsOperator
    from airflow_provider_make.sensors.make import MakeTrackingSensor

    for cls in (
        MakeSmsPlusOperator,
        MakeRingOperator,
        MakeCreditsOperator,
        MakeTrackingSensor,
        MakeSmsNotifier,
    ):
        assert "make_conn_id" in cls.template_fields, cls.__name__
    assert "make_conn_id" in MakeBulkSmsPlusOperator.template_fields


def test_a_bad_argument_is_refused_before_the_durable_intent_is_written(make_default: Sandbox) -> None:
    from types import SimpleNamespace

    from airflow_provider_make.compat import AirflowFailException

    writes: list[object] = []
    store = SimpleNamespace(get=lambda key: None, set=lambda *pair: writes.append(pair), delete=writes.append)
    ti = SimpleNamespace(dag_id="dag", run_id="run", task_id="ring", map_index=-1)
    operator = MakeRingOperator(task_id="ring", caller="06-CALL-ME", callee=RECIPIENT)
    with pytest.raises(AirflowFailException, match="caller: '06-CALL-ME' is not a phone number"):
        operator.execute({"task_state_store": store, "ti": ti})  # type: ignore[typeddict-item]
    assert writes == []  # no intent written, none deleted
    assert make_default.requests() == []


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
