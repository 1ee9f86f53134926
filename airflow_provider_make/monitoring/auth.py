"""Who is asking, and which DAGs they may read: the Airflow UI's own token and auth manager.

``get_user`` (what Airflow's ``GetUserDep`` depends on) reads the UI's token from the
``Authorization`` header or the UI's cookie and answers 401 without one; its own
parameters differ between 3.1, 3.2 and 3.3, which FastAPI resolves, so depending on the
function itself works on each. The auth manager is Airflow's process-wide one (a
mounted sub-app has no ``app.state.auth_manager``).
"""

from __future__ import annotations

from typing import Any


def user_dependency() -> Any:
    """The FastAPI dependency that yields the logged-in user (401 without a token)."""
    from airflow.api_fastapi.core_api.security import get_user

    return get_user


def readable_dag_ids(user: Any) -> set[str]:
    """The DAG ids the auth manager lets ``user`` read."""
    from airflow.api_fastapi.app import get_auth_manager

    return set(get_auth_manager().get_authorized_dag_ids(user=user, method="GET"))
