"""The three drivers of the request pipeline behind one function, for tests parametrised over them.

``sync`` is :class:`~airflow_provider_make.client.sync_driver.MakeClient` (the hook's),
``async`` :class:`~airflow_provider_make.client.async_driver.AsyncMakeClient` (the
triggers' and the notifier's), ``campaign``
:class:`~airflow_provider_make.campaign.transport.CampaignTransport` (a campaign's sends).
Each test gets a fresh driver, closed afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import pytest

from airflow_provider_make.client.async_driver import AsyncMakeClient, loop_pool
from airflow_provider_make.client.calls import ApiCall
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.sync_driver import MakeClient

T = TypeVar("T")

#: For ``@pytest.mark.parametrize("driver", DRIVERS)``.
DRIVERS = ["sync", "async", "campaign"]


def run(driver: str, settings: ClientSettings, call: ApiCall[T]) -> T:
    """``call``'s result through ``driver`` (a new one, closed afterwards); raises what it raises."""
    if driver == "sync":
        with MakeClient(settings) as client:
            return client.request(call)
    return asyncio.run(arun(driver, settings, call))


async def arun(driver: str, settings: ClientSettings, call: ApiCall[T]) -> T:
    """:func:`run` for ``async`` and ``campaign`` on the running loop."""
    if driver == "async":
        try:
            return await AsyncMakeClient(settings).request(call)
        finally:
            await loop_pool().aclose()
    if driver == "campaign":
        from airflow_provider_make.campaign.transport import CampaignTransport

        transport = CampaignTransport(settings)
        try:
            return await transport.request(call)
        finally:
            await transport.aclose()
    raise ValueError(f"unknown driver {driver!r}")


def raised(driver: str, settings: ClientSettings, call: ApiCall[Any]) -> BaseException:
    """What ``call`` raised through ``driver``; the test fails if it returned."""
    try:
        result = run(driver, settings, call)
    except Exception as error:  # noqa: BLE001 - the test inspects whatever came out
        return error
    pytest.fail(f"{driver}: {call.label} returned {result!r} although the server's answer was unusable")
