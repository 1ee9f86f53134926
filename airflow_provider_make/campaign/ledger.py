"""A campaign's durable progress: which rows may be on the wire, and what each sent row got.

The make API has no idempotency key and no way to list past requests (spec decision
13), so "never twice" rests on two records in the task instance's durable state
(:class:`~airflow_provider_make.durable.DurableState`), written in this order:

``make_campaign`` (:data:`STATE_KEY`)
    ``{"version", "fingerprint", "total", "chunk_rows", "intents", "journal", "monitor"}``
    (``monitor``: the campaign's monitoring record, riding in the same write:
    :func:`~airflow_provider_make.monitoring.records.campaign_record`).
    ``intents``: the rows reserved for sending whose result is not written yet. A row is
    sent only once it is in a written ``intents``, and leaves it in the write that records
    its result (in ``journal``: ``{"<row>": Result}``). So after a killed worker every row
    in ``intents`` is of unknown fate, and every other row is recorded or surely not sent.
``make_campaign_rows_<n>`` (:func:`chunk_key`)
    the results of rows ``n * chunk_rows`` to ``(n + 1) * chunk_rows - 1``
    (``{"<offset>": Result}``), written once no row of it can get a result in this try
    (rows go out in order), or when the journal passes :data:`JOURNAL_ROWS`.

The runner keeps ``intents`` at most ``2 x max_concurrency`` rows, the bound on rows a
killed worker leaves ``unknown``. Memory holds the journal and one status byte per row;
the results themselves are read back a chunk at a time (:meth:`Ledger.chunk`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, Protocol

STATE_KEY = "make_campaign"
CHUNK_KEY_PREFIX = "make_campaign_rows_"
#: Rows per results value: a small write, one per 128 rows.
CHUNK_ROWS = 128
#: The most results the state value carries before they go to their chunks, complete or not.
JOURNAL_ROWS = 512
VERSION = 1

#: Row statuses. ``retry``: surely not accepted (no credit, a service failure, never reached
#: the API): a retry of the task sends it again.
ACCEPTED, FAILED, RETRY, UNKNOWN = "accepted", "failed", "retry", "unknown"
#: Status byte of a row in :attr:`Ledger.statuses` (0: no result).
STATUS_BYTES = {ACCEPTED: 1, FAILED: 2, RETRY: 3, UNKNOWN: 4}

INTERRUPTED = (
    "the worker stopped while this row was being sent: its fate is unknown (the API cannot be asked), "
    "so it is not sent again; check the account's history on makesms.fr, or set resend_unknown=True "
    "to send it again"
)


class Result(NamedTuple):
    """One sent row's result; stored as a JSON list in this order."""

    status: str
    id: str = ""
    result_code: int | None = None
    cost: int = 0
    error: str = ""
    accepted_at: str = ""  # ISO-8601 UTC, when the API's acceptance came back


class Store(Protocol):
    """What the ledger needs of :class:`~airflow_provider_make.durable.DurableState`."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...


class CampaignChangedError(Exception):
    """An earlier try of this task instance ran a different campaign."""


class Write(NamedTuple):
    """One durable write, copied on the loop's thread: chunk values first, then the state."""

    chunks: dict[int, dict[str, list[Any]]]
    intents: list[int]
    journal: dict[str, list[Any]]
    monitor: dict[str, Any] | None


def chunk_key(number: int) -> str:
    return f"{CHUNK_KEY_PREFIX}{number}"


class Ledger:
    """The campaign's durable records: what this process must hold of them, and their writes."""

    def __init__(self, store: Store, fingerprint: str, total: int, chunk_rows: int = CHUNK_ROWS) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.total = total
        self.chunk_rows = chunk_rows
        self.statuses = bytearray(total)
        self.journal: dict[int, Result] = {}  # results not yet in their chunk
        self.unsettled: set[int] = set()  # reserved this try, no result recorded yet
        self.stored_chunks: set[int] = set()
        self.spent = 0  # credits of the accepted rows, every try
        self.highest_cost: int | None = None
        self.interrupted: list[int] = []  # rows an earlier try left in intents
        self.writes = 0
        #: The campaign's monitoring record, written with the next state (the runner keeps it current).
        self.monitor: dict[str, Any] | None = None

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
        self.chunk_rows = int(meta.get("chunk_rows", self.chunk_rows))
        for number in range(-(-self.total // self.chunk_rows)):
            for row, result in self.chunk(number).items():
                self._note(row, result)
        for row, entry in (meta.get("journal") or {}).items():  # newer than the chunks
            self.record(int(row), Result(*entry))
        self.interrupted = sorted(int(row) for row in meta.get("intents", []))
        self.monitor = meta.get("monitor")

    def settle_interrupted(self, resend_unknown: bool) -> None:
        """Record the interrupted rows ``unknown`` (or to send again): written before any send."""
        if not resend_unknown:
            for row in self.interrupted:
                self.record(row, Result(UNKNOWN, error=INTERRUPTED))
        if self.journal or self.interrupted:
            self.commit(self.prepare([], frontier=self.total))

    def chunk(self, number: int) -> dict[int, Result]:
        """The stored results of chunk ``number``, with this try's unwritten ones: ``{row: Result}``."""
        base = number * self.chunk_rows
        value = self.store.get(chunk_key(number))
        found: dict[int, Result] = {}
        if isinstance(value, dict):
            self.stored_chunks.add(number)
            found = {base + int(offset): Result(*entry) for offset, entry in value.items()}
        for row in range(base, min(base + self.chunk_rows, self.total)):
            if row in self.journal:
                found[row] = self.journal[row]
        return found

    def _note(self, row: int, result: Result) -> None:
        self.statuses[row] = STATUS_BYTES[result.status]
        if result.status == ACCEPTED:
            self.spent += result.cost
            self.highest_cost = max(self.highest_cost or 0, result.cost)

    def record(self, row: int, result: Result) -> None:
        """A row's result (written with the next :meth:`prepare`)."""
        self._note(row, result)
        self.journal[row] = result
        self.unsettled.discard(row)

    def count(self, status: str) -> int:
        return self.statuses.count(STATUS_BYTES[status])

    def pending(self, sendable: Iterable[int], resend_unknown: bool) -> Iterator[int]:
        """The sendable rows still to send: no result, ``retry``, or (opted in) ``unknown``."""
        again = {0, STATUS_BYTES[RETRY]} | ({STATUS_BYTES[UNKNOWN]} if resend_unknown else set())
        return (row for row in sendable if self.statuses[row] in again)

    def prepare(self, reserve: list[int], frontier: int, release: Iterable[int] = ()) -> Write:
        """The next write: reserve ``reserve``, drop ``release`` (never sent), record the journal.

        ``frontier``: the lowest row that may still get a result in this try; the chunks
        below it are complete and leave the journal.
        """
        self.unsettled.difference_update(release)
        self.unsettled.update(reserve)
        lowest = min(self.unsettled, default=frontier)
        limit = min(lowest, frontier)
        flushing = len(self.journal) >= JOURNAL_ROWS
        numbers = sorted({row // self.chunk_rows for row in self.journal})
        done = [n for n in numbers if flushing or (n + 1) * self.chunk_rows <= limit or limit >= self.total]
        chunks = {n: self._chunk_value(n) for n in done}
        for number in done:
            base = number * self.chunk_rows
            for row in range(base, base + self.chunk_rows):
                self.journal.pop(row, None)
        journal = {str(row): list(result) for row, result in self.journal.items()}  # stores take JSON
        return Write(chunks, sorted(self.unsettled), journal, self.monitor)

    def _chunk_value(self, number: int) -> dict[str, list[Any]]:
        base = number * self.chunk_rows
        found = (
            self.chunk(number)
            if number in self.stored_chunks
            else {
                row: self.journal[row] for row in range(base, base + self.chunk_rows) if row in self.journal
            }
        )
        return {str(row - base): list(result) for row, result in sorted(found.items())}

    def commit(self, write: Write) -> None:
        """Write the chunks, then the window and journal (call it from a thread: it blocks)."""
        for number, value in write.chunks.items():
            self.store.set(chunk_key(number), value)
            self.stored_chunks.add(number)
        self.store.set(
            STATE_KEY,
            {
                "version": VERSION,
                "fingerprint": self.fingerprint,
                "total": self.total,
                "chunk_rows": self.chunk_rows,
                "intents": write.intents,
                "journal": write.journal,
                **({"monitor": write.monitor} if write.monitor else {}),
            },
        )
        self.writes += 1 + len(write.chunks)
