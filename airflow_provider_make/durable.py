"""What a task instance keeps across its tries, even through a killed worker.

The make API has no idempotency key (spec decision 13), so "never send twice" rests on
a record written before a request leaves. On Airflow 3.3+ it goes to the task's
``task_state_store``; before, to a Variable named after the task instance (``make__``...).
Records outlive the task's success on purpose, as the state store's do, so that clearing a
finished task does not send again; on 3.1 and 3.2 they can be cleaned up by their prefix
once a run is no longer cleared. On 3.3 they are kept ``[make] monitoring_retention_days``
(they carry the monitoring records: :mod:`~airflow_provider_make.monitoring.records`), not
the state store's 30-day default. Values are JSON.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Context


class DurableState:
    """The durable key/value state of one task instance; ``set`` returns once it is in the database."""

    def __init__(self, context: Context) -> None:
        self._store: Any = context.get("task_state_store")
        #: Where the records go, for messages.
        self.backend = "Variable" if self._store is None else "task_state_store"
        ti = context["ti"]
        identity = f"{ti.dag_id}|{ti.run_id}|{ti.task_id}|{getattr(ti, 'map_index', -1)}"
        # Variable keys are limited in length and characters: a digest names the instance.
        self._prefix = f"make__{ti.dag_id[:60]}__{hashlib.sha256(identity.encode()).hexdigest()[:24]}__"
        self._retention: timedelta | None = None
        if self._store is not None:
            from airflow_provider_make.monitoring.records import retention_days

            days = retention_days()
            # 0 keeps records forever: the state store's NEVER_EXPIRE is timedelta.max.
            self._retention = timedelta(days=days) if days > 0 else timedelta.max

    def get(self, key: str) -> Any:
        """The value kept under ``key``, or None."""
        if self._store is not None:
            return self._store.get(key)
        from airflow.sdk import Variable

        return Variable.get(self._prefix + key, default=None, deserialize_json=True)

    def set(self, key: str, value: Any) -> None:
        if self._store is None:
            from airflow.sdk import Variable

            Variable.set(self._prefix + key, value, serialize_json=True)
        else:
            self._store.set(key, value, retention=self._retention)

    def delete(self, key: str) -> None:
        """Forget ``key``, if it is there."""
        if self._store is None:
            from airflow.sdk import Variable

            Variable.delete(self._prefix + key)
        else:
            self._store.delete(key)
