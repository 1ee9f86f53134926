"""MakeSmsNotifier: an SMS (makeSms+) when a DAG or a task fails, succeeds, or misses a deadline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from airflow_provider_make.tasks import UsesMakeHook

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_make.client.answers import SendResult


class MakeSmsNotifier(UsesMakeHook, BaseNotifier):
    """Send an SMS with makeSms+ from a callback: ``on_failure_callback=MakeSmsNotifier(...)``.

    ``message`` is a template (``"{{ dag.dag_id }} failed"``). The text must fit the GSM
    03.38 basic alphabet; ``transliterate=True`` replaces French accents and typographic
    signs first (an explicit choice, spec decision 6). A refused argument is logged in one
    clear line naming it, then raised.

    :param sender: the sender's number (country code first).
    :param recipient: the recipient's number.
    :param message: the text (templated).
    :param make_conn_id: the Airflow connection of type ``make``.
    :param transliterate: replace characters GSM lacks (``ê``, ``’``) by look-alikes.
    """

    template_fields: Sequence[str] = ("sender", "recipient", "message", "make_conn_id")

    def __init__(
        self,
        *,
        sender: str,
        recipient: str,
        message: str,
        make_conn_id: str = "make_default",
        transliterate: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sender = sender
        self.recipient = recipient
        self.message = message
        self.make_conn_id = make_conn_id
        self.transliterate = transliterate

    @contextlib.contextmanager
    def _failure_logged(self) -> Iterator[None]:
        """A failure is logged (Airflow would swallow it), counted if the API refused it, then raised."""
        from airflow_provider_make.client.errors import MakeError
        from airflow_provider_make.client.kinds import RequestKind
        from airflow_provider_make.monitoring import metrics

        try:
            yield
        except MakeError as error:
            self.log.error("MakeSmsNotifier could not send the SMS to %s: %s", self.recipient, error)
            if error.result_code is not None:
                metrics.refused(RequestKind.SMS_PLUS, result_code=error.result_code)
            raise

    def _accepted(self, result: SendResult) -> None:
        from airflow_provider_make.monitoring import metrics

        metrics.accepted(result.kind, cost=result.cost, credits_left=result.credits)
        self.log.info("MakeSmsNotifier: %s", result.summary())

    def notify(self, context: Context) -> None:
        """Send the SMS (synchronously)."""
        with self._failure_logged():
            result = self.hook.sms_plus(
                self.sender, self.recipient, self.message, transliterate=self.transliterate
            )
        self._accepted(result)

    async def async_notify(self, context: Context) -> None:
        """Send the SMS without blocking the event loop (for async callbacks and the triggerer)."""
        from airflow_provider_make.client import calls

        with self._failure_logged():
            result = await self.hook.arun(
                calls.sms_plus,
                sender=self.sender,
                recipient=self.recipient,
                message=self.message,
                transliterate=self.transliterate,
            )
        self._accepted(result)


send_make_sms_notification = MakeSmsNotifier
