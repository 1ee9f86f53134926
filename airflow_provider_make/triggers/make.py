"""MakeTrackingTrigger: waits for a request to finish in the triggerer, freeing the worker."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_make.client.errors import (
    MakeConfigurationError,
    MakeError,
    MakeTransportError,
    error_from_event,
)
from airflow_provider_make.compat import AirflowException, AirflowNotFoundException
from airflow_provider_make.exceptions import to_airflow_exception
from airflow_provider_make.hooks.make import MakeHook

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow.sdk import BaseOperator


@dataclasses.dataclass(eq=False, repr=False)
class MakeTrackingTrigger(BaseTrigger):
    """Poll a request's tracking log until it is finished, then fire one event and return.

    Truly asynchronous (async connection, the loop's shared HTTP pool, ``asyncio.sleep``).
    Each poll is cut off at ``end_time``, so the event fires even when the API hangs. A
    service failure or a dropped connection is a read, safe to repeat: the trigger polls on
    and names the last problem if the deadline passes. The event is::

        {"status": "success", "tracking": {...}}           # Tracking.to_dict()
        {"status": "timeout", "message": "..."}            # the deadline passed
        {"status": "error", "error": {...}}                # MakeError.to_event()

    :param tracking_id: the id the API gave the request.
    :param make_conn_id: the ``make`` connection (for the base URL).
    :param end_time: the wall-clock deadline, Unix seconds (``time.time()`` based).
    :param poll_interval: seconds between two polls.
    :param wait_for_follow_up: for makeSms+, wait for the follow-up SMS too.
    """

    tracking_id: str
    make_conn_id: str
    end_time: float
    poll_interval: float = 10.0
    wait_for_follow_up: bool = False

    def __post_init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", dataclasses.asdict(self)

    def defer_task(self, task: BaseOperator) -> NoReturn:
        """Defer ``task`` to this trigger; it resumes in its ``execute_complete``."""
        timeout = self.end_time - time.time()
        task.log.info("Waiting for %s in the triggerer (timeout %.0f s)", self.tracking_id, timeout)
        # Past this, the scheduler fails the task even if no triggerer is running.
        timeout += max(60.0, 2 * self.poll_interval)
        task.defer(trigger=self, method_name="execute_complete", timeout=timedelta(seconds=timeout))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until finished or past the deadline; yield exactly one event."""
        try:
            event = await self._wait()
        except Exception as error:  # noqa: BLE001 - tell the task, plainly, rather than crash
            # A missing connection will not appear by retrying; anything else (the triggerer's
            # link to the API server, say) may pass, and a retry only waits again.
            message = f"waiting for {self.tracking_id} failed: {type(error).__name__}: {error}"
            if isinstance(error, AirflowNotFoundException):
                error = MakeConfigurationError(message)
            elif not isinstance(error, MakeError):
                error = MakeTransportError(message, may_have_been_accepted=False)
            event = {"status": "error", "error": error.to_event()}
        yield TriggerEvent(event)  # type: ignore[no-untyped-call]

    async def _wait(self) -> dict[str, Any]:
        hook = MakeHook(make_conn_id=self.make_conn_id)
        started = time.time()
        last_problem = ""
        while True:
            try:
                look = await asyncio.wait_for(
                    hook.alook_at_tracking(self.tracking_id, wait_for_follow_up=self.wait_for_follow_up),
                    max(self.end_time - time.time(), 0.0) + 1.0,  # a hanging request ends at the deadline
                )
            except asyncio.TimeoutError:
                last_problem = "the API did not answer before the deadline"
            else:
                if look.finished is not None:
                    return {"status": "success", "tracking": look.finished.to_dict()}
                if look.problem:
                    last_problem = look.problem
                    self.log.warning("Polling %s failed, will poll again: %s", self.tracking_id, look.problem)
            if (remaining := self.end_time - time.time()) <= 0:
                waited = time.time() - started
                problem = f" (last problem: {last_problem})" if last_problem else ""
                message = f"request {self.tracking_id} was still not finished after waiting {waited:.0f} s"
                return {"status": "timeout", "message": f"{message} in the triggerer{problem}"}
            await asyncio.sleep(min(self.poll_interval, remaining))


def tracking_from_event(event: dict[str, Any]) -> dict[str, Any]:
    """The tracking dict of a success event; else raise what it means for the task resuming after
    deferral: an error event as its Airflow class, exactly as if it had happened in the worker."""
    if event.get("status") == "success":
        tracking: dict[str, Any] = event["tracking"]
        return tracking
    if event.get("status") == "error" and isinstance(event.get("error"), dict):
        raise to_airflow_exception(error_from_event(event["error"]))
    raise AirflowException(str(event.get("message") or f"the trigger sent an unexpected event: {event!r}"))
