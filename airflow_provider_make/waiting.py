"""The one way to wait for requests to finish (spec decisions 8 and 9).

The trigger, the operators' wait in the worker, the sensor (a single look) and a campaign's
wait for its SMS all call :func:`wait_for_trackings`: it looks at every id's tracking log,
at most ``max_concurrency`` looks in flight, then again every ``poll_interval`` seconds,
until every request is finished or ``deadline`` passes. "Too early" (112) is the normal
start of every wait; a failure a read may retry (0, 111, a dropped connection) is a
problem to wait through, named if the deadline passes; an id the API no longer knows
(110) ends that id's wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_make.client import calls
from airflow_provider_make.client.async_driver import AsyncMakeClient
from airflow_provider_make.client.errors import Action, MakeError, action_of
from airflow_provider_make.client.tracking import wait_is_over

if TYPE_CHECKING:
    from airflow_provider_make.client.settings import ClientSettings
    from airflow_provider_make.client.tracking import AnyTracking


class Log(Protocol):
    """A logger: the standard library's, or Airflow's (a task's or a trigger's ``self.log``)."""

    def log(self, level: int, msg: str, /, *args: Any) -> Any: ...


#: What a look that did not answer before the deadline leaves as its problem.
NO_ANSWER = "the API did not answer before the deadline"


@dataclass(frozen=True)
class Waited:
    """Where each id's wait ended."""

    finished: dict[str, AnyTracking] = field(default_factory=dict)  # its log, once finished
    not_finished: dict[str, str] = field(default_factory=dict)  # the last problem seen, or ""
    lost: dict[str, MakeError] = field(default_factory=dict)  # why its wait cannot end (110)


async def wait_for_trackings(
    settings: ClientSettings,
    tracking_ids: Iterable[str],
    *,
    deadline: float,
    poll_interval: float,
    wait_for_follow_up: bool = False,
    max_concurrency: int = 8,
    log: Log | None = None,
) -> Waited:
    """Look until every request is finished or ``deadline`` (Unix seconds, so it survives a
    deferral) passes; at least one look at each id, so ``deadline=0`` is a single look."""
    client = AsyncMakeClient(settings)
    slots = asyncio.Semaphore(max_concurrency)
    waited = Waited(not_finished=dict.fromkeys(dict.fromkeys(tracking_ids), ""))

    async def look(tracking_id: str) -> None:
        async with slots:
            remaining = max(deadline - time.time(), 0.0) + 1.0  # a hanging read ends at the deadline
            try:
                tracking = await asyncio.wait_for(
                    client.request(calls.tracking(tracking_id=tracking_id)), remaining
                )
            except asyncio.TimeoutError:
                waited.not_finished[tracking_id] = NO_ANSWER
                return
            except MakeError as error:
                if action_of(error) is Action.WAIT:  # 112: not there yet, the normal start of every wait
                    return
                if action_of(error) is Action.RETRY:  # a read, safe to repeat
                    waited.not_finished[tracking_id] = str(error)
                    return
                waited.lost[tracking_id] = error
            else:
                if not wait_is_over(tracking, wait_for_follow_up=wait_for_follow_up):
                    waited.not_finished[tracking_id] = ""
                    return
                waited.finished[tracking_id] = tracking
            del waited.not_finished[tracking_id]

    first_round = True
    while True:
        await asyncio.gather(*(look(tracking_id) for tracking_id in list(waited.not_finished)))
        remaining = deadline - time.time()
        if not waited.not_finished or remaining <= 0:
            return waited
        problems = sorted({problem for problem in waited.not_finished.values() if problem})
        # Said once when the wait starts, then only about problems: a triggerer runs thousands.
        if log is not None and (problems or first_round):
            log.log(
                logging.WARNING if problems else logging.INFO,
                "%d of %d requests not finished yet%s; looking again every %.0f s for at most %.0f s",
                len(waited.not_finished),
                len(waited.not_finished) + len(waited.finished) + len(waited.lost),
                f" (last problem: {problems[-1]})" if problems else "",
                poll_interval,
                remaining,
            )
        first_round = False
        await asyncio.sleep(min(poll_interval, remaining))


def wait_for_trackings_blocking(
    settings: ClientSettings,
    tracking_ids: Iterable[str],
    *,
    deadline: float,
    poll_interval: float,
    wait_for_follow_up: bool = False,
    log: Log | None = None,
) -> Waited:
    """:func:`wait_for_trackings` from code outside an event loop (a worker, a sensor's poke): in
    a loop of its own, whose HTTP clients are closed when it ends."""
    from airflow_provider_make.client.async_driver import loop_pool

    async def wait_then_close() -> Waited:
        try:
            return await wait_for_trackings(
                settings,
                tracking_ids,
                deadline=deadline,
                poll_interval=poll_interval,
                wait_for_follow_up=wait_for_follow_up,
                log=log,
            )
        finally:
            await loop_pool().aclose()

    return asyncio.run(wait_then_close())
