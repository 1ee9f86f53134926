"""MakeCampaignTrigger: waits in the triggerer until every SMS of a campaign is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class MakeCampaignTrigger(BaseTrigger):
    """One wait for a whole campaign: polls the trackings, ``max_concurrency`` at a time.

    The payload and the event are plain JSON. The event is one of::

        {"status": "success", "executions": {id: {"executed_at": ISO-8601 or None, "problem": str}}}
        {"status": "error", "error": {...}}     # MakeError.to_event()

    Rows still not executed at ``end_time`` have ``executed_at`` None: the operator lists them.
    The triggerer's event loop is shared, so its HTTP pool is not resized here; the
    trigger bounds its own looks in flight instead.

    :param tracking_ids: the ids the API gave the campaign's accepted rows.
    :param make_conn_id: the ``make`` connection.
    :param end_time: the wall-clock deadline, Unix seconds.
    :param poll_interval: seconds between two rounds of looks.
    :param max_concurrency: looks in flight at once.
    """

    def __init__(
        self,
        tracking_ids: list[str],
        make_conn_id: str,
        end_time: float,
        poll_interval: float = 10.0,
        max_concurrency: int = 8,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tracking_ids = [str(tid) for tid in tracking_ids]
        self.make_conn_id = make_conn_id
        self.end_time = float(end_time)
        self.poll_interval = float(poll_interval)
        self.max_concurrency = int(max_concurrency)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Classpath and JSON-safe keyword arguments."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "tracking_ids": self.tracking_ids,
                "make_conn_id": self.make_conn_id,
                "end_time": self.end_time,
                "poll_interval": self.poll_interval,
                "max_concurrency": self.max_concurrency,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait for every row or the deadline; yield exactly one event."""
        from airflow_provider_make.campaign.delivery import wait_for_executions
        from airflow_provider_make.client.errors import MakeConfigurationError, MakeError, MakeTransportError
        from airflow_provider_make.hooks.make import MakeHook

        event: dict[str, Any]
        try:
            settings = await MakeHook(make_conn_id=self.make_conn_id).aget_settings()
            executions = await wait_for_executions(
                settings,
                self.tracking_ids,
                deadline=self.end_time,
                poll_interval=self.poll_interval,
                max_concurrency=self.max_concurrency,
                log=self.log,
            )
            event = {"status": "success", "executions": executions}
        except MakeError as error:
            event = {"status": "error", "error": error.to_event()}
        except Exception as error:  # noqa: BLE001 - tell the task, plainly, rather than crash
            from airflow_provider_make.compat import AirflowNotFoundException

            message = f"waiting for the campaign failed: {type(error).__name__}: {error}"
            made: MakeError = (
                MakeConfigurationError(message)
                if isinstance(error, AirflowNotFoundException)
                else MakeTransportError(message, may_have_been_accepted=False)
            )
            event = {"status": "error", "error": made.to_event()}
        yield TriggerEvent(event)  # type: ignore[no-untyped-call]
