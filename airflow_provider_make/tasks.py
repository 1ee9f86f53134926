"""What the operators, the sensor and the notifier share, cheap to import with a DAG file: the
hook made on first use, the check of a literal argument, and the waiting defaults."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from airflow_provider_make.hooks.make import MakeHook

T = TypeVar("T")

#: Seconds between two looks at a tracking log, when a task waits.
DEFAULT_POLL_INTERVAL = 10.0
#: Seconds a task waits at most for its requests to finish.
DEFAULT_TIMEOUT = 60 * 60.0


class UsesMakeHook:
    """Mixin: ``self.hook`` is a MakeHook on ``self.make_conn_id``, built on first use (not at parse time)."""

    make_conn_id: str

    @cached_property
    def hook(self) -> MakeHook:
        from airflow_provider_make.hooks.make import MakeHook

        return MakeHook(make_conn_id=self.make_conn_id)


def deferrable_or_default(deferrable: bool | None) -> bool:
    """``deferrable``, or when None ``[operators] default_deferrable``, as Airflow's own operators."""
    if deferrable is not None:
        return deferrable
    from airflow_provider_make.compat import conf

    return bool(conf.getboolean("operators", "default_deferrable", fallback=False))


def checked(check: Callable[[Any], T], value: object) -> T:
    """``check(value)``; a refusal raised as the project's Airflow error (a validation error fails
    the task without retries, naming the argument)."""
    from airflow_provider_make.client.errors import MakeError
    from airflow_provider_make.exceptions import to_airflow_exception

    try:
        return check(value)
    except MakeError as error:
        raise to_airflow_exception(error) from None


def check_if_literal(check: Callable[[Any], object], value: object) -> None:
    """:func:`checked` now if ``value`` is final as written (:func:`.literals.is_literal`): a bad
    literal fails the DAG file's import with the message the task would give; a template or an
    ``XComArg`` is checked when the task runs."""
    from airflow_provider_make.literals import is_literal

    if is_literal(value):
        checked(check, value)
