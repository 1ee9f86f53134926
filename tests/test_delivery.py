"""campaign/delivery.py: one wait for every accepted row of a campaign, its execution times as JSON."""

from __future__ import annotations

import asyncio
import time

from airflow_provider_make.campaign.delivery import wait_for_executions
from airflow_provider_make.client.settings import ClientSettings
from tests.conftest import LOGIN, PASSWORD, Sandbox
from tests.helpers import MemoryStore, campaign_try, people


def test_one_wait_for_the_whole_campaign(api: Sandbox, settings: ClientSettings) -> None:
    done = campaign_try(settings, people(30), MemoryStore())
    ids = [row["id"] for row in done.results()]
    executions = asyncio.run(
        wait_for_executions(settings, ids, deadline=time.time() + 30, poll_interval=0.1, max_concurrency=8)
    )
    assert set(executions) == set(ids)
    assert all(look["executed_at"] and look["problem"] == "" for look in executions.values())
    json_safe = {tracking_id: dict(look) for tracking_id, look in executions.items()}
    assert json_safe == executions


def test_rows_not_executed_at_the_deadline_are_named(slow_api: Sandbox) -> None:
    settings = ClientSettings(LOGIN, PASSWORD, base_url=slow_api.url)
    done = campaign_try(settings, people(3), MemoryStore())
    ids = [row["id"] for row in done.results()]
    executions = asyncio.run(
        wait_for_executions(settings, ids, deadline=time.time() + 0.5, poll_interval=0.2, max_concurrency=2)
    )
    assert set(executions) == set(ids) and all(look["executed_at"] is None for look in executions.values())
