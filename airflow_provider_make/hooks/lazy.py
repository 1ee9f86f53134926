"""What the operators, the sensor and the notifier share, cheap to import with a DAG file."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_make.hooks.make import MakeHook


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
