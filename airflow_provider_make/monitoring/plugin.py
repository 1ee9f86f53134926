"""The ``make`` Airflow plugin: a page in the UI's navigation, served by a FastAPI app at ``/make``.

Workers import plugins too, so this module imports nothing but Airflow's plugin base
(the task SDK's, which a worker has already loaded; ``airflow.plugins_manager`` costs
5 ms more): the FastAPI app is built on the first request the api-server routes to it
(:class:`LazyApp`), never in a worker.
"""

from __future__ import annotations

from typing import Any

try:
    from airflow.sdk.plugins_manager import AirflowPlugin
except ImportError:  # a task SDK without its own plugin base: Airflow's (either is accepted by name)
    from airflow.plugins_manager import AirflowPlugin  # type: ignore[assignment, unused-ignore]

#: Where the api-server mounts the app; the page's links are relative, so ``[api] base_url`` holds.
URL_PREFIX = "/make"


class LazyApp:
    """An ASGI app that builds :func:`~airflow_provider_make.monitoring.app.build_app` when first called."""

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from airflow_provider_make.monitoring.app import build_app

            self._app = build_app()
        await self._app(scope, receive, send)


class MakePlugin(AirflowPlugin):
    """Every make request and the credits left, for those allowed to read their DAGs."""

    name = "make"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "make"}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        # Relative: the UI's <base href> adds [api] base_url's path.
        {"name": "make", "href": "make/", "destination": "nav", "url_route": "make", "category": "browse"}
    ]
