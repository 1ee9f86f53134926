"""MakeTrackingSensor: waits until a make request is finished, in poke, reschedule or deferrable mode."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_make import xcom_keys
from airflow_provider_make.compat import AirflowSensorTimeout
from airflow_provider_make.links.make import MakeCallRecordingLink, MakeTrackingLink, remember_record_link
from airflow_provider_make.tasks import (
    DEFAULT_POLL_INTERVAL,
    UsesMakeHook,
    check_if_literal,
    deferrable_or_default,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class MakeTrackingSensor(UsesMakeHook, BaseSensorOperator):
    """Wait until the request ``tracking_id`` is finished; return its tracking log as a JSON dict.

    "Finished" follows spec decision 8: a ring once hung up; a call once both legs are over
    (or the caller's never rang); an SMS once sent. ring+ and ringun logs carry no dates, so
    the sensor finishes at once. The log appears 10 seconds after the request (code 112
    until then: keep waiting); an unknown id (110) fails the task. In deferrable mode the
    sensor looks once, then hands the waiting to the triggerer.

    :param tracking_id: the id the API gave the request (templated).
    :param make_conn_id: the Airflow connection of type ``make``.
    :param wait_for_follow_up: for makeSms+, also wait for the follow-up SMS.
    :param deferrable: wait in the triggerer. Defaults to ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = ("tracking_id", "make_conn_id")
    operator_extra_links = (MakeTrackingLink(), MakeCallRecordingLink())
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        tracking_id: str,
        make_conn_id: str = "make_default",
        wait_for_follow_up: bool = False,
        deferrable: bool | None = None,
        poke_interval: float = DEFAULT_POLL_INTERVAL,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(poke_interval=poke_interval, **kwargs)
        self.tracking_id = tracking_id
        self.make_conn_id = make_conn_id
        self.wait_for_follow_up = wait_for_follow_up
        self.deferrable = deferrable_or_default(deferrable)
        # The extra links read these (links/make.py).
        self.make_tracking_id: str | None = None
        self.make_record_link: str | None = None
        check_if_literal(check.tracking_id, tracking_id)
        check_if_literal(lambda value: check.flag(value, "wait_for_follow_up"), wait_for_follow_up)
        check_if_literal(lambda value: check.flag(value, "deferrable"), self.deferrable)

    def execute(self, context: Context) -> Any:
        self.make_tracking_id = self.tracking_id
        context["ti"].xcom_push(key=xcom_keys.TRACKING_ID, value=self.tracking_id)
        if not self.deferrable:
            return super().execute(context)
        if (first_look := self.poke(context)).is_done:
            return first_look.xcom_value
        from airflow_provider_make.triggers.make import MakeTrackingTrigger

        end_time = time.time() + self.timeout
        args = (self.tracking_id, self.make_conn_id, end_time, self.poke_interval, self.wait_for_follow_up)
        MakeTrackingTrigger(*args).defer_task(self)

    def poke(self, context: Context) -> PokeReturnValue:
        """One look (:meth:`MakeHook.poll_tracking`): done once the request is finished."""
        tracking = self.hook.poll_tracking(self.tracking_id, wait_for_follow_up=self.wait_for_follow_up)
        if tracking is None:
            self.log.info("Request %s is not finished yet", self.tracking_id)
            return PokeReturnValue(is_done=False)
        dates = "" if tracking.kind.tracking_has_dates else " (its tracking log has no dates to wait for)"
        self.log.info("%s %s is finished%s", tracking.kind.label, self.tracking_id, dates)
        result = tracking.to_dict()
        remember_record_link(self, context, result)
        return PokeReturnValue(is_done=True, xcom_value=result)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the trigger fired; relies on ``event`` only."""
        from airflow_provider_make.triggers.make import tracking_from_event

        self.make_tracking_id = self.tracking_id
        if event.get("status") == "timeout":
            # As in poke mode: a sensor's timeout fails it without using its retries.
            raise AirflowSensorTimeout(str(event.get("message")))
        tracking = tracking_from_event(event)
        remember_record_link(self, context, tracking)
        return tracking
