"""The FastAPI app the plugin mounts at ``/make``: the JSON API and the HTML page.

Every route needs the logged-in Airflow user (401 without), and lists only the DAGs the
auth manager lets that user read. Routes are synchronous: FastAPI runs them in its
thread pool, where reading the database does not block the api-server's loop.

Only the api-server imports this module (:class:`~.plugin.LazyApp`). Its annotations are
evaluated (no ``from __future__ import annotations``): FastAPI reads them.
"""

import threading
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from airflow_provider_make.monitoring import page, reader
from airflow_provider_make.monitoring.auth import readable_dag_ids, user_dependency
from airflow_provider_make.monitoring.records import KINDS, STATES, retention_days

#: At most one retention purge per process per interval (seconds).
PURGE_INTERVAL = 3600.0
MAX_LIMIT = 1000
#: Rows per page on the HTML page.
PAGE_ROWS = 50


class _Purger:
    def __init__(self) -> None:
        self.last = float("-inf")
        self.lock = threading.Lock()

    def due(self) -> bool:
        with self.lock:
            if time.monotonic() - self.last < PURGE_INTERVAL:
                return False
            self.last = time.monotonic()
            return True


_purger = _Purger()


def allowed(user: Annotated[Any, Depends(user_dependency())]) -> set[str]:
    """The DAG ids the logged-in user may read (and, at most hourly, the retention purge)."""
    if _purger.due():
        from airflow.utils.session import create_session

        with create_session() as session:
            reader.purge(session, reader.load(session), retention_days())
    return readable_dag_ids(user)


Allowed = Annotated[set[str], Depends(allowed)]
Kind = Annotated[str | None, Query(pattern="^(" + "|".join(KINDS) + ")$")]
State = Annotated[str | None, Query(pattern="^(" + "|".join(STATES) + ")$")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]
PageNumber = Annotated[int, Query(alias="page", ge=1)]


def request_filters(
    dag_id: str | None = None,
    kind: Kind = None,
    state: State = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The filters of the request list, as the API and the page both take them."""
    return {"dag_id": dag_id, "kind": kind, "state": state, "since": since, "until": until}


Filters = Annotated[dict[str, Any], Depends(request_filters)]


def _load(dag_ids: set[str]) -> list[dict[str, Any]]:
    from airflow.utils.session import create_session

    with create_session() as session:
        stored = reader.load(session)
    return reader.requests(stored, dag_ids)


def build_app() -> FastAPI:
    """The app: ``/`` (the page), ``/campaigns/...`` (a campaign's page), ``/api/v1/...``."""
    app = FastAPI(title="make: requests and credits", docs_url="/api/docs", openapi_url="/api/openapi.json")

    @app.middleware("http")
    async def drop_empty_filters(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """An empty filter means "all": the page's form submits every field, filled or not."""
        pairs = parse_qsl(request.scope["query_string"].decode(), keep_blank_values=True)
        request.scope["query_string"] = urlencode([(name, value) for name, value in pairs if value]).encode()
        return await call_next(request)

    @app.get("/api/v1/requests")
    def list_requests(
        dag_ids: Allowed, filters: Filters, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        """Every request, newest first (a campaign is one, with its ``counts``)."""
        rows = reader.filtered(_load(dag_ids), **filters)
        return {"total_entries": len(rows), "requests": rows[offset : offset + limit]}

    @app.get("/api/v1/summary")
    def summary(dag_ids: Allowed, days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
        """The latest credits and per-day, per-DAG totals of the last ``days`` days."""
        rows = _load(dag_ids)
        return reader.summary(rows, days, datetime.now(timezone.utc))

    def campaign_page(
        dag_ids: set[str], dag_id: str, run_id: str, task_id: str, map_index: int, limit: int, offset: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        from airflow.utils.session import create_session

        with create_session() as session:
            found = reader.find_campaign(reader.load(session), dag_id, run_id, task_id, map_index)
            if found is None or dag_id not in dag_ids:
                raise HTTPException(404, "no such campaign")
            rows = reader.campaign_rows(session, found, limit, offset)
        [campaign] = reader.requests([found], None)
        return campaign, rows

    @app.get("/api/v1/campaigns/{dag_id}/{run_id}/{task_id}/{map_index}/rows")
    def campaign_rows(
        dag_ids: Allowed,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """A campaign's rows, in list order."""
        return campaign_page(dag_ids, dag_id, run_id, task_id, map_index, limit, offset)[1]

    @app.get("/", response_class=HTMLResponse)
    def index(dag_ids: Allowed, filters: Filters, page_number: PageNumber = 1) -> str:
        rows = _load(dag_ids)
        totals = reader.summary(rows, 30, datetime.now(timezone.utc))
        shown = reader.filtered(rows, **filters)
        return page.index(
            totals, shown, filters, sorted({row["dag_id"] for row in rows}), page_number, PAGE_ROWS, STATES
        )

    @app.get("/campaigns/{dag_id}/{run_id}/{task_id}/{map_index}", response_class=HTMLResponse)
    def campaign(
        dag_ids: Allowed,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int,
        page_number: PageNumber = 1,
    ) -> str:
        found, rows = campaign_page(
            dag_ids, dag_id, run_id, task_id, map_index, PAGE_ROWS, (page_number - 1) * PAGE_ROWS
        )
        return page.campaign(found, rows, page_number, PAGE_ROWS)

    return app
