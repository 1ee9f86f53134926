"""The api-server's side: the monitoring records read from Airflow's database, through its ORM.

Records live where the operators keep their durable state (:mod:`.records`): Variables
named ``make__<dag>__<digest>__<key>`` on Airflow 3.1 and 3.2, the ``task_state_store``
table on 3.3. Both are read, so records written before an upgrade stay listed.
A variable's value is decrypted by Airflow's own model (Fernet, when configured).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_make import xcom_keys
from airflow_provider_make.campaign.ledger import CHUNK_KEY_PREFIX, STATE_KEY, Result, chunk_key
from airflow_provider_make.monitoring.records import (
    ACCEPTED,
    FINISHED,
    MONITOR,
    REFUSED,
    RUNNING,
    UNKNOWN,
    VERSION,
    iso,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Where the durable values of Airflow 3.1 and 3.2 live: Variables with this prefix.
VARIABLE_PREFIX = "make__"
#: The durable keys that carry a monitoring record.
RECORD_KEYS = (xcom_keys.STATE_REQUEST, STATE_KEY)


@dataclass(frozen=True)
class Stored:
    """One durable value that carries a monitoring record, and where its siblings are."""

    value: dict[str, Any]
    #: The Variable key prefix of the task instance (3.1/3.2), or None for task_state_store rows.
    variable_prefix: str | None
    #: A campaign recorded as running whose task is no longer running (its worker died).
    stopped: bool = False

    @property
    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = self.value[MONITOR]
        return record

    @property
    def identity(self) -> dict[str, Any]:
        found: dict[str, Any] = self.record["identity"]
        return found

    @property
    def is_campaign(self) -> bool:
        return self.record.get("kind") == "campaign"


def _parse(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text or "")
    except ValueError:  # a worker-side store backend leaves a reference, not the value
        return None
    if not isinstance(value, dict):
        return None
    record = value.get(MONITOR)
    if not isinstance(record, dict) or record.get("version") != VERSION or "identity" not in record:
        return None
    return value


def _decrypted(text: str, encrypted: bool) -> str | None:
    """A Variable's stored text in clear, as Airflow's model decrypts it (None if it cannot)."""
    if not encrypted:
        return text
    from airflow.models.crypto import get_fernet

    try:
        return str(get_fernet().decrypt(text.encode()).decode())
    except Exception:  # noqa: BLE001 - as Airflow's model: a value it cannot decrypt is skipped
        return None


class _ParsedValues:
    """Stored texts already decrypted and parsed, so that a page costs one query, not 2,000 decryptions.

    A record is parsed again only when its stored text changes (every write does; a Fernet
    token differs each time). Reading the texts through columns, not the Variable model,
    also keeps every record out of the log masker's patterns (the model adds each value
    it loads).
    """

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any] | None] = {}

    def read(self, texts: list[tuple[str, bool]]) -> list[dict[str, Any] | None]:
        known: dict[str, dict[str, Any] | None] = self._values
        fresh: dict[str, dict[str, Any] | None] = {}
        for text, encrypted in texts:
            fresh[text] = known[text] if text in known else _parse(_decrypted(text, encrypted))
        self._values = fresh  # only what is stored now: bounded by the records
        return [fresh[text] for text, _ in texts]


_variable_values = _ParsedValues()
_state_store_values = _ParsedValues()


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _variable_records(session: Session) -> Iterator[Stored]:
    from airflow.models.variable import Variable
    from sqlalchemy import or_, select

    wanted = or_(*(Variable.key.like(f"%\\_\\_{_escaped(key)}", escape="\\") for key in RECORD_KEYS))
    mine = Variable.key.like(f"{_escaped(VARIABLE_PREFIX)}%", escape="\\")
    rows = session.execute(
        select(Variable.key, Variable._val, Variable.is_encrypted).where(mine, wanted)
    ).all()
    values = _variable_values.read([(text, bool(encrypted)) for _, text, encrypted in rows])
    for (name, _, _), value in zip(rows, values, strict=True):
        if value is not None:
            key = next(key for key in RECORD_KEYS if name.endswith("__" + key))
            yield Stored(value, name[: -len(key)])


def _task_state_model() -> Any:
    """Airflow 3.3's ``task_state_store`` model, or None before 3.3."""
    try:
        from airflow.models.task_state_store import TaskStateStoreModel
    except ImportError:
        return None
    return TaskStateStoreModel


def _state_store_records(session: Session) -> Iterator[Stored]:
    model = _task_state_model()
    if model is None:
        return
    from sqlalchemy import select

    texts = session.scalars(select(model.value).where(model.key.in_(RECORD_KEYS))).all()
    for value in _state_store_values.read([(text, False) for text in texts]):
        if value is not None:
            yield Stored(value, None)


#: Task instance states in which a campaign may still be sending (or resume, on a retry).
ACTIVE_STATES = (
    "running",
    "deferred",
    "queued",
    "scheduled",
    "up_for_retry",
    "up_for_reschedule",
    "restarting",
)


def _stopped(session: Session, stored: list[Stored]) -> list[Stored]:
    """``stored``, with the campaigns recorded as running whose task instance has stopped marked so."""
    running = [item for item in stored if item.is_campaign and item.record.get("running")]
    if not running:
        return stored
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import and_, or_, select

    names = ("dag_id", "run_id", "task_id", "map_index")
    wanted = or_(
        *(and_(*(getattr(TaskInstance, name) == item.identity[name] for name in names)) for item in running)
    )
    query = select(*(getattr(TaskInstance, name) for name in names), TaskInstance.state).where(wanted)
    active = {tuple(row[:4]) for row in session.execute(query) if row[4] in ACTIVE_STATES}
    stopped = {id(item) for item in running if tuple(item.identity[name] for name in names) not in active}
    return [
        Stored(item.value, item.variable_prefix, stopped=True) if id(item) in stopped else item
        for item in stored
    ]


def load(session: Session) -> list[Stored]:
    """Every durable value that carries a monitoring record, from both stores."""
    return _stopped(session, [*_variable_records(session), *_state_store_records(session)])


# ----------------------------------------------------------------------------- requests


def _request_rows(stored: Stored) -> Iterator[dict[str, Any]]:
    identity = stored.identity
    where = {name: identity[name] for name in ("dag_id", "run_id", "task_id", "map_index")}
    if stored.is_campaign:
        record = stored.record
        counts = record.get("counts") or {}
        yield {
            **where,
            "try_number": identity.get("try_number"),
            "kind": "campaign",
            "tracking_id": None,
            "tracking_url": None,
            "state": (UNKNOWN if stored.stopped else RUNNING) if record.get("running") else FINISHED,
            "result_code": None,
            "reason": None,
            "cost": counts.get("cost", 0),
            "credits": record.get("credits"),
            "sent_at": record.get("started_at"),
            "answered_at": record.get("updated_at"),
            "finished_at": None if record.get("running") else record.get("updated_at"),
            "recipients": [],
            "counts": counts,
        }
        return
    for attempt in stored.record.get("attempts", []):
        yield {
            **where,
            "try_number": attempt.get("try_number"),
            "kind": attempt.get("kind"),
            "tracking_id": attempt.get("tracking_id"),
            "tracking_url": attempt.get("tracking_url"),
            "state": attempt.get("state", UNKNOWN),
            "result_code": attempt.get("result_code"),
            "reason": attempt.get("reason"),
            "cost": attempt.get("cost") if attempt.get("state") in (ACCEPTED, FINISHED) else 0,
            "credits": attempt.get("credits"),
            "sent_at": attempt.get("sent_at"),
            "answered_at": attempt.get("answered_at"),
            "finished_at": attempt.get("finished_at"),
            "recipients": attempt.get("recipients", []),
        }


def requests(stored: Iterable[Stored], dag_ids: set[str] | None) -> list[dict[str, Any]]:
    """Every request of the DAGs in ``dag_ids`` (None: all), newest first, as the API lists them."""
    rows = [
        row
        for item in stored
        if dag_ids is None or item.identity.get("dag_id") in dag_ids
        for row in _request_rows(item)
    ]
    rows.sort(key=lambda row: row["sent_at"] or "", reverse=True)
    return rows


def filtered(
    rows: Iterable[dict[str, Any]],
    *,
    dag_id: str | None = None,
    kind: str | None = None,
    state: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """The rows matching every filter given (dates bound ``sent_at``, ``until`` excluded)."""
    low = iso(since) if since else None
    high = iso(until) if until else None
    return [
        row
        for row in rows
        if (dag_id is None or row["dag_id"] == dag_id)
        and (kind is None or row["kind"] == kind)
        and (state is None or row["state"] == state)
        and (low is None or (row["sent_at"] or "") >= low)
        and (high is None or (row["sent_at"] or "") < high)
    ]


# ----------------------------------------------------------------------------- summary


def summary(rows: list[dict[str, Any]], days: int, now: datetime) -> dict[str, Any]:
    """Credits (latest, trend, days left) and per-day, per-DAG totals of the last ``days`` days."""
    start = (now - timedelta(days=days - 1)).date().isoformat()
    totals: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {ACCEPTED: 0, REFUSED: 0, UNKNOWN: 0, "cost": 0}
    )
    balance: dict[str, Any] = {"value": None, "at": None}
    trend: dict[str, int] = {}
    with_credits = [row for row in rows if row["credits"] is not None and row["answered_at"]]
    for row in sorted(with_credits, key=lambda row: str(row["answered_at"])):  # the day's last balance wins
        balance = {"value": row["credits"], "at": row["answered_at"]}
        if row["answered_at"][:10] >= start:
            trend[row["answered_at"][:10]] = row["credits"]
    for row in rows:
        day = (row["sent_at"] or "")[:10]
        if day < start:
            continue
        total = totals[(day, row["dag_id"])]
        total["cost"] += row["cost"] or 0
        if row["kind"] == "campaign":
            counts = row["counts"]
            total[ACCEPTED] += counts.get("accepted", 0)
            total[REFUSED] += counts.get("refused", 0)
            total[UNKNOWN] += counts.get("unknown", 0)
        else:
            total[ACCEPTED if row["state"] == FINISHED else row["state"]] += 1
    week = (now - timedelta(days=6)).date().isoformat()
    spent_week = sum(row["cost"] or 0 for row in rows if (row["sent_at"] or "")[:10] >= week)  # any ``days``
    days_left = None
    if balance["value"] is not None and spent_week:
        days_left = round(balance["value"] / (spent_week / 7), 1)
    return {
        "credits": {
            **balance,
            "days_left": days_left,
            "trend": [{"day": d, "value": v} for d, v in sorted(trend.items())],
        },
        "days": [
            {"day": day, "dag_id": dag_id, **total}
            for (day, dag_id), total in sorted(totals.items(), reverse=True)
        ],
    }


# ----------------------------------------------------------------------------- a campaign's rows


def find_campaign(
    stored: Iterable[Stored], dag_id: str, run_id: str, task_id: str, map_index: int
) -> Stored | None:
    wanted = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}
    for item in stored:
        if item.is_campaign and all(item.identity.get(name) == value for name, value in wanted.items()):
            return item
    return None


def _sibling(session: Session, campaign: Stored, key: str) -> Any:
    if campaign.variable_prefix is not None:
        from airflow.models.variable import Variable
        from sqlalchemy import select

        found = session.execute(
            select(Variable._val, Variable.is_encrypted).where(Variable.key == campaign.variable_prefix + key)
        ).first()
        text = _decrypted(found[0], bool(found[1])) if found is not None else None
    else:
        from sqlalchemy import select

        model = _task_state_model()
        identity = campaign.identity
        text = session.scalars(
            select(model.value).where(
                model.dag_id == identity["dag_id"],
                model.run_id == identity["run_id"],
                model.task_id == identity["task_id"],
                model.map_index == identity["map_index"],
                model.key == key,
            )
        ).first()
    return json.loads(text) if text else None


def campaign_rows(session: Session, campaign: Stored, limit: int, offset: int) -> dict[str, Any]:
    """A page of a campaign's sent rows (the ledger's chunks, then its journal), in row order."""
    total = int(campaign.value.get("total", 0))
    chunk_rows = int(campaign.value.get("chunk_rows", 1)) or 1
    journal = {int(row): entry for row, entry in (campaign.value.get("journal") or {}).items()}
    found: list[dict[str, Any]] = []
    number = offset // chunk_rows
    while len(found) < limit and number * chunk_rows < total:
        values = _sibling(session, campaign, chunk_key(number)) or {}
        base = number * chunk_rows
        entries = {base + int(row): entry for row, entry in values.items()}
        entries.update({row: entry for row, entry in journal.items() if base <= row < base + chunk_rows})
        for row in sorted(entries):
            if row >= offset and len(found) < limit:
                result = Result(*entries[row])
                found.append(
                    {
                        "row": row,
                        "tracking_id": result.id or None,
                        "status": result.status,
                        "result_code": result.result_code,
                        "cost": result.cost,
                        "message": result.error,
                    }
                )
        number += 1
    return {"total_entries": total, "rows": found}


# ----------------------------------------------------------------------------- retention


def _newest(stored: Stored) -> str:
    record = stored.record
    times = [record.get("updated_at"), record.get("started_at")]
    for attempt in record.get("attempts", []):
        times += [attempt.get("sent_at"), attempt.get("answered_at"), attempt.get("finished_at")]
    return max((time for time in times if time), default="")


def purge(
    session: Session, stored: Iterable[Stored], retention_days: int, now: datetime | None = None
) -> int:
    """Delete the records (and a campaign's rows) untouched for ``retention_days``; how many.

    0 keeps everything. A purged task instance, cleared later, sends again (on 3.3 the
    operators' values also expire then in the state store).
    """
    if retention_days <= 0:
        return 0
    from sqlalchemy import delete

    cutoff = iso((now or datetime.now(timezone.utc)) - timedelta(days=retention_days))
    purged = 0
    for item in stored:
        if _newest(item) >= cutoff:
            continue
        purged += 1
        if item.variable_prefix is not None:
            from airflow.models.variable import Variable

            session.execute(
                delete(Variable).where(
                    Variable.key.in_([item.variable_prefix + key for key in RECORD_KEYS])
                    | Variable.key.like(f"{_escaped(item.variable_prefix + CHUNK_KEY_PREFIX)}%", escape="\\")
                )
            )
        else:
            model = _task_state_model()
            identity = item.identity
            session.execute(
                delete(model).where(
                    model.dag_id == identity["dag_id"],
                    model.run_id == identity["run_id"],
                    model.task_id == identity["task_id"],
                    model.map_index == identity["map_index"],
                    model.key.in_(RECORD_KEYS)
                    | model.key.like(f"{_escaped(CHUNK_KEY_PREFIX)}%", escape="\\"),
                )
            )
    return purged
