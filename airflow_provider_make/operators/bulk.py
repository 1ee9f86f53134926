"""MakeBulkSmsPlusOperator: one task sends a makeSms+ to every row of a list (issue 9).

A list is what a data team hands an SMS API: "everyone whose parcel ships today". Dynamic
task mapping caps and slows down past a few thousand items; this operator sends the
whole list from one task, concurrently over one connection pool, and keeps its progress
durable so that a retry, or a run after a killed worker, sends only what was not yet
accepted (see :mod:`airflow_provider_make.campaign.ledger`).

Importing this module is as cheap as importing :mod:`.make`: the campaign machinery, the
hook, the HTTP libraries and ``phonenumbers`` are imported when the task runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_make.tasks import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    UsesMakeHook,
    deferrable_or_default,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_make.campaign.ledger import Ledger
    from airflow_provider_make.campaign.rows import Plan
    from airflow_provider_make.campaign.runner import Options, Outcome

#: XCom key of the per-row results: a list of ``{"row", "recipient", "id", "status",
#: "result_code", "cost", "message"}`` (plus ``"delivered_at"`` when waiting), in list order.
RESULTS_XCOM_KEY = "make_campaign_results"
#: XCom key of the summary while the task is deferred (the return value once it resumes).
SUMMARY_XCOM_KEY = "make_campaign_summary"
#: The most sends in flight at once: the loop's pool opens one connection per slot.
MAX_CONCURRENCY = 100
#: The most rows a failure message or a warning lists.
LISTED = 20


class MakeBulkSmsPlusOperator(UsesMakeHook, BaseOperator):
    """Send a makeSms+ to every row of ``recipients``, concurrently, once, resumably.

    Returns (XCom ``return_value``) ``{"total", "accepted", "failed", "invalid", "unknown",
    "skipped_duplicates", "not_sent", "cost", "credits"}``; the per-row results go to the
    XCom :data:`RESULTS_XCOM_KEY` and, with ``results_path``, to a file.

    :param sender: the sender's number, country code first (templated).
    :param recipients: a list (templated; an upstream task's ``XComArg``, or a string
        rendering to a JSON list) whose items are phone numbers or dicts with
        ``"recipient"``, an optional ``"message"`` (sent as written) and the fields the
        ``message`` text uses as ``{field}`` placeholders.
    :param message: the text of the rows without their own, rendered per row with
        ``str.format_map`` of the row (``"Bonjour {name}"``; templated).
    :param max_concurrency: sends in flight at once (1 to 100).
    :param max_per_second: at most this many sends started per second (None: no limit).
    :param on_invalid: ``"fail"`` fails the task before any send if a row is invalid;
        ``"skip"`` sends the valid rows and reports the others.
    :param make_conn_id: the Airflow connection of type ``make``.
    :param delay_seconds: the API's delay before acting (0 to 7200; None: the account's).
    :param max_cost: stop before the campaign (all its tries) would spend more credits.
    :param resend_unknown: send again the rows whose fate is unknown (a worker killed
        while they were on the wire): a possible duplicate rather than a miss.
    :param results_path: write the per-row results there (``.csv``, or ``.jsonl`` /
        ``.ndjson`` / ``.json`` for JSON lines), through ``ObjectStoragePath`` (templated).
    :param transliterate: replace French accents and signs by GSM look-alikes.
    :param wait_for_completion: wait until every accepted SMS is sent, adding
        ``delivered_at`` to the per-row results.
    :param poll_interval: seconds between two rounds of looks at the trackings.
    :param timeout: seconds to wait at most; the rows not delivered then are listed.
    :param deferrable: wait in the triggerer. Defaults to ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = (
        "sender",
        "recipients",
        "message",
        "delay_seconds",
        "max_cost",
        "results_path",
        "make_conn_id",
    )
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
        resend_unknown: bool = False,
        results_path: str | None = None,
        transliterate: bool = False,
        wait_for_completion: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # No checks here: templates and XComArgs are resolved later; execute() checks all.
        self.sender = sender
        self.recipients = recipients
        self.message = message
        self.max_concurrency: Any = max_concurrency
        self.max_per_second: Any = max_per_second
        self.on_invalid = on_invalid
        self.make_conn_id = make_conn_id
        self.delay_seconds: Any = delay_seconds
        self.max_cost: Any = max_cost
        self.resend_unknown = resend_unknown
        self.results_path = results_path
        self.transliterate = transliterate
        self.wait_for_completion = wait_for_completion
        self.poll_interval: Any = poll_interval
        self.timeout: Any = timeout
        self.deferrable = deferrable_or_default(deferrable)

    # ------------------------------------------------------------------ arguments

    def checked_options(self) -> Options:
        """The loop's options; every argument that is not a row is checked here, before any request."""
        from airflow_provider_make.campaign.report import results_format
        from airflow_provider_make.campaign.runner import Options
        from airflow_provider_make.compat import AirflowFailException

        def fail(argument: str, problem: str) -> AirflowFailException:
            return AirflowFailException(f"{argument}: {problem}")

        concurrency = self.max_concurrency
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise fail("max_concurrency", f"expected a whole number, got {concurrency!r}")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise fail("max_concurrency", f"must be from 1 to {MAX_CONCURRENCY}, got {concurrency}")
        rate = self.max_per_second
        if rate is not None and (
            isinstance(rate, bool)
            or not isinstance(rate, (int, float))
            or not math.isfinite(rate)
            or rate <= 0
        ):
            raise fail(
                "max_per_second", f"expected a positive number of sends per second or None, got {rate!r}"
            )
        if self.on_invalid not in ("fail", "skip"):
            raise fail("on_invalid", f"expected 'fail' or 'skip', got {self.on_invalid!r}")
        max_cost = self.max_cost
        if isinstance(max_cost, str) and max_cost.strip().isdigit():
            max_cost = int(max_cost)  # a rendered template
        if max_cost is not None and (
            isinstance(max_cost, bool) or not isinstance(max_cost, int) or max_cost < 0
        ):
            raise fail(
                "max_cost", f"expected a whole number of credits (0 or more) or None, got {max_cost!r}"
            )
        for name in ("resend_unknown", "wait_for_completion", "transliterate", "deferrable"):
            if not isinstance(getattr(self, name), bool):
                raise fail(name, f"expected True or False, got {getattr(self, name)!r}")
        for name in ("poll_interval", "timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise fail(name, f"must be a positive number of seconds, got {value!r}")
        if self.results_path is not None:
            if not isinstance(self.results_path, str) or not self.results_path.strip():
                raise fail("results_path", f"expected a path or URL, got {self.results_path!r}")
            try:
                results_format(self.results_path)
            except ValueError as error:
                raise AirflowFailException(str(error)) from None
        return Options(
            max_concurrency=concurrency,
            max_per_second=float(rate) if rate is not None else None,
            max_cost=max_cost,
            resend_unknown=self.resend_unknown,
            progress_interval=self.progress_interval,
        )

    def checked_plan(self, region: str | None) -> Plan:
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
            if self.on_invalid == "fail":
                raise AirflowFailException(
                    f"{summary}. Nothing was sent (on_invalid='skip' sends the others)"
                )
            self.log.warning("%s. They are skipped (on_invalid='skip')", summary)
        if plan.duplicate_of:
            shown = ", ".join(
                f"row {row} (as row {first})" for row, first in list(plan.duplicate_of.items())[:LISTED]
            )
            more = len(plan.duplicate_of) - min(len(plan.duplicate_of), LISTED)
            self.log.info(
                "%d rows repeat an earlier row's recipient and text and are sent once: %s%s",
                len(plan.duplicate_of),
                shown,
                f" and {more} more" if more else "",
            )
        return plan

    # ------------------------------------------------------------------ running

    def execute(self, context: Context) -> dict[str, Any]:
        import asyncio

        from airflow_provider_make.campaign.ledger import CampaignChangedError, Ledger
        from airflow_provider_make.campaign.runner import Campaign
        from airflow_provider_make.compat import AirflowFailException
        from airflow_provider_make.durable import DurableState
        from airflow_provider_make.hooks.make import airflow_errors

        cpu_started = time.process_time()
        options = self.checked_options()
        settings = self.hook.settings
        plan = self.checked_plan(settings.default_region)
        state = DurableState(context)
        if state.backend != "task_state_store":
            self.log.info("Progress is kept in an Airflow Variable (this Airflow has no task_state_store)")
        ledger = Ledger(state, plan.fingerprint, plan.total)
        try:
            ledger.load()
        except CampaignChangedError as error:
            raise AirflowFailException(str(error)) from None
        interrupted = ledger.settle_interrupted(options.resend_unknown)
        if interrupted:
            shown = ", ".join(str(row) for row in interrupted[:LISTED])
            action = (
                "sending them again (resend_unknown=True)" if options.resend_unknown else "not sent again"
            )
            self.log.warning(
                "%d rows were on the wire when an earlier try stopped; their fate is unknown, %s: rows %s",
                len(interrupted),
                action,
                shown,
            )
        campaign = Campaign(plan, ledger, settings, options, self.log)
        with airflow_errors():
            outcome = asyncio.run(campaign.run())
        self.log.info(campaign.progress_line())
        cpu = time.process_time() - cpu_started
        self.log.info(
            "Campaign in this worker: %.2f s of CPU (%.2f ms a send, checks included), peak memory %.0f MiB",
            cpu,
            1000 * cpu / max(outcome.sent, 1),
            peak_memory_mib(),
        )
        return self.conclude(context, plan, ledger, outcome)

    def conclude(self, context: Context, plan: Plan, ledger: Ledger, outcome: Outcome) -> dict[str, Any]:
        """Publish the results, then end the try the way the outcome calls for."""
        from airflow_provider_make.campaign import report
        from airflow_provider_make.campaign.ledger import ACCEPTED, FAILED, RETRY, UNKNOWN
        from airflow_provider_make.campaign.runner import STOP_AUTH, STOP_CREDIT, STOP_MAX_COST
        from airflow_provider_make.client.errors import MakeError
        from airflow_provider_make.compat import AirflowException, AirflowFailException
        from airflow_provider_make.exceptions import to_airflow_exception

        summary = report.summary(plan, ledger, outcome.credits)
        rate = outcome.sent / outcome.seconds if outcome.seconds > 0 else 0.0
        self.log.info(
            "Campaign: %d accepted, %d failed, %d invalid, %d unknown, %d duplicates skipped, %d not sent; "
            "%d credits spent, %d left (%d sends in %.1f s, %.1f/s); %d writes of its progress",
            summary["accepted"],
            summary["failed"],
            summary["invalid"],
            summary["unknown"],
            summary["skipped_duplicates"],
            summary["not_sent"],
            summary["cost"],
            summary["credits"],
            outcome.sent,
            outcome.seconds,
            rate,
            ledger.writes,
        )
        self._warn_rows(ledger, FAILED, "were refused by the API")
        self._warn_rows(
            ledger,
            UNKNOWN,
            "are of unknown fate (they may have been accepted: check the account's history on makesms.fr)",
        )
        waits = self.wait_for_completion and outcome.stop is None
        results = list(report.results(plan, ledger))
        if not waits or not summary["accepted"]:
            self.publish(context, results, summary)
        done = f"{summary['accepted']} of {plan.valid} rows accepted so far, progress kept"
        if outcome.stop == STOP_CREDIT:
            raise AirflowException(
                f"the make account ran out of credit (result code 102) with {summary['not_sent']} rows not "
                f"sent ({done}). Top up the account on makesms.fr: a retry of this task sends only the rows "
                "not yet accepted"
            )
        if outcome.stop == STOP_AUTH and isinstance(outcome.stop_error, MakeError):
            raise to_airflow_exception(outcome.stop_error)
        if outcome.stop == STOP_MAX_COST:
            raise AirflowFailException(
                f"max_cost={self.max_cost} reached: {summary['cost']} credits spent, the next send would "
                f"pass it; {summary['not_sent']} rows not sent ({done}). Raise max_cost and clear the task "
                "to send the rest"
            )
        if outcome.stop is not None:
            raise AirflowFailException(
                f"the campaign stopped because its progress could not be kept ({outcome.stop_error}); "
                f"{done}; rows on the wire then are reported unknown by a retry"
            )
        retry = sum(1 for entry in ledger.results.values() if entry[0] == RETRY)
        if retry:
            raise AirflowException(
                f"{retry} rows failed on the service's side or never reached the API (nothing was accepted "
                f"for them); {done}. A retry of this task sends only those"
            )
        if not waits or not summary["accepted"]:
            return summary
        ids = [entry[1] for entry in ledger.results.values() if entry[0] == ACCEPTED]
        return self.wait(context, results, summary, ids)

    def _warn_rows(self, ledger: Ledger, status: str, what: str) -> None:
        rows = sorted(row for row, entry in ledger.results.items() if entry[0] == status)
        if rows:
            shown = "; ".join(f"row {row}: {ledger.results[row][4]}" for row in rows[:LISTED])
            self.log.warning("%d rows %s: %s%s", len(rows), what, shown, " ..." if len(rows) > LISTED else "")

    def publish(self, context: Context, results: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        """Per-row results to XCom and, with ``results_path``, to the file."""
        from airflow_provider_make.campaign import report

        context["ti"].xcom_push(key=RESULTS_XCOM_KEY, value=results)
        if self.results_path:
            count = report.write_results(self.results_path, iter(results))
            self.log.info("Wrote the results of %d rows to %s", count, self.results_path)

    # ------------------------------------------------------------------ waiting

    def wait(
        self, context: Context, results: list[dict[str, Any]], summary: dict[str, Any], ids: list[str]
    ) -> dict[str, Any]:
        """One wait for every accepted row: deferred to the triggerer, or here."""
        import asyncio

        from airflow_provider_make.campaign.delivery import wait_for_deliveries
        from airflow_provider_make.hooks.make import airflow_errors

        end_time = time.time() + float(self.timeout)
        if self.deferrable:
            from airflow_provider_make.triggers.bulk import MakeCampaignTrigger

            ti = context["ti"]
            ti.xcom_push(key=RESULTS_XCOM_KEY, value=results)
            ti.xcom_push(key=SUMMARY_XCOM_KEY, value=summary)
            self.log.info("Waiting for %d SMS in the triggerer (timeout %.0f s)", len(ids), self.timeout)
            self.defer(
                trigger=MakeCampaignTrigger(
                    tracking_ids=ids,
                    make_conn_id=self.make_conn_id,
                    end_time=end_time,
                    poll_interval=float(self.poll_interval),
                    max_concurrency=int(self.max_concurrency),
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=float(self.timeout) + max(60.0, 2 * float(self.poll_interval))),
            )
        self.log.info("Waiting for %d SMS to be sent (timeout %.0f s)", len(ids), self.timeout)
        with airflow_errors():
            deliveries = asyncio.run(
                wait_for_deliveries(
                    self.hook.settings,
                    ids,
                    end_time=end_time,
                    poll_interval=float(self.poll_interval),
                    max_concurrency=int(self.max_concurrency),
                    log=self.log,
                )
            )
        return self.delivered(context, results, summary, deliveries)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the campaign trigger fired: merge the delivery times into the results."""
        from airflow_provider_make.client.errors import error_from_event
        from airflow_provider_make.compat import AirflowException
        from airflow_provider_make.exceptions import to_airflow_exception

        if event.get("status") == "error" and isinstance(event.get("error"), dict):
            raise to_airflow_exception(error_from_event(event["error"]))
        if event.get("status") != "success" or not isinstance(event.get("deliveries"), dict):
            raise AirflowException(f"the campaign trigger sent an unexpected event: {str(event)[:200]}")
        ti = context["ti"]
        results = ti.xcom_pull(task_ids=self.task_id, key=RESULTS_XCOM_KEY, map_indexes=ti.map_index) or []
        summary = ti.xcom_pull(task_ids=self.task_id, key=SUMMARY_XCOM_KEY, map_indexes=ti.map_index) or {}
        return self.delivered(context, list(results), dict(summary), event["deliveries"])

    def delivered(
        self,
        context: Context,
        results: list[dict[str, Any]],
        summary: dict[str, Any],
        deliveries: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        """Add ``delivered_at`` to the rows, publish; fail listing the rows not delivered in time."""
        from airflow_provider_make.compat import AirflowException

        late: list[str] = []
        for row in results:
            look = deliveries.get(row.get("id") or "")
            if look is None:
                continue
            row["delivered_at"] = look.get("delivered_at")
            if row["delivered_at"] is None:
                problem = f" ({look['problem']})" if look.get("problem") else ""
                late.append(f"row {row['row']} ({row['id']}){problem}")
        summary["delivered"] = sum(1 for look in deliveries.values() if look.get("delivered_at"))
        summary["not_delivered"] = len(late)
        self.publish(context, results, summary)
        if late:
            more = f" and {len(late) - LISTED} more" if len(late) > LISTED else ""
            raise AirflowException(
                f"{len(late)} accepted SMS were still not sent after waiting {float(self.timeout):.0f} s: "
                f"{'; '.join(late[:LISTED])}{more}. A retry waits for them again; it sends nothing"
            )
        self.log.info("All %d accepted SMS are sent", summary["delivered"])
        return summary


def peak_memory_mib() -> float:
    """This process's peak resident memory (0 where the platform cannot tell)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
