"""What a campaign tells its user: the summary, the per-row results, the results file.

The summary is small (it is the task's return value); the per-row results are one
small dict per row of the list, in the list's order, built when asked for rather than
kept: the ledger's entries and the plan's problems already hold everything.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_make.campaign.ledger import ACCEPTED, FAILED, RETRY, UNKNOWN
from airflow_provider_make.campaign.rows import DUPLICATE, INVALID

if TYPE_CHECKING:
    from airflow_provider_make.campaign.ledger import Ledger
    from airflow_provider_make.campaign.rows import Plan

#: The per-row result's fields, in the results file's column order.
COLUMNS = ("row", "recipient", "id", "status", "result_code", "cost", "message", "delivered_at")
#: Per-row statuses: the ledger's, plus what the checks decided, plus ``not_sent`` (the
#: campaign stopped first, or the API refused it in a way a retry may fix).
INVALID_STATUS, DUPLICATE_STATUS, NOT_SENT = "invalid", "duplicate", "not_sent"
#: ``results_path`` suffixes, and the format each means.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


def results(plan: Plan, ledger: Ledger) -> Iterator[dict[str, Any]]:
    """One dict per row of the list, in order (``row`` is the index in ``recipients``, from 0)."""
    for index, kind in enumerate(plan.kinds):
        row: dict[str, Any] = {
            "row": index,
            "recipient": plan.recipient(index),
            "id": None,
            "status": NOT_SENT,
            "result_code": None,
            "cost": 0,
            "message": "",
        }
        if kind == INVALID:
            row["status"], row["message"] = INVALID_STATUS, plan.problems[index].describe()
        elif kind == DUPLICATE:
            row["status"] = DUPLICATE_STATUS
            row["message"] = f"same recipient and text as row {plan.duplicate_of[index]}: sent once"
        else:
            entry = ledger.results.get(index)
            if entry is not None:
                status, identifier, code, cost, message = entry
                row.update(
                    status=NOT_SENT if status == RETRY else status,
                    id=identifier or None,
                    result_code=code,
                    cost=cost,
                    message=message,
                )
        yield row


def summary(plan: Plan, ledger: Ledger, credits: int) -> dict[str, Any]:
    """The task's return value: counts, the credits spent by the campaign and the balance left."""
    counts = {ACCEPTED: 0, FAILED: 0, UNKNOWN: 0, RETRY: 0}
    for index in plan.sendable():
        entry = ledger.results.get(index)
        if entry is not None:
            counts[entry[0]] += 1
    accepted, failed, unknown = counts[ACCEPTED], counts[FAILED], counts[UNKNOWN]
    return {
        "total": plan.total,
        "accepted": accepted,
        "failed": failed,
        "invalid": len(plan.problems),
        "unknown": unknown,
        "skipped_duplicates": len(plan.duplicate_of),
        "not_sent": plan.valid - accepted - failed - unknown,
        "cost": ledger.spent(),
        "credits": credits,
    }


def results_format(path: str) -> str:
    """``csv`` or ``jsonl`` from the path's suffix; ``ValueError`` names what is accepted."""
    lowered = path.lower()
    for suffix, kind in FORMATS.items():
        if lowered.endswith(suffix):
            return kind
    raise ValueError(f"results_path: {path[:80]!r} must end in .csv, or .jsonl/.ndjson/.json for JSON lines")


def write_results(path: str, rows: Iterator[dict[str, Any]]) -> int:
    """Write the rows through ``ObjectStoragePath`` (local, ``s3://``, ``gs://``...); how many.

    Written in one stream, a row at a time; the buffer is flushed every few hundred rows.
    """
    from airflow.sdk import ObjectStoragePath

    kind = results_format(path)
    target = ObjectStoragePath(path)
    count = 0
    with target.open("w", encoding="utf-8", newline="") as handle:  # type: ignore[no-untyped-call]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
        if kind == "csv":
            writer.writeheader()
        for row in rows:
            if kind == "csv":
                writer.writerow(row)
            else:
                buffer.write(json.dumps({name: row.get(name) for name in COLUMNS}) + "\n")
            count += 1
            if count % 500 == 0:
                handle.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        handle.write(buffer.getvalue())
    return count
