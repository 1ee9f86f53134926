"""Each request kind as a method with the hook's signature, over a bare driver.

The client-level tests send every kind through :class:`MakeClient` or
:class:`AsyncMakeClient` with settings of their own (no Airflow connection). The
drivers take built calls (``request(calls.ring(...))``); this adapter binds the hook's
positional and keyword arguments to the builder's keywords, so those tests read like
hook calls. It adds nothing of its own: the builders and the drivers do the work.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from airflow_provider_make.client import calls
from airflow_provider_make.client.async_driver import AsyncMakeClient
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.sync_driver import MakeClient

_BUILDERS = {"get_tracking": "tracking", "get_credits": "credits"}


def _bind(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], region: str | None) -> Any:
    from airflow_provider_make.hooks.make import MakeHook  # late: importing Airflow sets up logging

    arguments = inspect.signature(getattr(MakeHook, name)).bind(None, *args, **kwargs).arguments
    arguments.pop("self")
    return getattr(calls, _BUILDERS.get(name, name))(**arguments, region=region)


class KindClient:
    """``client.ring(caller, callee)`` and the like, over one :class:`MakeClient`."""

    def __init__(self, settings: ClientSettings, session: Any = None) -> None:
        self.driver = MakeClient(settings, session)
        self.settings = settings

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def send(*args: Any, **kwargs: Any) -> Any:
            return self.driver.request(_bind(name, args, kwargs, self.settings.default_region))

        return send

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> KindClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncKindClient:
    """``await client.get_tracking(id)`` and the like, over one :class:`AsyncMakeClient`."""

    def __init__(self, settings: ClientSettings) -> None:
        self.driver = AsyncMakeClient(settings)
        self.settings = settings

    def __getattr__(self, name: str) -> Callable[..., Any]:
        async def send(*args: Any, **kwargs: Any) -> Any:
            return await self.driver.request(_bind(name, args, kwargs, self.settings.default_region))

        return send
