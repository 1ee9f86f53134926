"""Links from a task in the Airflow UI to what the make API knows about its request.

Airflow 3 computes extra links on the worker, with the operator instance that ran, when a
task ends or defers. The operators and the sensor keep the tracking id and the recording
URL on themselves as soon as they know them: reading them there costs no XCom round trip
and logs no "XCom not found" for a task that failed before it sent anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

from airflow_provider_make import xcom_keys

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey


def remember_record_link(task: Any, context: Context, tracking: dict[str, Any]) -> None:
    """Keep makeCall+'s recording URL, once the log has one, for the "Call recording" link and in XCom."""
    if link := tracking.get("record_link"):
        task.make_record_link = link
        context["ti"].xcom_push(key=xcom_keys.RECORD_LINK, value=link)


class MakeTrackingLink(BaseOperatorLink):
    """ "make tracking": the request's tracking log (``apilog.php?id=...``, no password in it)."""

    name = "make tracking"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        tracking_id = getattr(operator, "make_tracking_id", None)
        hook = getattr(operator, "hook", None)
        return str(hook.tracking_url(str(tracking_id))) if tracking_id and hook else ""


class MakeCallRecordingLink(BaseOperatorLink):
    """ "Call recording": makeCall+'s recording, once the tracking log has a ``record_link``."""

    name = "Call recording"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return str(getattr(operator, "make_record_link", None) or "")
