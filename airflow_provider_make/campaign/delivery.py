"""Waiting for a campaign's SMS to be executed: the one wait (:mod:`airflow_provider_make.waiting`), as JSON.

Used in the worker and by :class:`~airflow_provider_make.triggers.bulk.MakeCampaignTrigger`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from airflow_provider_make.client.tracking import SmsPlusTracking
from airflow_provider_make.waiting import wait_for_trackings

if TYPE_CHECKING:
    from airflow_provider_make.client.settings import ClientSettings


async def wait_for_executions(
    settings: ClientSettings,
    tracking_ids: Iterable[str],
    *,
    deadline: float,
    poll_interval: float,
    max_concurrency: int,
    log: Any = None,
) -> dict[str, dict[str, Any]]:
    """``{id: {"executed_at": ISO-8601 or None, "problem": str}}``, once all ran or at the deadline."""
    waited = await wait_for_trackings(
        settings,
        tracking_ids,
        deadline=deadline,
        poll_interval=poll_interval,
        max_concurrency=max_concurrency,
        log=log,
    )
    outcome: dict[str, dict[str, Any]] = {}
    for tracking_id, tracking in waited.finished.items():
        executed = tracking.sent_at if isinstance(tracking, SmsPlusTracking) else None
        outcome[tracking_id] = {"executed_at": executed.isoformat() if executed else None, "problem": ""}
    for tracking_id, problem in waited.not_finished.items():
        outcome[tracking_id] = {"executed_at": None, "problem": problem}
    for tracking_id, error in waited.lost.items():
        outcome[tracking_id] = {"executed_at": None, "problem": str(error)}
    return outcome
