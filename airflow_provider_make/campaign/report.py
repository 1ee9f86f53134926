"""What a campaign tells its user: the summary, the per-row results (XCom pages, the results file).

A results record joins back to the list: the row's own fields (or those named by
``result_fields``), then :data:`COLUMNS`: ``row`` (its index in the list), ``number`` (the
recipient as the API received it), ``text`` (the text sent), ``status``, ``id``,
``result_code``, ``cost``, ``error`` (why it was not accepted), ``accepted_at`` and, when
the campaign waits, ``executed_at`` (the tracking log's ``date_executed``). On a name
clash, the column wins. Records are built a chunk of the ledger at a time, never all held.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from airflow_provider_make.campaign.ledger import ACCEPTED, FAILED, RETRY, UNKNOWN, Result
from airflow_provider_make.campaign.options import results_format
from airflow_provider_make.campaign.rows import DUPLICATE, INVALID

if TYPE_CHECKING:
    from airflow_provider_make.campaign.ledger import Ledger
    from airflow_provider_make.campaign.rows import Plan

COLUMNS = (
    "row",
    "number",
    "text",
    "status",
    "id",
    "result_code",
    "cost",
    "error",
    "accepted_at",
    "executed_at",
)
#: Statuses the ledger does not hold: what the checks decided, a row not sent (the campaign
#: stopped, or a retry may send it) and a dry run's row.
INVALID_STATUS, DUPLICATE_STATUS, NOT_SENT, WOULD_SEND = "invalid", "duplicate", "not_sent", "would_send"
#: The most bytes of JSON one XCom page of results holds.
PAGE_BYTES = 512 * 1024


def shown(value: object) -> object:
    """A row's field as the results can hold it: as is, or named when JSON cannot hold it short."""
    try:
        encoded = json.dumps(value, default=str)
    except (ValueError, TypeError, RecursionError):  # a 10**5000, a list nested 100,000 deep
        return f"<{type(value).__name__}: not shown>"
    return (
        value if len(encoded) <= 1000 else f"<{type(value).__name__} of {len(encoded)} characters: not shown>"
    )


def own_fields(item: object, names: tuple[str, ...] | None) -> dict[str, Any]:
    fields: Mapping[str, Any] = item if isinstance(item, Mapping) else {"recipient": item}
    return {name: fields.get(name) for name in names} if names else dict(fields)


def results(
    plan: Plan,
    ledger: Ledger,
    *,
    fields: tuple[str, ...] | None = None,
    dry_run: bool = False,
    executed: Mapping[str, str | None] | None = None,
) -> Iterator[dict[str, Any]]:
    """One record per row of the list, in order."""
    chunk_rows = ledger.chunk_rows
    found: dict[int, Result] = {}
    for index, kind in enumerate(plan.kinds):
        if index % chunk_rows == 0:
            found = ledger.chunk(index // chunk_rows)
        record = own_fields(plan.rows[index], fields)
        record.update(row=index, number="", text="", status=NOT_SENT, id=None, result_code=None, cost=0)
        record.update(error="", accepted_at=None)
        if kind == INVALID:
            record.update(status=INVALID_STATUS, error=plan.problems[index].describe())
        else:
            query = dict(plan.call(index).query)
            record.update(number=unquote_plus(query.get("to", "")), text=unquote_plus(query.get("msg", "")))
        if kind == DUPLICATE:
            record.update(
                status=DUPLICATE_STATUS, error=f"same number and text as row {plan.duplicate_of[index]}"
            )
        result = found.get(index)
        if kind not in (INVALID, DUPLICATE) and result is not None and result.status != RETRY:
            record.update(status=result.status, id=result.id or None, result_code=result.result_code)
            record.update(cost=result.cost, error=result.error, accepted_at=result.accepted_at or None)
        elif kind not in (INVALID, DUPLICATE):
            record["status"] = WOULD_SEND if dry_run else NOT_SENT
            record["error"] = result.error if result is not None else ""
        if executed is not None:
            record["executed_at"] = executed.get(record["id"] or "")
        yield record


def summary(plan: Plan, ledger: Ledger, credits: int) -> dict[str, Any]:
    """The task's return value: counts, the credits spent by the campaign and the balance left."""
    accepted, refused, unknown = ledger.count(ACCEPTED), ledger.count(FAILED), ledger.count(UNKNOWN)
    return {
        "total": plan.total,
        "accepted": accepted,
        "refused": refused,
        "invalid": len(plan.problems),
        "unknown": unknown,
        "skipped_duplicates": len(plan.duplicate_of),
        "not_sent": plan.valid - accepted - refused - unknown,
        "cost": ledger.spent,
        "credits": credits,
    }


def columns(plan: Plan, fields: tuple[str, ...] | None) -> list[str]:
    """The results file's columns: the row fields (``fields``, or the first row's), then :data:`COLUMNS`."""
    first = own_fields(plan.rows[0], fields) if plan.total else {}
    return [name for name in first if name not in COLUMNS] + list(COLUMNS)


class Publisher:
    """Takes records one at a time: XCom pages of at most :data:`PAGE_BYTES`, and the results file."""

    def __init__(self, push: Any, path: str | None, header: list[str]) -> None:
        self.push, self.pages, self.page_bytes, self.count = push, 0, 0, 0
        self.page: list[dict[str, Any]] = []
        self.kind = results_format("results_path", path) if path else None
        self.handle = self.open(path) if path else None
        self.buffer = io.StringIO()
        self.writer = csv.DictWriter(self.buffer, fieldnames=header, extrasaction="ignore")
        if self.kind == "csv":
            self.writer.writeheader()

    @staticmethod
    def open(path: str) -> Any:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(path).open("w", encoding="utf-8", newline="")  # type: ignore[no-untyped-call]

    def add(self, record: dict[str, Any]) -> None:
        try:
            encoded = json.dumps(record, default=str)
        except (ValueError, TypeError, RecursionError):  # a row field no file or XCom can hold
            record = {name: shown(value) for name, value in record.items()}
            encoded = json.dumps(record, default=str)
        if self.page and self.page_bytes + len(encoded) > PAGE_BYTES:
            self.flush_page()
        self.page.append(record)
        self.page_bytes += len(encoded) + 2
        if self.handle is not None:
            if self.kind == "csv":
                self.writer.writerow(record)
            else:
                self.buffer.write(encoded + "\n")
            if self.buffer.tell() > 64 * 1024:
                self.handle.write(self.buffer.getvalue())
                self.buffer.seek(0)
                self.buffer.truncate()
        self.count += 1

    def flush_page(self) -> None:
        self.push(self.pages, self.page)
        self.pages, self.page, self.page_bytes = self.pages + 1, [], 0

    def close(self) -> int:
        """Push the last page, close the file; the number of pages."""
        if self.page or not self.pages:
            self.flush_page()
        if self.handle is not None:
            self.handle.write(self.buffer.getvalue())
            self.handle.close()
        return self.pages
