"""A campaign's durable progress: which rows may be on the wire, and what each sent row got.

The make API has no idempotency key and no way to list past requests (spec decision
13), so "never twice" rests on two records kept in the task instance's durable state
(:class:`~airflow_provider_make.durable.DurableState`: ``task_state_store`` on Airflow
3.3+, a Variable before), written in this order:

``make_campaign`` (:data:`STATE_KEY`)
    ``{"version", "fingerprint", "total", "chunk_rows", "intents", "journal"}``.
    ``intents`` lists the rows reserved for sending that have no recorded result yet. A
    row is sent only after it is in a written ``intents``; it leaves ``intents`` only
    once its result is written. So after a killed worker, a row in ``intents`` without a
    result is of unknown fate, and every other row is either recorded or surely never
    sent. ``journal`` holds the results not yet in their chunk (``{"<row>": entry}``),
    so that one write per tick records the results and moves the window together.
``make_campaign_rows_<n>`` (:func:`chunk_key`)
    the results of rows ``n * chunk_rows`` to ``(n + 1) * chunk_rows - 1``, as
    ``{"<offset>": [status, id, result_code, cost, message]}``. A chunk is written once
    this try adds nothing more to it (rows go out in order: every row below the lowest
    one in ``intents`` is settled), and its rows leave the journal in the next state
    write; if a slow row holds the journal past :data:`JOURNAL_ROWS`, every chunk it
    touches is written. One value per chunk keeps each write small (a value per row
    would be one write per send; one value for the whole list would grow with it).

Writes are batched (a store write costs 10 to 17 ms under ``airflow dags test``, and
CPU in whatever serves the store): per tick, the runner records every result that came
back since the last tick and reserves the next rows in one write of ``make_campaign``,
plus one write per chunk of :data:`CHUNK_ROWS` rows once it is complete. The window is
bounded: ``intents`` never holds more than ``2 x max_concurrency`` rows (the rows in
flight, those reserved ahead, and those answered but not yet written), which bounds how
many rows a killed worker can leave ``unknown``.

Everything here is synchronous and called with the loop's data already copied: the
runner calls the writes through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

STATE_KEY = "make_campaign"
CHUNK_KEY_PREFIX = "make_campaign_rows_"
#: Rows per results value: about 7 KB of JSON at most, a cheap write. Every state write
#: carries the results of the chunk under way (about 16 us of the store's CPU a result),
#: and a chunk costs one write of its own: 128 balances the two.
CHUNK_ROWS = 128
#: The most results ``make_campaign`` carries before they move to their chunks, complete
#: or not (a chunk plus a window of 200 rows stays below it).
JOURNAL_ROWS = 512
VERSION = 1

#: Row statuses in the results. ``retry``: refused without being accepted (102, a
#: service failure, a request that never reached the API): safe to send again, and a
#: retry of the task does.
ACCEPTED, FAILED, RETRY, UNKNOWN = "accepted", "failed", "retry", "unknown"
FINAL = frozenset({ACCEPTED, FAILED, UNKNOWN})

INTERRUPTED = (
    "the worker stopped while this row was being sent: its fate is unknown (the API cannot be asked), "
    "so it is not sent again; check the account's history on makesms.fr, or set resend_unknown=True "
    "to send it again"
)

#: One row's result: [status, tracking id, result code, cost, message].
Entry = list[Any]


class Store(Protocol):
    """What the ledger needs of :class:`~airflow_provider_make.durable.DurableState`."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...


class CampaignChangedError(Exception):
    """An earlier try of this task instance ran a different campaign."""


def chunk_key(number: int) -> str:
    return f"{CHUNK_KEY_PREFIX}{number}"


class Ledger:
    """The in-memory copy of a campaign's durable records, and their reads and writes."""

    def __init__(self, store: Store, fingerprint: str, total: int, chunk_rows: int = CHUNK_ROWS) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.total = total
        self.chunk_rows = chunk_rows
        self.results: dict[int, Entry] = {}
        self.intents: set[int] = set()  # as last written
        self.resumed = False
        self.carried: list[int] = []  # rows of the loaded journal, not yet in their chunks
        self.writes = 0  # values this try wrote to the store (each write costs wherever the store lives)

    # ------------------------------------------------------------------ reads (before the loop)

    def load(self) -> None:
        """Read what earlier tries recorded; :class:`CampaignChangedError` if it was another list."""
        meta = self.store.get(STATE_KEY)
        if not isinstance(meta, dict):
            return
        if meta.get("fingerprint") != self.fingerprint or meta.get("total") != self.total:
            raise CampaignChangedError(
                f"an earlier try of this task instance sent a campaign of {meta.get('total')} rows with "
                "other recipients or texts: its arguments (or the upstream list) have changed since. Nothing "
                "is sent on a guess; to send the new list, trigger a new DAG run, or delete this task's "
                f"'{STATE_KEY}' task state first"
            )
        self.resumed = True
        self.chunk_rows = int(meta.get("chunk_rows", self.chunk_rows))
        self.intents = {int(row) for row in meta.get("intents", [])}
        for number in range(self.chunks()):
            values = self.store.get(chunk_key(number))
            if isinstance(values, dict):
                base = number * self.chunk_rows
                for offset, entry in values.items():
                    self.results[base + int(offset)] = list(entry)
        journal = meta.get("journal") or {}
        for row, entry in journal.items():  # newer than the chunks
            self.results[int(row)] = list(entry)
        self.carried = [int(row) for row in journal]

    def chunks(self) -> int:
        return -(-self.total // self.chunk_rows)

    def interrupted(self) -> list[int]:
        """Rows an earlier try reserved and never recorded: of unknown fate."""
        return sorted(row for row in self.intents if row not in self.results)

    def settle_interrupted(self, resend_unknown: bool) -> list[int]:
        """Record the interrupted rows as ``unknown`` (or leave them to be sent again); their list.

        Written before any send, so the ``intents`` window starts empty and the bound holds
        for this try too.
        """
        rows = self.interrupted()
        if not self.resumed:
            return rows
        if not resend_unknown:
            for row in rows:
                self.results[row] = [UNKNOWN, "", None, 0, INTERRUPTED]
        self.write_chunks(self.snapshot([*self.carried, *([] if resend_unknown else rows)]))
        self.carried = []
        self.write_state([], {})
        return rows

    def pending(self, sendable: Iterable[int], resend_unknown: bool) -> Iterator[int]:
        """The sendable rows still to send: no result, a ``retry``, or (opted in) ``unknown``."""
        again = {RETRY, UNKNOWN} if resend_unknown else {RETRY}
        for row in sendable:
            entry = self.results.get(row)
            if entry is None or entry[0] in again:
                yield row

    # ------------------------------------------------------------------ figures

    def spent(self) -> int:
        """Credits spent by the campaign so far, every try included (costs from the API's answers)."""
        return sum(entry[3] for entry in self.results.values() if entry[0] == ACCEPTED)

    def highest_cost(self) -> int | None:
        """The highest cost the API answered for one row of this campaign, if any."""
        costs = [entry[3] for entry in self.results.values() if entry[0] == ACCEPTED]
        return max(costs) if costs else None

    # ------------------------------------------------------------------ writes (from a thread)

    def snapshot(self, rows: Iterable[int]) -> dict[int, dict[str, Entry]]:
        """The values of the chunks holding ``rows``, copied (call it on the loop's thread)."""
        numbers = {row // self.chunk_rows for row in rows}
        values: dict[int, dict[str, Entry]] = {}
        for number in numbers:
            base = number * self.chunk_rows
            values[number] = {
                str(row - base): list(self.results[row])
                for row in range(base, min(base + self.chunk_rows, self.total))
                if row in self.results
            }
        return values

    def write_chunks(self, values: dict[int, dict[str, Entry]]) -> None:
        """Write chunk values (each one key)."""
        for number, value in sorted(values.items()):
            self.store.set(chunk_key(number), value)
            self.writes += 1

    def journal(self, rows: Iterable[int]) -> dict[str, Entry]:
        """The journal value of ``rows``, copied (call it on the loop's thread)."""
        return {str(row): list(self.results[row]) for row in rows}

    def write_state(self, intents: list[int], journal: dict[str, Entry]) -> None:
        """Write the window and the latest results (with the campaign's identity): one write."""
        self.store.set(
            STATE_KEY,
            {
                "version": VERSION,
                "fingerprint": self.fingerprint,
                "total": self.total,
                "chunk_rows": self.chunk_rows,
                "intents": intents,
                "journal": journal,
            },
        )
        self.writes += 1
