"""MakeTrackingTrigger, run in an event loop against the sandbox: one JSON event, then return."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.triggers.make import MakeTrackingTrigger, tracking_from_event
from tests import hostile_server
from tests.conftest import LOGIN, PASSWORD, Sandbox
from tests.hostile_server import HostileServer, hostile
from tests.kinds import KindClient


def _events(trigger: MakeTrackingTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def _send(api: Sandbox) -> str:
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url)) as client:
        return client.sms_plus("33612345678", "33687654321", "hello").id


def _trigger(tracking_id: str, seconds: float = 30, **kwargs: Any) -> MakeTrackingTrigger:
    return MakeTrackingTrigger(
        tracking_id=tracking_id,
        make_conn_id="make_default",
        end_time=time.time() + seconds,
        poll_interval=0.1,
        **kwargs,
    )


def test_serializes_to_json_only() -> None:
    classpath, kwargs = _trigger("abc123", wait_for_follow_up=True).serialize()
    assert classpath == "airflow_provider_make.triggers.make.MakeTrackingTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert set(kwargs) == {"tracking_id", "make_conn_id", "end_time", "poll_interval", "wait_for_follow_up"}
    assert MakeTrackingTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_waits_through_too_early_then_yields_one_success_event(make_default: Sandbox) -> None:
    tracking_id = _send(make_default)
    [event] = _events(_trigger(tracking_id))
    assert event["status"] == "success"
    assert event["tracking"]["id"] == tracking_id
    assert event["tracking"]["is_finished"] is True
    assert json.loads(json.dumps(event)) == event
    assert tracking_from_event(event) == event["tracking"]
    assert len(make_default.requests("/apilog.php")) >= 2  # the first answer was "too early" (112)


def test_waits_for_the_follow_up_sms_on_request(make_default: Sandbox) -> None:
    tracking_id = _send(make_default)
    make_default.advance(20)
    [event] = _events(_trigger(tracking_id, wait_for_follow_up=True))
    assert event["tracking"]["follow_up_sent_at"] is not None  # came ~300 sandbox-seconds later


def test_an_unknown_id_is_a_failed_event_that_fails_the_task(make_default: Sandbox) -> None:
    from airflow_provider_make.compat import AirflowFailException

    [event] = _events(_trigger("unknownid12345"))
    assert event["status"] == "error"
    assert event["error"]["result_code"] == 110
    assert event["error"]["error"] == "MakeTrackingUnknownError"
    assert "result code 110" in event["error"]["message"]
    with pytest.raises(AirflowFailException, match="result code 110"):
        tracking_from_event(event)


def test_service_errors_while_polling_are_polled_through(make_default: Sandbox) -> None:
    tracking_id = _send(make_default)
    make_default.advance(20)
    make_default.fault("code:111", count=2, path="/apilog.php")
    [event] = _events(_trigger(tracking_id))
    assert event["status"] == "success"


def test_the_deadline_gives_a_timeout_event_in_seconds(
    slow_api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_make.compat import AirflowException, AirflowFailException

    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", slow_api.conn_json())
    tracking_id = _send(slow_api)
    started = time.monotonic()
    [event] = _events(_trigger(tracking_id, seconds=0.5))
    assert time.monotonic() - started < 5
    assert event["status"] == "timeout"
    waited = re.fullmatch(
        rf"request {tracking_id} was still not finished after waiting (\d+) s in the triggerer",
        event["message"],
    )
    assert waited is not None, event["message"]
    assert int(waited.group(1)) < 5  # seconds waited, not an epoch
    with pytest.raises(AirflowException) as caught:
        tracking_from_event(event)
    assert not isinstance(caught.value, AirflowFailException)  # a timeout may be retried


def test_a_missing_connection_is_a_failed_event(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_make.compat import AirflowFailException

    monkeypatch.delenv("AIRFLOW_CONN_MAKE_DEFAULT", raising=False)
    [event] = _events(_trigger("abc123"))
    assert event["status"] == "error"
    assert event["error"]["error"] == "MakeConfigurationError"
    assert "make_default" in event["error"]["message"]
    with pytest.raises(AirflowFailException, match="make_default"):
        tracking_from_event(event)


def test_an_unreachable_api_is_polled_until_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "make", "host": "http://127.0.0.1:9", "login": LOGIN, "password": PASSWORD}
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))
    [event] = _events(_trigger("abc123", seconds=1))
    assert event["status"] == "timeout"
    assert "could not connect to the API" in event["message"]
    assert PASSWORD not in event["message"]


# ----------------------------------------------------------------------------- a hanging server
# (moved from test_hostile_server.py)

__all__ = ["hostile"]  # fixture


async def async_within(call: Callable[[], Awaitable[Any]], limit: float) -> tuple[bool, float, object]:
    started = time.monotonic()
    try:
        result: object = await asyncio.wait_for(call(), timeout=limit)
    except asyncio.TimeoutError:
        return False, time.monotonic() - started, None
    except Exception as error:  # noqa: BLE001 - reported to the test
        result = error
    return True, time.monotonic() - started, result


@pytest.mark.parametrize(
    "timeouts",
    [
        pytest.param(hostile_server.TIMEOUTS, id="total_timeout-beyond-end_time"),
        pytest.param({"connect_timeout": 2, "read_timeout": 10, "total_timeout": 20}, id="long-timeouts"),
    ],
)
def test_a_trigger_fires_by_its_end_time_while_a_request_hangs(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, timeouts: dict[str, float]
) -> None:
    hostile.answer("trickle_headers", interval=1.0, max_bytes=60)
    conn = {
        "conn_type": "make",
        "host": hostile.url,
        "login": hostile_server.LOGIN,
        "password": hostile_server.PASSWORD,
        "extra": timeouts,
    }
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))
    wait, poll_interval = 3.0, 1.0
    started = time.time()
    trigger = MakeTrackingTrigger(
        tracking_id=hostile_server.TRACKING_ID,
        make_conn_id="make_default",
        end_time=started + wait,
        poll_interval=poll_interval,
    )
    limit = wait + poll_interval + 1

    async def first_event() -> dict[str, Any]:
        events = trigger.run()
        try:
            event = await events.__anext__()
        finally:
            await events.aclose()
        payload: dict[str, Any] = event.payload
        return payload

    try:
        finished, seconds, event = asyncio.run(async_within(first_event, limit + 1))
    finally:
        hostile.stop()

    assert finished, f"no event {limit + 1:.0f} s after starting a trigger ending in {wait:.0f} s"
    assert seconds < limit, f"the event came {seconds:.1f} s after the start (end_time: {wait:.0f} s)"
    assert isinstance(event, dict), event
    assert event["status"] != "success", event
