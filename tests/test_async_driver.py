"""client/async_driver.py: AsyncMakeClient (the triggers' and the notifier's) over the real sandbox.

Same wire format, same parsing, same errors as the sync driver; its loop pool. What every
driver does is tested once for all in test_pipeline.py.

No pytest-asyncio here: each test runs its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.answers import SendResult
from airflow_provider_make.client.async_driver import AsyncMakeClient, loop_pool
from airflow_provider_make.client.errors import (
    Action,
    MakeAuthError,
    MakeCreditError,
    MakeInvalidArgumentError,
    MakeServiceError,
    MakeTrackingNotReadyError,
    MakeTrackingUnknownError,
    MakeValidationError,
    action_of,
)
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.tracking import SmsPlusTracking, SmsTracking
from airflow_provider_make.compat import AirflowException
from airflow_provider_make.hooks.make import MakeHook
from tests.conftest import LOGIN, PASSWORD, POOR_LOGIN
from tests.kinds import AsyncKindClient, KindClient
from tests.leaks import assert_clean, frame_locals

CALLER = "33612345678"
CALLEE = "33687654321"

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run one coroutine in a fresh loop, closing the loop's shared httpx client afterwards."""

    async def main() -> T:
        try:
            return await make()
        finally:
            await loop_pool().aclose()

    return asyncio.run(main())


def async_client(api, login: str = LOGIN, password: str = PASSWORD, **settings: Any) -> AsyncKindClient:
    return AsyncKindClient(ClientSettings(login, password, base_url=api.url, **settings))


# ----------------------------------------------------------------------------- happy paths


def test_sms_plus_goes_out_like_the_sync_client(api):
    result = run(
        lambda: async_client(api).sms_plus("+33 6 12 34 56 78", "0033687654321", "Bonjour comment ca va ?")
    )

    assert isinstance(result, SendResult)
    assert result.kind is RequestKind.SMS_PLUS
    assert result.result_code == 38
    assert type(result.cost) is int
    assert result.cost == 10
    assert result.credits == 100_000 - 10
    (sent,) = api.sends()
    assert sent["path"] == "/apimakesmsplus.php"
    assert sent["query"] == (
        "login=ops@example.com&pwd=p%40ss+w%26rd%2B1%2F%C3%A9&from=33612345678&to=33687654321"
        "&msg=Bonjour+comment+ca+va+%3F"
    )
    assert sent["id"] == result.id


def test_sms_plus_with_delay_and_transliteration(api):
    result = run(
        lambda: async_client(api).sms_plus(CALLER, CALLEE, "C’est prêt", delay_seconds=60, transliterate=True)
    )

    assert result.result_code == 39
    (sent,) = api.sends()
    assert sent["query"].endswith("&msg=C%27est+pret&insec=60")


def test_wire_format_matches_the_sync_client(api):
    run(lambda: async_client(api).sms_plus(CALLER, CALLEE, "50% & +1 = ok?", delay_seconds=5))
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url)) as client:
        client.sms_plus(CALLER, CALLEE, "50% & +1 = ok?", delay_seconds=5)

    first, second = api.sends()
    assert first["path"] == second["path"]
    assert first["query"] == second["query"]


def test_get_tracking(api):
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url)) as client:
        sent = client.sms(CALLER, CALLEE, "900")
    api.advance(11)

    tracking = run(lambda: async_client(api).get_tracking(sent.id))

    assert type(tracking) is SmsTracking
    assert tracking.id == sent.id
    assert tracking.content == "On se prend un cafe ?"
    assert tracking.sent_at is not None
    assert tracking.sent_at.utcoffset().total_seconds() == 0
    received = api.requests("/apilog.php")
    assert [r["query"] for r in received] == [f"id={sent.id}"]


def test_sms_plus_then_tracking_in_one_loop(api):
    async def scenario() -> tuple[SendResult, SmsPlusTracking]:
        client = async_client(api)
        sent = await client.sms_plus(CALLER, CALLEE, "coucou l'ami")
        await asyncio.to_thread(api.advance, 400)
        return sent, await client.get_tracking(sent.id)

    sent, tracking = run(scenario)

    assert type(tracking) is SmsPlusTracking
    assert tracking.id == sent.id
    assert tracking.content == "coucou l'ami"
    assert tracking.is_finished
    assert tracking.follow_up_sent_at is not None


def test_the_hook_async_methods(slow_api, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", slow_api.conn_json())
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=slow_api.url)) as client:
        sent = client.sms_plus(CALLER, CALLEE, "Bonjour")

    async def scenario() -> tuple[Any, Any]:
        hook = MakeHook()
        try:
            await hook.aget_tracking(sent.id)
        except MakeTrackingNotReadyError as error:
            too_early: Any = error
        await asyncio.to_thread(slow_api.advance, 10.5)
        return too_early, await hook.aget_tracking(sent.id)

    too_early, tracking = run(scenario)
    assert isinstance(too_early, AirflowException) and too_early.result_code == 112
    assert isinstance(tracking, SmsPlusTracking)
    assert tracking.id == sent.id
    assert [r["result_code"] for r in slow_api.requests("/apilog.php")] == [112, None]


# ----------------------------------------------------------------------------- the shared client


def test_the_loop_pool_is_one_per_loop():
    async def twice() -> tuple[object, object]:
        first, second = loop_pool(), loop_pool()
        await first.aclose()
        return first, second

    first, second = asyncio.run(twice())
    assert first is second


def test_the_loop_pool_is_shared_by_calls_in_one_loop(api):
    async def scenario() -> tuple[list[httpx.AsyncClient], list[httpx.AsyncClient]]:
        await async_client(api).sms_plus(CALLER, CALLEE, "un")
        before = [shard.client for shard in loop_pool().shards[False]]
        await async_client(api).sms_plus(CALLER, CALLEE, "deux")
        after = [shard.client for shard in loop_pool().shards[False]]
        await loop_pool().aclose()
        return before, after

    before, after = asyncio.run(scenario())
    assert before == after and all(isinstance(client, httpx.AsyncClient) for client in before)
    assert len(before) * 4 == 16  # MAX_IN_FLIGHT connections, in small pools
    assert len(api.sends()) == 2


def test_a_new_loop_gets_a_new_pool():
    async def one() -> object:
        pool = loop_pool()
        await pool.aclose()
        return pool

    assert asyncio.run(one()) is not asyncio.run(one())


def test_a_closed_pool_opens_new_clients(api):
    async def scenario() -> None:
        await async_client(api).sms_plus(CALLER, CALLEE, "un")
        await loop_pool().aclose()
        await async_client(api).sms_plus(CALLER, CALLEE, "deux")
        await loop_pool().aclose()

    asyncio.run(scenario())
    assert len(api.sends()) == 2


def test_the_loop_pool_needs_a_running_loop():
    with pytest.raises(RuntimeError):
        loop_pool()


# ----------------------------------------------------------------------------- errors


def test_validation_error_sends_nothing(api):
    with pytest.raises(MakeValidationError) as caught:
        run(lambda: async_client(api).sms_plus(CALLER, CALLEE, "Prix: 5€"))

    assert caught.value.argument == "message"
    assert "'€' (U+20AC)" in str(caught.value)
    assert "position 8" in str(caught.value)
    with pytest.raises(MakeValidationError) as caught:
        run(lambda: async_client(api).get_tracking("abc def"))
    assert caught.value.argument == "tracking_id"
    assert api.requests() == []


def test_unknown_tracking_id(api):
    with pytest.raises(MakeTrackingUnknownError) as caught:
        run(lambda: async_client(api).get_tracking("abcdefghijkl15"))

    assert caught.value.result_code == 110
    assert action_of(caught.value) is Action.LOST
    assert len(api.requests("/apilog.php")) == 1


def test_tracking_too_early(slow_api):
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=slow_api.url)) as client:
        sent = client.sms_plus(CALLER, CALLEE, "Bonjour")

    with pytest.raises(MakeTrackingNotReadyError) as caught:
        run(lambda: async_client(slow_api).get_tracking(sent.id))
    assert caught.value.result_code == 112
    assert action_of(caught.value) is Action.WAIT

    slow_api.advance(11)
    assert run(lambda: async_client(slow_api).get_tracking(sent.id)).id == sent.id


def test_wrong_password(api):
    with pytest.raises(MakeAuthError) as caught:
        run(lambda: async_client(api, password="wrong").sms_plus(CALLER, CALLEE, "Bonjour"))

    assert caught.value.result_code == 101


def test_insufficient_credit(api):
    with pytest.raises(MakeCreditError) as caught:
        run(lambda: async_client(api, login=POOR_LOGIN).sms_plus(CALLER, CALLEE, "Bonjour"))

    assert caught.value.result_code == 102
    assert api.credits_of(POOR_LOGIN) == 3


@pytest.mark.parametrize(
    ("code", "cls", "action"),
    [
        (0, MakeServiceError, Action.RETRY),
        (111, MakeServiceError, Action.RETRY),
        (555, MakeServiceError, Action.RETRY),
        (104, MakeInvalidArgumentError, Action.FIX_REQUEST),
        (109, MakeInvalidArgumentError, Action.FIX_REQUEST),
    ],
)
def test_failed_answers_raise_the_same_classes(api, code, cls, action):
    api.fault(f"code:{code}")
    with pytest.raises(cls) as caught:
        run(lambda: async_client(api).sms_plus(CALLER, CALLEE, "Bonjour"))

    assert type(caught.value) is cls
    assert caught.value.result_code == code
    assert action_of(caught.value) is action
    assert f"result code {code}" in str(caught.value)
    assert len(api.sends()) == 1


def test_a_cancelled_request_leaves_no_url_in_any_frame(api):
    async def main() -> BaseException:
        api.fault("slow:3", path="/apicredits.php")
        task = asyncio.ensure_future(
            AsyncMakeClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url)).request(calls.credits())
        )
        await asyncio.sleep(0.5)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as cancelled:
            return cancelled
        raise AssertionError("the request was not cancelled")

    for text in frame_locals(asyncio.run(main())):
        assert_clean(text)
