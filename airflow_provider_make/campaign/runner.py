"""The campaign's loop: one coroutine sends the rows, window by window, never past its limits.

The loop reserves rows in one durable write (:meth:`Ledger.prepare`/:meth:`Ledger.commit`,
run in a thread), starts their sends as slots free up (at most ``max_concurrency`` in
flight, ``max_per_second``, ``max_cost``), records each answer, and reserves the next rows
while the reserved ones still run (the window slides: the slowest row of a window never
holds the others). ``intents`` never holds more than ``2 x max_concurrency`` rows.

A row's fate is :func:`action_of` its error: a request to fix fails the row, an account to
fix (101, 102) stops the campaign at once (no send starts after it; its rows stay
``retry``), a retry leaves the row to send again, and a send that may have been accepted
is ``unknown``, never sent again on a guess (spec decision 13).

Each row counts in the provider's metrics (:mod:`~airflow_provider_make.monitoring.metrics`),
and each state write carries the campaign's monitoring record (its counts so far, ``running``
until the last write).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_make.campaign import report, transport
from airflow_provider_make.campaign.ledger import ACCEPTED, FAILED, RETRY, UNKNOWN, Result
from airflow_provider_make.client import calls
from airflow_provider_make.client.async_driver import AsyncMakeClient, loop_pool
from airflow_provider_make.client.errors import Action, MakeCreditError, MakeError, action_of
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.monitoring import metrics
from airflow_provider_make.monitoring.records import campaign_record, utc_now

if TYPE_CHECKING:
    from airflow_provider_make.campaign.ledger import Ledger, Write
    from airflow_provider_make.campaign.options import Options
    from airflow_provider_make.campaign.rows import Plan
    from airflow_provider_make.client.settings import ClientSettings

#: Why a campaign stopped before its list was done.
STOP_BALANCE, STOP_ACCOUNT, STOP_MAX_COST, STOP_STATE = "balance", "account", "max_cost", "state"
#: Why the balance or the API's 0 can mean either (spec decision 10).
BOTH_CAUSES = (
    "either the account is empty (top it up on makesms.fr) or the connection's login or password is "
    "wrong (the API answers 0 credits for a wrong password)"
)
#: A row's status for each action of its error.
STATUS_OF = {Action.FIX_REQUEST: FAILED, Action.FIX_ACCOUNT: RETRY, Action.RETRY: RETRY}


class CampaignStoppedError(Exception):
    """The campaign stopped on a limit of its own (``max_cost``) or could not keep its progress."""


@dataclass
class Outcome:
    """How the loop ended: a stop reason (None: the list is done), its error, the figures."""

    stop: str | None = None
    stop_error: BaseException | None = None
    credits_before: int = 0
    credits: int = 0  # the last balance the API answered
    sent: int = 0  # sends started by this try
    seconds: float = 0.0


Client = transport.CampaignTransport | AsyncMakeClient


def open_client(settings: ClientSettings, concurrency: int) -> Client:
    if transport.applies(settings):
        return transport.CampaignTransport(settings)
    loop_pool(concurrency)  # first: the loop's pool gets one slot per concurrent send
    return AsyncMakeClient(settings)


def result_of(error: Exception) -> Result:
    """A failed send's result, its status decided by :func:`action_of` (a bug of ours: ``unknown``)."""
    status = STATUS_OF.get(action_of(error), UNKNOWN)
    if isinstance(error, MakeError):
        return Result(status, "", error.result_code, 0, error.message)
    return Result(status, error=f"{type(error).__name__}: {error}")


class Campaign:
    """One try of a campaign; :meth:`run` it in a fresh event loop.

    ``identity``: the task instance try's :func:`~airflow_provider_make.monitoring.records.identity`,
    for the monitoring record (None: no record).
    """

    def __init__(
        self,
        plan: Plan,
        ledger: Ledger,
        settings: ClientSettings,
        options: Options,
        log: Any,
        identity: Mapping[str, Any] | None = None,
    ) -> None:
        self.plan, self.ledger, self.settings, self.options, self.log = plan, ledger, settings, options, log
        self.identity = identity
        # The campaign started with its first try (a retry's record keeps that date).
        self.started_at: str = (ledger.monitor or {}).get("started_at") or utc_now()
        self.outcome = Outcome()
        self.finished = self.in_flight = self.todo = 0
        self.started = time.monotonic()

    async def run(self, cost_per_sms: int | None = None) -> Outcome:
        """Send every pending row (or until a stop). ``cost_per_sms``: what one row is expected to cost."""
        client = open_client(self.settings, self.options.max_concurrency)
        try:
            credits = await client.request(calls.credits(region=self.settings.default_region))
            metrics.credits_left(credits)
            self.outcome.credits_before = self.outcome.credits = credits
            pending = deque(self.ledger.pending(self.plan.sendable(), self.options.resend_unknown))
            self.todo = len(pending)
            self.log.info(
                "Campaign: %d rows to send (%d in the list), %d at a time; the account has %d credits",
                self.todo, self.plan.total, self.options.max_concurrency, credits,
            )  # fmt: skip
            if pending and credits < max(1, cost_per_sms or self.ledger.highest_cost or 1):
                why = (
                    f"the account has {credits} credits, not enough for one SMS: {BOTH_CAUSES}. Nothing sent"
                )
                self._stop(STOP_BALANCE, MakeCreditError(why, request="makeSms+"))
            elif pending:
                self.started = time.monotonic()
                await self._loop(client, pending)
                if self.outcome.stop != STOP_STATE and self.ledger.monitor and self.ledger.monitor["running"]:
                    await asyncio.to_thread(self.ledger.commit, self._prepare([], self.plan.total, (), True))
        finally:
            await (
                client.aclose() if isinstance(client, transport.CampaignTransport) else loop_pool().aclose()
            )
        self.outcome.seconds = time.monotonic() - self.started
        return self.outcome

    def _prepare(self, reserve: list[int], frontier: int, release: Iterable[int], ending: bool) -> Write:
        """The ledger's next write, with the monitoring record as of now (``running`` until ``ending``)."""
        if self.identity is not None:
            counts = report.summary(self.plan, self.ledger, self.outcome.credits)
            del counts["credits"]
            self.ledger.monitor = campaign_record(
                self.identity,
                counts=counts,
                started_at=self.started_at,
                running=not ending,
                credits=self.outcome.credits,
            )
        return self.ledger.prepare(reserve, frontier, release)

    def _stop(self, reason: str, error: BaseException | None) -> None:
        if self.outcome.stop is None:
            self.outcome.stop, self.outcome.stop_error = reason, error

    def _fits_budget(self) -> bool | None:
        """Whether one more send fits ``max_cost`` (None: wait for the sends in flight to tell).

        The next send's cost is the highest the API answered so far; until one is known,
        sends go one at a time.
        """
        max_cost, spent, estimate = self.options.max_cost, self.ledger.spent, self.ledger.highest_cost
        if max_cost is None:
            return True
        if (estimate is None and spent < max_cost) or (
            estimate is not None and spent + (self.in_flight + 1) * estimate <= max_cost
        ):
            return True if estimate is not None or self.in_flight == 0 else None
        return None if self.in_flight else False

    async def _loop(self, client: Client, pending: deque[int]) -> None:
        options, ledger = self.options, self.ledger
        window, low = 2 * options.max_concurrency, max(1, options.max_concurrency // 4)
        interval = 1.0 / options.max_per_second if options.max_per_second else 0.0
        loop = asyncio.get_running_loop()
        next_start = next_report = time.monotonic()
        wake = asyncio.Event()
        answered: deque[tuple[int, Result, BaseException | None]] = deque()
        reserved: deque[int] = deque()
        writing: list[int] = []
        sends: set[asyncio.Future[None]] = set()
        write: asyncio.Future[None] | None = None
        durable = True  # every write so far succeeded

        def wake_up(_: object) -> None:
            wake.set()

        async def send(row: int) -> None:
            try:
                answer = await client.request(self.plan.call(row))
            except Exception as error:  # noqa: BLE001 - every failure is the row's: result_of says how
                answered.append((row, result_of(error), error))
                if isinstance(error, MakeError) and error.result_code is not None:  # the API refused it
                    metrics.refused(RequestKind.SMS_PLUS, result_code=error.result_code)
            else:
                metrics.accepted(answer.kind, cost=answer.cost, credits_left=answer.credits)
                now = datetime.now(timezone.utc).isoformat(timespec="seconds")
                self.outcome.credits = min(self.outcome.credits, answer.credits)
                answered.append(
                    (row, Result(ACCEPTED, answer.id, answer.result_code, answer.cost, "", now), None)
                )
            wake.set()

        while True:
            wake.clear()
            while answered:  # record the answers
                row, result, error = answered.popleft()
                ledger.record(row, result)
                self.in_flight -= 1
                self.finished += 1
                if error is not None and action_of(error) is Action.FIX_ACCOUNT:
                    self._stop(STOP_ACCOUNT, error)
            if write is not None and write.done():  # a write ended: its rows may go
                failed = write.exception()
                write = None
                if failed is not None:
                    self.log.error("Keeping the campaign's progress failed (%s): stopping the sends", failed)
                    why = (
                        f"the campaign's progress could not be kept ({failed}): it stopped; a retry reports "
                        "the rows then on the wire unknown"
                    )
                    self._stop(STOP_STATE, CampaignStoppedError(why))
                    durable, writing = False, []  # not sent: never in a written intents
                reserved.extend(writing)
                writing = []
            stopped = self.outcome.stop is not None
            if not durable and not self.in_flight:
                return  # progress can no longer be kept: the rows in intents stay there (unknown)
            ending = not self.in_flight and (stopped or not (pending or reserved))
            if write is None and (
                (not stopped and pending and len(reserved) <= low and len(ledger.unsettled) < window)
                or (ending and (reserved or ledger.journal or ledger.unsettled))
            ):
                released = list(reserved) if stopped else []
                if stopped:
                    reserved.clear()
                else:
                    writing = [
                        pending.popleft() for _ in range(min(len(pending), window - len(ledger.unsettled)))
                    ]
                frontier = pending[0] if pending and not ending else self.plan.total
                write = asyncio.ensure_future(
                    asyncio.to_thread(ledger.commit, self._prepare(writing, frontier, released, ending))
                )
                write.add_done_callback(wake_up)
            elif write is None and ending:
                return
            now = time.monotonic()
            while reserved and not stopped and self.in_flight < options.max_concurrency:
                if interval and next_start > now:
                    loop.call_later(next_start - now, wake.set)
                    break
                fits = self._fits_budget()
                if not fits:
                    if fits is not None:
                        why = (
                            f"max_cost={options.max_cost} reached: {ledger.spent} credits spent, the next "
                            "send would pass it; raise max_cost and clear the task to send the rest"
                        )
                        self._stop(STOP_MAX_COST, CampaignStoppedError(why))
                        wake.set()
                    break
                next_start = max(now, next_start) + interval
                self.in_flight += 1
                self.outcome.sent += 1
                sending = asyncio.ensure_future(send(reserved.popleft()))
                sends.add(sending)  # a reference, so the task is not collected while it runs
                sending.add_done_callback(sends.discard)
            if now >= next_report:
                if next_report > self.started:
                    self.log.info(self.progress_line())
                next_report = now + options.progress_interval
            await wake.wait()

    def progress_line(self) -> str:
        """Requests answered, accepted and refused, rate, ETA and credits spent, for the log."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.finished / elapsed
        left = self.todo - self.finished
        eta = f"{left / rate:.0f} s" if rate > 0 else "unknown"
        return (
            f"Campaign progress: {self.finished}/{self.todo} answered "
            f"({self.ledger.count(ACCEPTED)} accepted, {self.ledger.count(FAILED)} refused), {rate:.1f}/s, "
            f"ETA {eta}, {self.ledger.spent} credits spent, {self.in_flight} in flight"
        )
