"""The monitoring record of a make request, written by the same durable write that keeps it safe.

Every send already writes its intent before the request leaves, and its answer after
(:mod:`~airflow_provider_make.durable`, spec decision 13). The monitoring record rides in
those same values, under :data:`MONITOR`: no write of its own, so it costs a send nothing
but a few hundred bytes more of JSON, and it is as durable as "never send twice" needs
(a retry, a clear or ``airflow db clean``'s XCom purge leave it; a killed worker leaves
the intent, which the page shows as ``unknown``).

A request's record (the durable key :data:`~airflow_provider_make.xcom_keys.STATE_REQUEST`)
holds ``{"identity": {...}, "attempts": [...]}``: one attempt per try that sent, the
refused ones kept when a later try sends again. A campaign's record rides in the ledger's
state (:data:`~airflow_provider_make.campaign.ledger.STATE_KEY`) as
``{"identity": {...}, "kind": "campaign", "counts": {...}, ...}``; its rows are the ledger's chunks.

Nothing here imports Airflow: workers import it with the operators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_make import xcom_keys

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_make.durable import DurableState

#: The key of the monitoring part in a durable value.
MONITOR = "monitor"
#: Bumped when the record's layout changes; the reader skips versions it does not know.
VERSION = 1
#: The states a request is listed with (``unknown``: its intent was kept, its answer never was;
#: ``running``: a campaign still sending).
ACCEPTED, FINISHED, REFUSED, UNKNOWN, RUNNING = "accepted", "finished", "refused", "unknown", "running"
STATES = (ACCEPTED, FINISHED, REFUSED, UNKNOWN, RUNNING)
#: The kinds the page and the API name (``+`` is awkward in a URL's query string).
KINDS = ("ring", "ring_plus", "ringun", "call", "call_plus", "sms", "sms_plus", "campaign")
#: ``[make] monitoring_retention_days``'s default.
DEFAULT_RETENTION_DAYS = 90


def retention_days() -> int:
    """``[make] monitoring_retention_days`` (default 90; 0 keeps records forever)."""
    from airflow_provider_make.compat import conf

    days: int = conf.getint("make", "monitoring_retention_days", fallback=DEFAULT_RETENTION_DAYS)
    return days


def utc_now() -> str:
    """Now, as the records and the API write times: ISO 8601, UTC, ``Z``."""
    return iso(datetime.now(timezone.utc))


def iso(moment: datetime) -> str:
    """``moment`` in the records' form; a naive one is taken as UTC (the page's date fields are)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def kind_name(kind: str) -> str:
    """The API's name of a request kind: ``sms+`` (the client's value) is ``sms_plus``."""
    name = kind.replace("+", "_plus")
    if name not in KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(KINDS)} (or the client's ring+/call+/sms+), got {kind!r}"
        )
    return name


def mask(recipient: str) -> str:
    """A phone number as the page shows it: every digit but the last two hidden (personal data)."""
    digits = "".join(character for character in str(recipient) if character.isdigit())
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def identity(context: Context) -> dict[str, Any]:
    """Which task instance try a record belongs to."""
    ti = context["ti"]
    return {
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": getattr(ti, "map_index", -1),
        "try_number": ti.try_number,
    }


class RequestRecord:
    """One task instance's single-request record, written with its durable values.

    The operator builds it once the request is checked (``earlier`` is the durable value an
    earlier try left, which the operator has read anyway), then calls :meth:`intent` in
    place of its intent write, :meth:`answer` in place of its answer write, and
    :meth:`refusal` in place of forgetting the intent when the API refused.
    """

    def __init__(
        self,
        durable: DurableState,
        context: Context,
        *,
        kind: str,
        recipients: Iterable[str],
        earlier: Mapping[str, Any] | None = None,
    ) -> None:
        self.durable = durable
        self.identity = identity(context)
        kept = (earlier or {}).get(MONITOR) or {}
        # Earlier tries' refusals stay listed; an earlier unknown or accepted attempt cannot
        # precede a new send (the operator stops before sending then, unless resend_unknown).
        self.attempts: list[dict[str, Any]] = [
            attempt for attempt in kept.get("attempts", []) if attempt.get("state") in (REFUSED, UNKNOWN)
        ]
        self.attempt: dict[str, Any] = {
            "try_number": self.identity["try_number"],
            "kind": kind_name(kind),
            "recipients": [mask(recipient) for recipient in recipients],
            "sent_at": None,
            "state": UNKNOWN,
        }

    def value(self, durable_fields: Mapping[str, Any]) -> dict[str, Any]:
        """``durable_fields`` (what the operator keeps) with the monitoring record beside them."""
        record = {"version": VERSION, "identity": self.identity, "attempts": [*self.attempts, self.attempt]}
        return {**durable_fields, MONITOR: record}

    def intent(self, durable_fields: Mapping[str, Any]) -> None:
        """Keep the intent (``durable_fields``: ``{"intent": fingerprint, "at": ...}``) before the send."""
        self.attempt["sent_at"] = utc_now()
        self.durable.set(xcom_keys.STATE_REQUEST, self.value(durable_fields))

    def answer(
        self, request: Mapping[str, Any], durable_fields: Mapping[str, Any], tracking_url: str | None = None
    ) -> None:
        """Keep the accepted answer (``request``: ``SendResult.to_dict()``) with ``durable_fields``;
        ``tracking_url``: the hook's ``tracking_url(id)``, for the page's link."""
        self.attempt.update(
            state=ACCEPTED,
            answered_at=utc_now(),
            tracking_id=request.get("id"),
            tracking_url=tracking_url,
            result_code=request.get("result_code"),
            cost=request.get("cost"),
            credits=request.get("credits"),
        )
        self.durable.set(xcom_keys.STATE_REQUEST, self.value(durable_fields))

    def refusal(self, result_code: int | None, reason: str) -> None:
        """Keep the refusal in place of the intent: nothing left, a later try may send again."""
        now = utc_now()
        self.attempt["sent_at"] = self.attempt["sent_at"] or now
        self.attempt.update(state=REFUSED, answered_at=now, result_code=result_code, reason=reason)
        self.durable.set(xcom_keys.STATE_REQUEST, self.value({}))


def record_finished(durable: DurableState, finished_at: datetime) -> None:
    """Mark the accepted request of this task instance finished (its hang-up or execution date).

    Called once the wait is over (in ``execute`` or ``execute_complete``); one read and one
    write, after the send.
    """
    value = durable.get(xcom_keys.STATE_REQUEST)
    record = value.get(MONITOR) if isinstance(value, dict) else None
    if not record or not record.get("attempts"):
        return
    record["attempts"][-1].update(state=FINISHED, finished_at=iso(finished_at))
    durable.set(xcom_keys.STATE_REQUEST, value)


def campaign_record(
    context_identity: Mapping[str, Any],
    *,
    counts: Mapping[str, Any],
    started_at: str,
    running: bool,
    credits: int | None = None,
) -> dict[str, Any]:
    """The monitoring record of a campaign, for the ledger's state value (under :data:`MONITOR`).

    ``context_identity`` is :func:`identity` of the task's context (read it once, on the
    loop's thread); ``counts`` the summary's keys so far (``total``, ``accepted``,
    ``failed``, ``invalid``, ``unknown``, ``skipped_duplicates``, ``cost``...);
    ``running`` False once the campaign has ended. Its rows are the ledger's chunks.
    """
    return {
        "version": VERSION,
        "identity": dict(context_identity),
        "kind": "campaign",
        "counts": dict(counts),
        "started_at": started_at,
        "updated_at": utc_now(),
        "running": running,
        "credits": credits,
    }
