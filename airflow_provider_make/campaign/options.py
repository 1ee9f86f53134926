"""The campaign operator's options, checked in one place: when the task runs, and at parse time.

Each option has one check (:data:`CHECKS`); :class:`Options` runs them all when the task
runs, and the operator's constructor runs the same check on each option given literally
(:func:`~airflow_provider_make.literals.is_literal`), so a mistake there is a DAG import
error with the same message. Cheap to import: no HTTP, no ``phonenumbers``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from airflow_provider_make.client.errors import MakeValidationError

#: The most sends in flight at once.
MAX_CONCURRENCY = 100
#: ``results_path`` suffixes, and the format each means.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


def refuse(argument: str, problem: str) -> MakeValidationError:
    return MakeValidationError(f"{argument}: {problem}", argument=argument)


def shown(value: object) -> str:
    """The value as a message shows it (imported only to refuse one: validation is not parse-time cheap)."""
    from airflow_provider_make.client.validation import shown

    return shown(value)


def whole(argument: str, value: Any, low: int, high: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(argument, f"expected a whole number, got {shown(value)}")
    if not low <= value <= high:
        bounds = f"from {low} to {high}" if high < math.inf else f"{low} or more"
        raise refuse(argument, f"must be {bounds}, got {shown(value)}")
    return value


def credits(argument: str, value: Any) -> int:
    """A number of credits: a whole number, 0 or more (or the text of one: a rendered template)."""
    number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise refuse(argument, f"expected a whole number of credits (0 or more) or None, got {shown(value)}")
    return number


def positive(what: str) -> Callable[[str, Any], float]:
    def check(argument: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise refuse(argument, f"{what}, got {shown(value)}")
        return float(value)

    return check


def optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    return lambda argument, value: None if value is None else check(argument, value)


def choice(argument: str, value: Any) -> str:
    if value not in ("fail", "skip"):
        raise refuse(argument, f"expected 'fail' or 'skip', got {shown(value)}")
    return str(value)


def results_format(argument: str, path: Any) -> str:
    """``csv`` or ``jsonl`` from the path's suffix; refused naming what is accepted."""
    if not isinstance(path, str) or not path.strip():
        raise refuse(argument, f"expected a path or URL, got {shown(path)}")
    for suffix, kind in FORMATS.items():
        if path.lower().endswith(suffix):
            return kind
    raise refuse(argument, f"{path[:80]!r} must end in .csv, or .jsonl/.ndjson/.json for JSON lines")


def names(argument: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise refuse(argument, f"expected a non-empty list of the rows' field names, got {shown(value)}")
    if not all(isinstance(name, str) and name for name in value):
        raise refuse(argument, f"expected field names (strings), got {shown(value)}")
    return tuple(value)


def path(argument: str, value: Any) -> str:
    results_format(argument, value)
    return str(value)


def flag(argument: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    from airflow_provider_make.client.validation import flag

    return flag(value, argument)


CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "max_concurrency": lambda argument, value: whole(argument, value, 1, MAX_CONCURRENCY),
    "max_per_second": optional(positive("expected a positive number of sends per second or None")),
    "max_cost": optional(credits),
    "cost_per_sms": optional(lambda argument, value: whole(argument, value, 1)),
    "on_invalid": choice,
    "resend_unknown": flag,
    "dry_run": flag,
    "results_path": optional(path),
    "result_fields": optional(names),
    "wait_for_completion": flag,
    "poll_interval": positive("must be a positive number of seconds"),
    "timeout": positive("must be a positive number of seconds"),
    "deferrable": flag,
}


def check(argument: str, value: Any) -> Any:
    """``value`` checked (and normalised) as the option ``argument``; else :class:`MakeValidationError`."""
    return CHECKS[argument](argument, value)


@dataclass(frozen=True)
class Options:
    """Every option of a campaign, each checked by :func:`check` when built."""

    max_concurrency: int = 8
    max_per_second: float | None = None
    max_cost: int | None = None
    cost_per_sms: int | None = None
    on_invalid: str = "fail"
    resend_unknown: bool = False
    dry_run: bool = False
    results_path: str | None = None
    result_fields: tuple[str, ...] | None = None
    wait_for_completion: bool = False
    poll_interval: float = 10.0
    timeout: float = 3600.0
    deferrable: bool = False
    progress_interval: float = 5.0

    def __post_init__(self) -> None:
        for field in fields(self):
            if field.name in CHECKS:
                object.__setattr__(self, field.name, check(field.name, getattr(self, field.name)))
