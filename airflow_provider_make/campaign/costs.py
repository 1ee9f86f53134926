"""The last makeSms+ cost this provider saw charged to an account, kept in an Airflow Variable.

The API publishes no price: a dry run estimates a campaign's cost from the user's
``cost_per_sms``, else from this record, written whenever a makeSms+ is accepted (a
campaign's, or a single send's: :func:`remember_cost`). The Variable's key holds a digest
of the login, never the login itself. Best effort: where no Variable can be read or
written (no Airflow task around), the cost is unknown and nothing fails.
"""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger(__name__)
KEY_PREFIX = "make_sms_plus_cost_"


def cost_key(login: str) -> str:
    return KEY_PREFIX + hashlib.sha256(login.encode()).hexdigest()[:16]


def remember_cost(login: str, cost: int) -> None:
    """Record ``cost`` as the last makeSms+ cost charged to ``login``'s account."""
    try:
        from airflow.sdk import Variable

        if Variable.get(cost_key(login), default=None) != str(cost):
            Variable.set(cost_key(login), str(cost))
    except Exception as error:  # noqa: BLE001 - a cache: a dry run then says the cost is unknown
        log.info("Could not record the last makeSms+ cost (%s)", type(error).__name__)


def last_cost(login: str) -> int | None:
    """The last makeSms+ cost recorded for ``login``'s account, or None."""
    try:
        from airflow.sdk import Variable

        value = Variable.get(cost_key(login), default=None)
    except Exception:  # noqa: BLE001 - see remember_cost
        return None
    return int(value) if isinstance(value, str) and value.isdigit() else None
