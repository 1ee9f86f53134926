"""The ``hook`` property that operators, the sensor and the notifier share.

It imports and builds :class:`~airflow_provider_make.hooks.make.MakeHook` on first use,
so that importing a DAG file that uses them stays cheap and constructors do no I/O.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_make.hooks.make import MakeHook


class UsesMakeHook:
    """Mixin: ``self.hook`` is a MakeHook on ``self.make_conn_id``, built on first use."""

    make_conn_id: str

    @cached_property
    def hook(self) -> MakeHook:
        """The hook, built on first use (never at DAG parse time)."""
        from airflow_provider_make.hooks.make import MakeHook

        return MakeHook(make_conn_id=self.make_conn_id)
