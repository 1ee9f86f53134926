"""triggers/bulk.py: MakeCampaignTrigger waits for a whole campaign in the triggerer, one JSON event."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.triggers.bulk import MakeCampaignTrigger
from tests.conftest import Sandbox
from tests.helpers import MemoryStore, campaign_try, people


def events(trigger: MakeCampaignTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def test_serializes_to_json_only() -> None:
    trigger = MakeCampaignTrigger(
        ["a", "b"], "make_default", end_time=123.0, poll_interval=2, max_concurrency=3
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_make.triggers.bulk.MakeCampaignTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert MakeCampaignTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_one_event_with_every_rows_execution_time(make_default: Sandbox, settings: ClientSettings) -> None:
    done = campaign_try(settings, people(6), MemoryStore())
    ids = [record["id"] for record in done.results()]
    [event] = events(MakeCampaignTrigger(ids, "make_default", end_time=time.time() + 30, poll_interval=0.1))
    assert event["status"] == "success" and set(event["executions"]) == set(ids)
    assert all(look["executed_at"] for look in event["executions"].values())
    assert json.loads(json.dumps(event)) == event


def test_a_missing_connection_is_a_failed_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_MAKE_DEFAULT", raising=False)
    [event] = events(MakeCampaignTrigger(["x"], "no_such_connection", end_time=time.time() + 1))
    assert event["status"] == "error" and "no_such_connection" in event["error"]["message"]
