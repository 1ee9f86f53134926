"""Waiting for a campaign's SMS to be sent: one wait for every accepted row.

Used in the worker (``wait_for_completion=True, deferrable=False``) and by
:class:`~airflow_provider_make.triggers.bulk.MakeCampaignTrigger` in the triggerer. Each
round looks once at the tracking log of every row not yet delivered, at most
``max_concurrency`` looks in flight, then sleeps until the next round. A makeSms+ is
delivered once its log has ``date_executed`` (spec decision 8); "too early" (112) and
failures a read may retry are "not yet"; an id the API no longer knows (110) ends that
row's wait with the problem named.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from airflow_provider_make.client import calls
from airflow_provider_make.client.async_driver import AsyncMakeClient
from airflow_provider_make.client.errors import Action, MakeError, action_of

if TYPE_CHECKING:
    from airflow_provider_make.client.settings import ClientSettings


async def wait_for_deliveries(
    settings: ClientSettings,
    tracking_ids: Iterable[str],
    *,
    end_time: float,
    poll_interval: float,
    max_concurrency: int,
    log: Any = None,
) -> dict[str, dict[str, Any]]:
    """``{id: {"delivered_at": ISO-8601 or None, "problem": str}}`` once all are sent or at ``end_time``.

    ``end_time`` is Unix seconds (``time.time()``), so it survives a deferral.
    """
    client = AsyncMakeClient(settings)
    waiting = sorted(set(tracking_ids))
    outcome: dict[str, dict[str, Any]] = {tid: {"delivered_at": None, "problem": ""} for tid in waiting}
    slots = asyncio.Semaphore(max_concurrency)
    waiting_done: set[str] = set()  # the rows whose wait ended this round

    async def look(tracking_id: str) -> None:
        async with slots:
            remaining = end_time - time.time()
            try:
                tracking = await asyncio.wait_for(
                    client.request(calls.tracking(tracking_id=tracking_id)), max(remaining, 0.0) + 1.0
                )
            except asyncio.TimeoutError:
                outcome[tracking_id]["problem"] = "the API did not answer before the deadline"
                return
            except MakeError as error:
                if action_of(error) not in (
                    Action.WAIT,
                    Action.RETRY,
                ):  # 110: the API no longer knows this id
                    outcome[tracking_id]["problem"] = error.message
                    waiting_done.add(tracking_id)
                elif action_of(error) is Action.RETRY:
                    outcome[tracking_id]["problem"] = str(error)
                return
            if tracking.is_finished:
                sent_at = getattr(tracking, "sent_at", None)
                outcome[tracking_id]["delivered_at"] = sent_at.isoformat() if sent_at is not None else None
                outcome[tracking_id]["problem"] = ""
                waiting_done.add(tracking_id)

    rounds = 0
    while waiting:
        waiting_done.clear()
        await asyncio.gather(*(look(tid) for tid in waiting))
        waiting = [tid for tid in waiting if tid not in waiting_done]
        rounds += 1
        remaining = end_time - time.time()
        if not waiting or remaining <= 0:
            break
        if log is not None:
            log.info("Waiting for %d of %d SMS to be sent (round %d)", len(waiting), len(outcome), rounds)
        await asyncio.sleep(min(poll_interval, remaining))
    return outcome
