"""Whether an operator's argument is final as written in the DAG file, so it can be checked there.

An argument given literally is checked in the operator's constructor, by the same function
(and so with the same message) as when the task runs: a mistake then shows as a DAG import
error the moment the file is parsed, before any upstream task does its work. A template, an
``XComArg`` or anything else Airflow resolves at run time is checked when the task runs.
"""

from __future__ import annotations

from typing import Any

#: What starts a Jinja statement, expression or comment.
_JINJA_MARKS = ("{{", "{%", "{#")


def is_literal(value: Any) -> bool:
    """False for a Jinja template string, an object Airflow resolves at run time (``XComArg``,
    anything with ``resolve``) or a list, tuple, set or dict holding one; True otherwise."""
    if isinstance(value, str):
        return not any(mark in value for mark in _JINJA_MARKS)
    if callable(getattr(value, "resolve", None)):
        return False
    if isinstance(value, dict):
        return all(is_literal(key) and is_literal(item) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_literal(item) for item in value)
    return True
