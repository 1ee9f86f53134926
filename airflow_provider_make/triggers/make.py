"""MakeTrackingTrigger: waits for a request to finish in the triggerer, freeing the worker."""

from __future__ import annotations

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
from airflow_provider_make.waiting import Waited, wait_for_trackings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow.sdk import BaseOperator


@dataclasses.dataclass(eq=False, repr=False)
class MakeTrackingTrigger(BaseTrigger):
    """Poll a request's tracking log until it is finished, then fire one event and return.

    It waits the one way every wait does (:func:`~airflow_provider_make.waiting.wait_for_trackings`),
    in the triggerer's event loop. The event (:func:`event_of`) is::

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
        settings = await MakeHook(make_conn_id=self.make_conn_id).aget_settings()
        started = time.time()
        waited = await wait_for_trackings(
            settings,
            [self.tracking_id],
            deadline=self.end_time,
            poll_interval=self.poll_interval,
            wait_for_follow_up=self.wait_for_follow_up,
            log=self.log,
        )
        return event_of(waited, self.tracking_id, time.time() - started, " in the triggerer")


def event_of(waited: Waited, tracking_id: str, seconds: float, where: str = "") -> dict[str, Any]:
    """How the wait for ``tracking_id`` ended, as the trigger's event (also in the worker, so that
    both ways of waiting end the same way through :func:`tracking_from_event`)."""
    if (tracking := waited.finished.get(tracking_id)) is not None:
        return {"status": "success", "tracking": tracking.to_dict()}
    if (error := waited.lost.get(tracking_id)) is not None:
        return {"status": "error", "error": error.to_event()}
    problem = waited.not_finished.get(tracking_id, "")
    message = f"request {tracking_id} was still not finished after waiting {seconds:.0f} s{where}"
    return {"status": "timeout", "message": message + (f" (last problem: {problem})" if problem else "")}


def tracking_from_event(event: dict[str, Any]) -> dict[str, Any]:
    """The tracking dict of a success event; else raise what it means for the task resuming after
    deferral: an error event as its Airflow class, exactly as if it had happened in the worker."""
    if event.get("status") == "success":
        tracking: dict[str, Any] = event["tracking"]
        return tracking
    if event.get("status") == "error" and isinstance(event.get("error"), dict):
        raise to_airflow_exception(error_from_event(event["error"]))
    raise AirflowException(str(event.get("message") or f"the trigger sent an unexpected event: {event!r}"))
