"""The campaign's event loop: sends the rows concurrently, never past its budgets.

One ``asyncio`` loop in the worker (``asyncio.run``) holds three coroutines:

* the sender takes rows that are durably reserved, waits for a free slot (at most
  ``max_concurrency`` requests in flight), for its turn under ``max_per_second``, and for
  room under ``max_cost``, then starts the send;
* the writer is the only one that touches the durable store: per tick it records the
  results that came back since the last tick and reserves the next rows in one write,
  never letting ``intents`` exceed ``2 x max_concurrency`` rows (see :mod:`.ledger` for
  why that bounds ``unknown``). It ticks only when the sender needs rows, enough results
  wait (see :meth:`Campaign.batch`), or results have waited a second: a write costs CPU
  wherever the store lives, so a send wakes it only when a tick is due. A chunk of
  results is written once its rows are all settled (see :mod:`.ledger`). Writes run in a
  thread, so the sends go on while the store works;
* the reporter logs a progress line every few seconds.

Every send goes through the request pipeline, over the campaign's own keep-alive
connections (:mod:`.transport`), or, where that does not apply (a proxy, Python 3.10),
through the async driver over the loop's one connection pool, sized to
``max_concurrency`` by :func:`loop_pool` before anything else uses it. A row's failure
is that row's: 104 and the other caller errors fail the row,
a send that may have been accepted is ``unknown``, 102 (no credit) and 101 (wrong
password) stop the campaign cleanly, the rows not sent staying for a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_make.campaign import transport
from airflow_provider_make.campaign.ledger import (
    ACCEPTED,
    FAILED,
    JOURNAL_ROWS,
    RETRY,
    UNKNOWN,
    Entry,
    Ledger,
)
from airflow_provider_make.campaign.transport import CampaignTransport
from airflow_provider_make.client import calls
from airflow_provider_make.client.async_driver import AsyncMakeClient, loop_pool
from airflow_provider_make.client.errors import (
    MakeAuthError,
    MakeConfigurationError,
    MakeCreditError,
    MakeError,
    MakeInvalidArgumentError,
    MakeTransportError,
)

if TYPE_CHECKING:
    from airflow_provider_make.campaign.rows import Plan
    from airflow_provider_make.client.settings import ClientSettings

#: The share of the results expected during a write that the next write starts early for
#: (see :meth:`Campaign.batch`).
WRITE_MARGIN = 0.5
#: Why a campaign stopped before its list was done.
STOP_CREDIT, STOP_MAX_COST, STOP_AUTH, STOP_STATE = "credit", "max_cost", "auth", "state"


@dataclass(frozen=True)
class Options:
    """How fast and how far a campaign may go."""

    max_concurrency: int
    max_per_second: float | None = None
    max_cost: int | None = None
    resend_unknown: bool = False
    progress_interval: float = 5.0

    @property
    def window(self) -> int:
        """The most rows ``intents`` holds: the bound on rows a killed worker leaves ``unknown``."""
        return 2 * self.max_concurrency


@dataclass
class Outcome:
    """How the loop ended: a stop reason (None: the list is done) and the money figures."""

    stop: str | None
    stop_error: MakeError | Exception | None
    credits_before: int
    credits: int  # the last balance the API answered
    sent: int  # sends started by this try
    seconds: float


class Campaign:
    """One try of a campaign; :meth:`run` it in a fresh event loop."""

    def __init__(
        self,
        plan: Plan,
        ledger: Ledger,
        settings: ClientSettings,
        options: Options,
        log: Any,  # the task's logger (Airflow's, or logging's in tests): %-style messages
    ) -> None:
        self.plan = plan
        self.ledger = ledger
        self.settings = settings
        self.options = options
        self.log = log
        self.stop: str | None = None
        self.stop_error: MakeError | Exception | None = None
        self.sent = 0
        self.finished = 0
        self.in_flight = 0
        self.credits = 0
        self._todo = 0
        self._pending: Iterator[int] = iter(())
        self._exhausted = False  # the writer has taken the last pending row
        self._all_reserved = False  # ... and handed it to the sender
        self._sending_done = False
        self._intents: set[int] = set()
        self._resolved: list[int] = []  # rows answered since the writer's last tick
        self._released: list[int] = []  # rows reserved but never sent (the campaign stopped)
        self._reserved: deque[int] = deque()
        self._starving = False  # the sender waits for reserved rows
        self._started = 0.0
        self._spent = 0
        self._highest: int | None = None
        self._write_seconds = 0.05  # how long a state write takes (a moving average)
        self._batch = max(1, options.max_concurrency // 2)  # results that make a tick due (see batch())

    # ------------------------------------------------------------------ the loop

    async def run(self) -> Outcome:
        """Send every pending row (or until a stop); the outcome. Raises only what comes before."""
        options = self.options
        client: CampaignTransport | AsyncMakeClient
        if transport.applies(self.settings):
            client = CampaignTransport(self.settings)
        else:
            loop_pool(options.max_concurrency)  # first: the loop's pool gets one slot per concurrent send
            client = AsyncMakeClient(self.settings)
        self._wake = asyncio.Event()
        self._more = asyncio.Event()
        self._done_one = asyncio.Event()
        # Spec decision 10: 0 also means a wrong password; the first send will say which.
        credits_before = await client.request(calls.credits(region=self.settings.default_region))
        self.credits = credits_before
        if credits_before == 0:
            self.log.warning("The account has 0 credits (or the login or password is wrong)")
        self._spent, self._highest = self.ledger.spent(), self.ledger.highest_cost()
        pending = list(self.ledger.pending(self.plan.sendable(), options.resend_unknown))
        self._todo = len(pending)
        self._pending = iter(pending)
        del pending
        self.log.info(
            "Campaign: %d rows to send (%d in the list), %d at a time%s; the account has %d credits",
            self._todo,
            self.plan.total,
            options.max_concurrency,
            f", at most {options.max_per_second:g}/s" if options.max_per_second else "",
            credits_before,
        )
        self._started = time.monotonic()
        writer = asyncio.create_task(self._write_loop())
        reporter = asyncio.create_task(self._report_loop())
        try:
            await self._send_loop(client)
        finally:
            self._sending_done = True
            self._wake.set()
            await writer
            reporter.cancel()
            if isinstance(client, CampaignTransport):
                await client.aclose()
            else:
                await loop_pool().aclose()
        return Outcome(
            self.stop,
            self.stop_error,
            credits_before,
            self.credits,
            self.sent,
            time.monotonic() - self._started,
        )

    async def _send_loop(self, client: CampaignTransport | AsyncMakeClient) -> None:
        slots = asyncio.Semaphore(self.options.max_concurrency)
        sends: set[asyncio.Task[None]] = set()
        next_start = time.monotonic()
        interval = 1.0 / self.options.max_per_second if self.options.max_per_second else 0.0
        while True:
            row = await self._next_reserved()
            if row is None:
                break
            await slots.acquire()
            if self.stop is not None or not await self._within_budget():
                slots.release()
                self._release(row)
                break
            if interval:
                now = time.monotonic()
                if next_start > now:
                    await asyncio.sleep(next_start - now)
                next_start = max(now, next_start) + interval
            self.in_flight += 1
            self.sent += 1
            send = asyncio.create_task(self._send(client, row, slots))
            sends.add(send)
            send.add_done_callback(sends.discard)
        if sends:
            await asyncio.gather(*sends)
        while self._reserved:
            self._release(self._reserved.popleft())

    async def _next_reserved(self) -> int | None:
        """The next row the writer has durably reserved; None once there are no more."""
        while not self._reserved:
            if self.stop is not None or self._all_reserved:
                return None
            self._more.clear()
            self._starving = True
            self._wake.set()  # ask for more
            await self._more.wait()
        return self._reserved.popleft()

    async def _within_budget(self) -> bool:
        """Whether one more send fits under ``max_cost``; waits for in-flight sends to tell.

        The next send's cost is estimated from the highest cost the API answered so far
        (costs are never assumed). Until one is known, sends go one at a time.
        """
        max_cost = self.options.max_cost
        while max_cost is not None:
            estimate, spent = self._highest, self._spent
            if estimate is None and self.in_flight == 0 and spent < max_cost:
                return True
            if estimate is not None and spent + (self.in_flight + 1) * estimate <= max_cost:
                return True
            if self.in_flight == 0:
                self._halt(STOP_MAX_COST, None)
                return False
            self._done_one.clear()
            await self._done_one.wait()
            if self.stop is not None:
                return False
        return True

    async def _send(
        self, client: CampaignTransport | AsyncMakeClient, row: int, slots: asyncio.Semaphore
    ) -> None:
        entry: Entry
        try:
            result = await client.request(self.plan.call(row))
        except MakeCreditError as error:
            entry = [RETRY, "", error.result_code, 0, error.message]
            self._halt(STOP_CREDIT, error)
        except (MakeAuthError, MakeConfigurationError) as error:
            entry = [RETRY, "", error.result_code, 0, error.message]
            self._halt(STOP_AUTH, error)
        except MakeTransportError as error:
            # Spec decision 13: a send that may have reached the API is never sent again on a guess.
            entry = [UNKNOWN if error.may_have_been_accepted else RETRY, "", None, 0, error.message]
        except MakeInvalidArgumentError as error:
            entry = [FAILED, "", error.result_code, 0, error.message]  # 104 and the like: this row only
        except MakeError as error:
            entry = [RETRY, "", error.result_code, 0, error.message]  # 0, 111: nothing was accepted
        except Exception as error:  # noqa: BLE001 - a bug must not lose the row: its fate is unknown
            entry = [UNKNOWN, "", None, 0, f"{type(error).__name__}: {error}"]
        else:
            entry = [ACCEPTED, result.id, result.result_code, result.cost, ""]
            self.credits = min(self.credits, result.credits)
            self._spent += result.cost
            self._highest = max(self._highest or 0, result.cost)
        finally:
            slots.release()
        self.ledger.results[row] = entry
        self.in_flight -= 1
        self.finished += 1
        self._resolved.append(row)
        self._done_one.set()
        if len(self._resolved) >= self._batch or self.stop is not None:
            self._wake.set()  # else the writer is not due: waking it costs CPU for nothing

    def _halt(self, reason: str, error: MakeError | Exception | None) -> None:
        if self.stop is None:
            self.stop, self.stop_error = reason, error
            self._more.set()
            self._done_one.set()

    def _release(self, row: int) -> None:
        self._released.append(row)
        self._wake.set()

    # ------------------------------------------------------------------ durable writes

    def batch(self) -> int:
        """How many results wait before a write: as many as the sends allow, to write less often.

        After a write, ``intents`` holds the rows in flight and ``max_concurrency`` more
        (reserved, or answered since); the sender runs out of reserved rows once
        ``max_concurrency`` results came back since that write. So the next write can wait
        for that many results, less some of the ones expected while it is written (half
        the rate times a write's average duration): the slots freed during the rest of
        the write wait for its end, a few milliseconds each, a small cost in throughput
        (a few percent at most) against far fewer writes. Never fewer than half of them.
        The writes, about ``rows / batch``, cost more CPU than anything else in the worker.
        """
        concurrency = self.options.max_concurrency
        elapsed = time.monotonic() - self._started
        if elapsed < 1.0:
            return max(1, concurrency // 2)  # no rate to go by yet
        margin = math.ceil(WRITE_MARGIN * self.finished / elapsed * self._write_seconds)
        return max(1, concurrency // 2, concurrency - margin)

    def _tick_due(self, idle: float) -> bool:
        """Whether a write is worth its cost now (each write costs CPU wherever the store lives).

        Yes when the sender waits for rows (and the last write did not just bring some),
        the campaign is ending, :meth:`batch` results are waiting, or results have waited
        a second.
        """
        return bool(
            (self._starving and not self._reserved and self.stop is None)
            or self._sending_done
            or (self.stop is not None and self._resolved)
            or self._released
            or len(self._resolved) >= self._batch
            or (self._resolved and idle >= 1.0)
        )

    async def _write_loop(self) -> None:
        """Record results, then reserve the next window; the store's only writer."""
        window = self.options.window
        chunk_rows = self.ledger.chunk_rows
        journal: list[int] = []  # rows recorded in make_campaign's journal, not yet in their chunks
        last_tick = time.monotonic()
        while True:
            self._wake.clear()  # before looking: a wake-up from now on is not lost
            idle = time.monotonic() - last_tick
            if not self._tick_due(idle):
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.05, 1.0 - idle))
                continue
            self._starving = False
            last_tick = time.monotonic()
            resolved, self._resolved = self._resolved, []
            released, self._released = self._released, []
            try:
                journal.extend(resolved)
                intents = self._intents.difference(resolved, released)
                new: list[int] = []
                if self.stop is None and not self._sending_done:
                    while len(intents) + len(new) < window and not self._exhausted:
                        row = next(self._pending, None)
                        if row is None:
                            self._exhausted = True
                        else:
                            new.append(row)
                # Rows go out in order: below the lowest row still reserved, this try adds no
                # result, so those chunks are complete and written once (or, if the journal
                # grew too long behind a slow row, every chunk it touches).
                lowest = min(intents, default=min(new, default=self.ledger.total))
                if len(journal) >= JOURNAL_ROWS or lowest >= self.ledger.total:
                    complete = journal
                else:
                    complete = [row for row in journal if row < lowest - lowest % chunk_rows]
                if complete:
                    await asyncio.to_thread(self.ledger.write_chunks, self.ledger.snapshot(complete))
                    if complete is journal:
                        journal = []
                    else:
                        done = set(complete)
                        journal = [row for row in journal if row not in done]
                if new or resolved or intents != self._intents or complete:
                    intents.update(new)
                    state = (sorted(intents), self.ledger.journal(journal))
                    started = time.monotonic()
                    await asyncio.to_thread(self.ledger.write_state, *state)
                    took = time.monotonic() - started
                    self._write_seconds = 0.8 * self._write_seconds + 0.2 * took
                    self._intents = intents
                    self._batch = self.batch()
            except Exception as error:  # noqa: BLE001 - whatever it is, progress is no longer durable
                self.log.error("Keeping the campaign's progress failed (%s): stopping the sends", error)
                self._halt(STOP_STATE, error)
                return
            if self.stop is not None and new:
                self._released.extend(new)  # reserved while the campaign stopped: never sent
                self._wake.set()
            elif new or self._exhausted:
                self._reserved.extend(new)
                self._all_reserved = self._exhausted
                self._starving = False  # asked for during the write: answered by it
                self._more.set()
            if self._sending_done and not self._resolved and not self._released:
                if journal:
                    try:
                        await asyncio.to_thread(self.ledger.write_chunks, self.ledger.snapshot(journal))
                        await asyncio.to_thread(self.ledger.write_state, sorted(self._intents), {})
                    except Exception as error:  # noqa: BLE001 - the journal still holds them
                        self.log.warning("Moving the last results to their chunks failed: %s", error)
                return

    # ------------------------------------------------------------------ progress

    def progress_line(self) -> str:
        """``sent/total``, rate, ETA and credits spent, for the log."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = self.finished / elapsed
        left = self._todo - self.finished
        eta = f"{left / rate:.0f} s" if rate > 0 else "unknown"
        return (
            f"Campaign progress: {self.finished}/{self._todo} sent, {rate:.1f}/s, ETA {eta}, "
            f"{self._spent} credits spent, {self.in_flight} in flight"
        )

    async def _report_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.progress_interval)
            self.log.info(self.progress_line())
