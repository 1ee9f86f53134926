"""MakeBulkSmsPlusOperator: one task sends a makeSms+ to every row of a list (issue 9).

The whole list goes from one task, concurrently, with its progress kept durable so that a
retry, or a run after a killed worker, sends only what was not yet accepted (see
:mod:`airflow_provider_make.campaign.ledger`). Importing this module stays cheap: the
campaign machinery, the hook, the HTTP libraries and ``phonenumbers`` load when the task runs.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_make.tasks import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    UsesMakeHook,
    check_if_literal,
    deferrable_or_default,
)

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

    from airflow_provider_make.campaign.ledger import Ledger
    from airflow_provider_make.campaign.options import Options
    from airflow_provider_make.campaign.rows import Plan
    from airflow_provider_make.campaign.runner import Outcome

#: XCom keys of the per-row results: ``make_campaign_results`` holds the first page (at
#: most 512 KiB of JSON), ``make_campaign_results_<n>`` the next ones; the summary's
#: ``result_pages`` says how many.
RESULTS_XCOM_KEY = "make_campaign_results"
#: XCom key of the summary while the task is deferred (the return value once it resumes).
SUMMARY_XCOM_KEY = "make_campaign_summary"
#: The most rows a failure message or a warning lists.
LISTED = 20


def recipients_list(text: str) -> Sequence[Any]:
    """``recipients`` given as text, parsed (rows load only for this: a literal list needs no parse)."""
    from airflow_provider_make.campaign.rows import parse_recipients

    return parse_recipients(text)


def page_key(number: int) -> str:
    return RESULTS_XCOM_KEY if number == 0 else f"{RESULTS_XCOM_KEY}_{number}"


class MakeBulkSmsPlusOperator(UsesMakeHook, BaseOperator):
    """Send a makeSms+ to every row of ``recipients``, concurrently, once, resumably.

    Returns (XCom ``return_value``) ``{"total", "accepted", "refused", "invalid",
    "unknown", "skipped_duplicates", "not_sent", "cost", "credits", "result_pages"}``
    (a dry run adds ``would_send`` and ``would_cost``; a wait ``executed`` and
    ``not_executed``); the per-row results go to XCom pages (:data:`RESULTS_XCOM_KEY`) and,
    with ``results_path``, to a file (columns: :mod:`airflow_provider_make.campaign.report`).

    :param sender: the sender's number, country code first (templated).
    :param recipients: a list (templated; an ``XComArg``, or a string rendering to a JSON
        list) of phone numbers or dicts with ``"recipient"``, an optional ``"message"``
        (sent as written) and the fields ``message`` uses as ``{field}`` placeholders.
    :param message: the text of the rows without their own (``"Bonjour {name}"``; templated).
    :param max_concurrency: sends in flight at once (1 to 100).
    :param max_per_second: at most this many sends started per second (None: no limit).
    :param on_invalid: ``"fail"`` fails before any send if a row is invalid; ``"skip"`` sends the others.
    :param make_conn_id: the Airflow connection of type ``make``.
    :param delay_seconds: the API's delay before acting (0 to 7200; None: the account's).
    :param max_cost: stop before the campaign (all its tries) would spend more credits.
    :param cost_per_sms: credits one SMS costs, for the dry run and the balance check
        (default: the last makeSms+ cost seen charged to this account).
    :param resend_unknown: send again the rows whose fate is unknown (a possible duplicate).
    :param dry_run: check and render every row, read the balance, compare it with the
        cost; send nothing (rows ``would_send``). Fails if the balance does not cover it.
    :param results_path: write the per-row results there (``.csv``, or ``.jsonl`` /
        ``.ndjson`` / ``.json``), through ``ObjectStoragePath`` (templated).
    :param result_fields: the row fields the results carry (default: all of each row's).
    :param transliterate: replace French accents and signs by GSM look-alikes.
    :param wait_for_completion: wait until every accepted SMS is executed (``executed_at``).
    :param poll_interval: seconds between two rounds of looks at the trackings.
    :param timeout: seconds to wait at most; the rows not executed then are listed.
    :param deferrable: wait in the triggerer. Defaults to ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = (
        "sender", "recipients", "message", "delay_seconds", "max_cost", "results_path", "make_conn_id",
    )  # fmt: skip
    ui_color = "#e8f4fd"
    #: Seconds between two progress lines in the task log.
    progress_interval = 5.0

    def __init__(
        self,
        *,
        sender: str,
        recipients: Any,
        message: str | None = None,
        max_concurrency: int = 8,
        max_per_second: float | None = None,
        on_invalid: str = "fail",
        make_conn_id: str = "make_default",
        delay_seconds: int | str | None = None,
        max_cost: int | str | None = None,
        cost_per_sms: int | None = None,
        resend_unknown: bool = False,
        dry_run: bool = False,
        results_path: str | None = None,
        result_fields: Sequence[str] | None = None,
        transliterate: bool = False,
        wait_for_completion: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sender, self.recipients, self.message = sender, recipients, message
        self.make_conn_id, self.delay_seconds, self.transliterate = make_conn_id, delay_seconds, transliterate
        self.max_concurrency: Any = max_concurrency
        self.max_per_second: Any = max_per_second
        self.on_invalid = on_invalid
        self.max_cost: Any = max_cost
        self.cost_per_sms: Any = cost_per_sms
        self.resend_unknown = resend_unknown
        self.is_dry_run = dry_run  # BaseOperator.dry_run is a method
        self.results_path: Any = results_path
        self.result_fields: Any = result_fields
        self.wait_for_completion = wait_for_completion
        self.poll_interval: Any = poll_interval
        self.timeout: Any = timeout
        self.deferrable = deferrable_or_default(deferrable)
        # Checked now when given literally (a DAG import error), else when the task runs.
        from airflow_provider_make.campaign.options import check

        for argument, value in self.option_values().items():
            check_if_literal(functools.partial(check, argument), value)
        if isinstance(recipients, str):
            check_if_literal(recipients_list, recipients)

    def render_template_fields(self, context: Context, jinja_env: jinja2.Environment | None = None) -> None:
        """Airflow's rendering; a Jinja variable named like a field of the rows gets a hint."""
        from jinja2 import UndefinedError

        try:
            super().render_template_fields(context, jinja_env)
        except UndefinedError as error:
            from airflow_provider_make.campaign.template import explain_undefined
            from airflow_provider_make.compat import AirflowFailException

            listed = self.recipients if isinstance(self.recipients, (list, tuple)) else []
            fields = {name for row in listed[:100] if isinstance(row, dict) for name in row}
            explanation = explain_undefined(error, fields)
            if explanation is None:
                raise
            raise AirflowFailException(explanation) from None

    def option_values(self) -> dict[str, Any]:
        return {
            "max_concurrency": self.max_concurrency,
            "max_per_second": self.max_per_second,
            "max_cost": self.max_cost,
            "cost_per_sms": self.cost_per_sms,
            "on_invalid": self.on_invalid,
            "resend_unknown": self.resend_unknown,
            "dry_run": self.is_dry_run,
            "results_path": self.results_path,
            "result_fields": self.result_fields,
            "wait_for_completion": self.wait_for_completion,
            "poll_interval": self.poll_interval,
            "timeout": self.timeout,
            "deferrable": self.deferrable,
        }

    def checked_options(self) -> Options:
        """Every option checked (the same checks as at parse time), before any request."""
        from airflow_provider_make.campaign.options import Options
        from airflow_provider_make.client.errors import MakeValidationError
        from airflow_provider_make.exceptions import to_airflow_exception

        try:
            return Options(**self.option_values(), progress_interval=self.progress_interval)
        except MakeValidationError as error:
            raise to_airflow_exception(error) from None

    def checked_plan(self, region: str | None, on_invalid: str) -> Plan:
        """Every row checked; with ``on_invalid="fail"`` a bad row fails the task here."""
        from airflow_provider_make.campaign import rows
        from airflow_provider_make.client.errors import MakeValidationError
        from airflow_provider_make.compat import AirflowFailException
        from airflow_provider_make.exceptions import to_airflow_exception

        try:
            listed = rows.parse_recipients(self.recipients)
            plan = rows.plan(
                listed,
                sender=self.sender,
                template=self.message,
                delay_seconds=self.delay_seconds,
                transliterate=self.transliterate,
                region=region,
            )
        except MakeValidationError as error:
            raise to_airflow_exception(error) from None
        if plan.problems:
            summary = f"{len(plan.problems)} of {plan.total} rows are invalid: {plan.problems_message()}"
            if on_invalid == "fail":
                raise AirflowFailException(
                    f"{summary}. Nothing was sent (on_invalid='skip' sends the others)"
                )
            self.log.warning("%s. They are skipped (on_invalid='skip')", summary)
        if plan.duplicate_of:
            self.log.info(
                "%d rows repeat an earlier row's recipient and text: sent once", len(plan.duplicate_of)
            )
        return plan

    # ------------------------------------------------------------------ running

    def execute(self, context: Context) -> dict[str, Any]:
        import asyncio

        from airflow_provider_make.campaign.costs import last_cost, remember_cost
        from airflow_provider_make.campaign.runner import Campaign
        from airflow_provider_make.hooks.make import airflow_errors
        from airflow_provider_make.monitoring.records import identity

        options = self.checked_options()
        settings = self.hook.settings
        plan = self.checked_plan(settings.default_region, options.on_invalid)
        ledger = self.loaded_ledger(context, plan)
        cost = options.cost_per_sms or last_cost(settings.login)
        if options.dry_run:
            return self.rehearse(context, plan, ledger, options, cost)
        ledger.settle_interrupted(options.resend_unknown)
        if ledger.interrupted:
            self.log.warning(
                "%d rows were on the wire when an earlier try stopped; their fate is unknown, %s: rows %s",
                len(ledger.interrupted),
                "sending them again (resend_unknown=True)" if options.resend_unknown else "not sent again",
                ", ".join(str(row) for row in ledger.interrupted[:LISTED]),
            )
        campaign = Campaign(plan, ledger, settings, options, self.log, identity(context))
        with airflow_errors():
            outcome = asyncio.run(campaign.run(cost_per_sms=cost))
        if ledger.highest_cost:
            remember_cost(settings.login, ledger.highest_cost)
        self.log.info(campaign.progress_line())
        return self.conclude(context, plan, ledger, outcome, options)

    def loaded_ledger(self, context: Context, plan: Plan) -> Ledger:
        from airflow_provider_make.campaign.ledger import CampaignChangedError, Ledger
        from airflow_provider_make.compat import AirflowFailException
        from airflow_provider_make.durable import DurableState

        ledger = Ledger(DurableState(context), plan.fingerprint, plan.total)
        try:
            ledger.load()
        except CampaignChangedError as error:
            raise AirflowFailException(str(error)) from None
        return ledger

    def rehearse(
        self, context: Context, plan: Plan, ledger: Ledger, options: Options, cost: int | None
    ) -> dict[str, Any]:
        """The dry run: the balance against what the campaign would cost; nothing sent."""
        from airflow_provider_make.campaign import report
        from airflow_provider_make.campaign.runner import BOTH_CAUSES
        from airflow_provider_make.compat import AirflowFailException
        from airflow_provider_make.hooks.make import airflow_errors

        with airflow_errors():
            credits = self.hook.get_credits()
        would_send = sum(1 for _ in ledger.pending(plan.sendable(), options.resend_unknown))
        would_cost = cost * would_send if cost else None
        summary = {
            **report.summary(plan, ledger, credits),
            "would_send": would_send,
            "would_cost": would_cost,
        }
        summary["result_pages"] = self.publish(context, plan, ledger, options, dry_run=True)
        self.log.info("Dry run, nothing sent: %s", summary)
        if would_cost is None:
            self.log.warning(
                "Dry run: the cost of one SMS is unknown (no cost_per_sms, none seen charged yet)"
            )
        causes = f": {BOTH_CAUSES}" if credits == 0 else ""
        if would_send and credits < (would_cost or 1):
            price = f"{would_cost} credits ({would_send} SMS at {cost})" if cost else f"{would_send} SMS"
            raise AirflowFailException(
                f"dry run: the campaign would cost {price}, the account has {credits}{causes}. Nothing sent"
            )
        return summary

    def conclude(
        self, context: Context, plan: Plan, ledger: Ledger, outcome: Outcome, options: Options
    ) -> dict[str, Any]:
        """Publish the results, then end the try the way the outcome calls for."""
        from airflow_provider_make.campaign import report
        from airflow_provider_make.campaign.ledger import ACCEPTED, FAILED, RETRY, UNKNOWN
        from airflow_provider_make.client.errors import MakeError
        from airflow_provider_make.compat import AirflowException, AirflowFailException
        from airflow_provider_make.exceptions import to_airflow_exception

        summary = report.summary(plan, ledger, outcome.credits)
        self.log.info(
            "Campaign: %s (%d sends in %.1f s, %.1f/s); %d writes of its progress",
            summary, outcome.sent, outcome.seconds, outcome.sent / max(outcome.seconds, 1e-9), ledger.writes,
        )  # fmt: skip
        if ledger.count(FAILED) or ledger.count(UNKNOWN):
            self.log.warning(
                "%d rows were refused by the API, %d are of unknown fate (they may have been accepted: check "
                "the account's history on makesms.fr); the results say why",
                ledger.count(FAILED),
                ledger.count(UNKNOWN),
            )
        waits = options.wait_for_completion and outcome.stop is None and summary["accepted"] > 0
        summary["result_pages"] = self.publish(context, plan, ledger, options)  # again after a wait
        done = f"{summary['accepted']} of {plan.valid} rows accepted so far, progress kept"
        error = outcome.stop_error
        if isinstance(error, MakeError):
            self.log.error("The campaign stopped at once (%s); %s", error.message, done)
            raise to_airflow_exception(error)
        if error is not None:
            raise AirflowFailException(f"{error}; {done}")
        if ledger.count(RETRY):
            raise AirflowException(
                f"{ledger.count(RETRY)} rows failed on the service's side or never reached the API (nothing "
                f"was accepted for them); {done}. A retry of this task sends only those"
            )
        if not waits:
            return summary
        ids = [record["id"] for record in report.results(plan, ledger) if record["status"] == ACCEPTED]
        return self.wait(context, summary, ids, options, plan, ledger)

    def publish(
        self,
        context: Context,
        plan: Plan,
        ledger: Ledger,
        options: Options,
        *,
        dry_run: bool = False,
        executed: dict[str, str | None] | None = None,
    ) -> int:
        """Per-row results to XCom pages and, with ``results_path``, to the file; the number of pages."""
        from airflow_provider_make.campaign import report

        ti = context["ti"]
        publisher = report.Publisher(
            lambda number, page: ti.xcom_push(key=page_key(number), value=page),
            options.results_path,
            report.columns(plan, options.result_fields),
        )
        for record in report.results(
            plan, ledger, fields=options.result_fields, dry_run=dry_run, executed=executed
        ):
            publisher.add(record)
        pages = publisher.close()
        if options.results_path:
            self.log.info("Wrote the results of %d rows to %s", publisher.count, options.results_path)
        return pages

    # ------------------------------------------------------------------ waiting

    def wait(
        self,
        context: Context,
        summary: dict[str, Any],
        ids: list[str],
        options: Options,
        plan: Plan,
        ledger: Ledger,
    ) -> dict[str, Any]:
        """One wait for every accepted row: deferred to the triggerer, or here."""
        import asyncio

        from airflow_provider_make.campaign.delivery import wait_for_executions
        from airflow_provider_make.hooks.make import airflow_errors

        deadline = time.time() + options.timeout
        if options.deferrable:
            from airflow_provider_make.triggers.bulk import MakeCampaignTrigger

            context["ti"].xcom_push(key=SUMMARY_XCOM_KEY, value=summary)
            self.log.info("Waiting for %d SMS in the triggerer (timeout %.0f s)", len(ids), options.timeout)
            self.defer(
                trigger=MakeCampaignTrigger(
                    tracking_ids=ids,
                    make_conn_id=self.make_conn_id,
                    end_time=deadline,
                    poll_interval=options.poll_interval,
                    max_concurrency=options.max_concurrency,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=options.timeout + max(60.0, 2 * options.poll_interval)),
            )
        self.log.info("Waiting for %d SMS to be executed (timeout %.0f s)", len(ids), options.timeout)
        with airflow_errors():
            executions = asyncio.run(
                wait_for_executions(
                    self.hook.settings,
                    ids,
                    deadline=deadline,
                    poll_interval=options.poll_interval,
                    max_concurrency=options.max_concurrency,
                    log=self.log,
                )
            )
        return self.executed(context, summary, executions, options, plan, ledger)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the campaign trigger fired: the results again, with the execution times."""
        from airflow_provider_make.client.errors import error_from_event
        from airflow_provider_make.compat import AirflowException
        from airflow_provider_make.exceptions import to_airflow_exception

        if event.get("status") == "error" and isinstance(event.get("error"), dict):
            raise to_airflow_exception(error_from_event(event["error"]))
        if event.get("status") != "success" or not isinstance(event.get("executions"), dict):
            raise AirflowException(f"the campaign trigger sent an unexpected event: {str(event)[:200]}")
        ti = context["ti"]
        summary = ti.xcom_pull(task_ids=self.task_id, key=SUMMARY_XCOM_KEY, map_indexes=ti.map_index) or {}
        options = self.checked_options()
        plan = self.checked_plan(self.hook.settings.default_region, "skip")
        return self.executed(
            context, dict(summary), event["executions"], options, plan, self.loaded_ledger(context, plan)
        )

    def executed(
        self,
        context: Context,
        summary: dict[str, Any],
        executions: dict[str, dict[str, Any]],
        options: Options,
        plan: Plan,
        ledger: Ledger,
    ) -> dict[str, Any]:
        """Publish with ``executed_at``; fail listing the rows not executed in time."""
        from airflow_provider_make.compat import AirflowException

        late = [
            f"{tracking_id} ({look['problem']})" if look.get("problem") else tracking_id
            for tracking_id, look in executions.items()
            if not look.get("executed_at")
        ]
        summary["executed"] = len(executions) - len(late)
        summary["not_executed"] = len(late)
        times = {tracking_id: look.get("executed_at") for tracking_id, look in executions.items()}
        summary["result_pages"] = self.publish(context, plan, ledger, options, executed=times)
        if late:
            more = f" and {len(late) - LISTED} more" if len(late) > LISTED else ""
            raise AirflowException(
                f"{len(late)} accepted SMS were still not executed after waiting {options.timeout:.0f} s: "
                f"{'; '.join(late[:LISTED])}{more}. A retry waits for them again; it sends nothing"
            )
        self.log.info("All %d accepted SMS are executed", summary["executed"])
        return summary
