"""DurableState (durable.py): where a task instance's records go, under which keys.

The key scheme is read by more than this package (a monitoring page lists the records of
single sends), so it is pinned here: a change to it must show as a failing test.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_make.durable import DurableState
from tests.conftest import MemoryStore, TaskInstance


def test_with_a_task_state_store_the_records_go_there_under_their_own_names() -> None:
    store = MemoryStore()
    durable = DurableState({"task_state_store": store, "ti": TaskInstance()})  # type: ignore[typeddict-item]
    durable.set("make_request", {"intent": "abc", "at": "2026-01-01T00:00:00+00:00"})
    assert store.records == {"make_request": {"intent": "abc", "at": "2026-01-01T00:00:00+00:00"}}
    assert durable.get("make_request") == store.records["make_request"]
    durable.delete("make_request")
    assert durable.get("make_request") is None
    assert durable.backend == "task_state_store"


@pytest.mark.parametrize(
    ("days", "kept"), [(None, timedelta(days=90)), ("7", timedelta(days=7)), ("0", timedelta.max)]
)
def test_the_state_store_keeps_them_for_the_monitoring_retention(
    monkeypatch: pytest.MonkeyPatch, days: str | None, kept: timedelta
) -> None:
    # Not the state store's 30-day default: they carry the monitoring records (0: forever).
    if days is not None:
        monkeypatch.setenv("AIRFLOW__MAKE__MONITORING_RETENTION_DAYS", days)
    store = MemoryStore()
    DurableState({"task_state_store": store, "ti": TaskInstance()}).set("make_request", {"id": "a"})  # type: ignore[typeddict-item]
    assert store.retention == kept


@pytest.mark.parametrize("map_index", [-1, 3])
def test_without_one_the_records_are_variables_named_after_the_task_instance(
    monkeypatch: pytest.MonkeyPatch, map_index: int
) -> None:
    ti = TaskInstance(dag_id="campaign_dag", run_id="manual__1", task_id="send", map_index=map_index)
    identity = f"campaign_dag|manual__1|send|{map_index}"
    key = f"make__campaign_dag__{hashlib.sha256(identity.encode()).hexdigest()[:24]}__make_request"
    monkeypatch.setenv(f"AIRFLOW_VAR_{key.upper()}", '{"id": "abc123"}')
    context: Any = {"ti": ti}
    durable = DurableState(context)
    assert durable.backend == "Variable"
    assert durable.get("make_request") == {"id": "abc123"}
    other: Any = {"ti": TaskInstance(dag_id="campaign_dag", run_id="manual__1", task_id="send", map_index=7)}
    assert DurableState(other).get("make_request") is None
