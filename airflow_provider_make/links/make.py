"""Links from a task in the Airflow UI to what the make API knows about its request.

Airflow 3 computes extra links on the worker when a task ends (or defers), with the
operator instance that ran, and stores them in XCom for the UI. The operators and the
sensor keep the tracking id and the recording URL on themselves as soon as they know
them (they push both to XCom too, before any waiting); reading them from the operator
costs no extra XCom round trip and logs no "XCom not found" for a task that failed
before it sent anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


class MakeTrackingLink(BaseOperatorLink):
    """ "make tracking": the request's tracking log (``apilog.php?id=...``, no password in it)."""

    name = "make tracking"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        tracking_id = getattr(operator, "make_tracking_id", None)
        hook = getattr(operator, "hook", None)
        if not tracking_id or hook is None:
            return ""
        url: str = hook.tracking_url(str(tracking_id))
        return url


class MakeCallRecordingLink(BaseOperatorLink):
    """ "Call recording": makeCall+'s recording, once the tracking log has a ``record_link``."""

    name = "Call recording"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return str(getattr(operator, "make_record_link", None) or "")
