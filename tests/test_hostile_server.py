"""Issue 7: no server can break a request, whatever it sends and however slowly.

Each test puts :class:`tests.hostile_server.HostileServer` behind the ``make_default``
connection and drives the public surface (``MakeHook``, ``MakeTrackingTrigger``,
``MakeSmsNotifier``) the way a DAG does: a 200 MB answer or a gzip bomb must not take
memory, a trickling server must not hold a call past the connection's ``total_timeout``,
a proxy must never see a request (the password travels in the query string), nothing the
server echoes may carry the password out, and answers are read strictly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, quote_plus

import pytest

from airflow_provider_make.client.errors import MakeError, MakeTransportError
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from airflow_provider_make.notifications.make import MakeSmsNotifier
from airflow_provider_make.triggers.make import MakeTrackingTrigger
from tests.hostile_server import HostileServer

ROOT = Path(__file__).resolve().parent.parent

LOGIN = "ops@example.com"
#: Non-ASCII, with characters URL-encoding changes: every form of it is distinct.
PASSWORD = "pässwörd+1/é"
CALLER = "33612345678"
CALLEE = "33687654321"
TRACKING_ID = "abc123"
#: The connection's timeouts in every test; ``total_timeout`` is the whole exchange's deadline.
TIMEOUTS: dict[str, float] = {"connect_timeout": 2, "read_timeout": 3, "total_timeout": 4}
TOTAL = TIMEOUTS["total_timeout"]
#: Extra memory a call may take, whatever the server sends.
MEMORY_LIMIT = 64 * 1024 * 1024
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


# ----------------------------------------------------------------------------- answers


def xml(*fields: tuple[str, str]) -> str:
    """A ``<response>`` with the given children in order (duplicates allowed)."""
    children = "".join(f"<{name}>{value}</{name}>" for name, value in fields)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<response>{children}</response>\n'


def send_fields(**changes: str) -> list[tuple[str, str]]:
    """An accepted makeSms+ (result code 38), with some fields changed."""
    fields = {"result": "success", "cost": "10", "credits": "90", "id": TRACKING_ID, "result_code": "38"}
    fields.update(changes)
    return list(fields.items())


def sms_plus_tracking(tracking_id: str = TRACKING_ID, **changes: str) -> list[tuple[str, str]]:
    """A makeSms+ tracking log, sent and followed up, with some fields changed."""
    fields = {
        "result": "success",
        "make": "sms+",
        "id": tracking_id,
        "date_created": "65f0a000",
        "from": CALLER,
        "to": CALLEE,
        "insec": "0",
        "date_executed": "65f0a00a",
        "content": "hi",
        "x_date_executed": "65f0a01e",
    }
    fields.update(changes)
    return list(fields.items())


SEND_OK = xml(*send_fields())
TRACKING_OK = xml(*sms_plus_tracking())
CREDITS_OK = xml(("result", "success"), ("login", LOGIN), ("credits", "90"))


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxy variables of the machine running the tests do not apply."""
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


def use_connection(
    monkeypatch: pytest.MonkeyPatch, base_url: str, password: str = PASSWORD, **extra: float
) -> None:
    """``make_default`` on ``base_url``, the way users configure it: an env var."""
    conn = {
        "conn_type": "make",
        "host": base_url,
        "login": LOGIN,
        "password": password,
        "extra": {**TIMEOUTS, **extra},
    }
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))


def close(hook: MakeHook) -> None:
    closer = getattr(hook, "close", None)
    if callable(closer):
        closer()


def sync_call(action: Callable[[MakeHook], object]) -> object:
    hook = MakeHook(make_conn_id="make_default")
    try:
        return action(hook)
    finally:
        close(hook)


def send(hook: MakeHook) -> object:
    return hook.sms_plus(CALLER, CALLEE, "hi")


def read_tracking(hook: MakeHook) -> object:
    return hook.get_tracking(TRACKING_ID)


def read_credits(hook: MakeHook) -> object:
    return hook.get_credits()


async def aread_tracking() -> object:
    return await MakeHook(make_conn_id="make_default").aget_tracking(TRACKING_ID)


async def asend() -> None:
    """makeSms+ on the event loop, through the public async path (the notifier)."""
    notifier = MakeSmsNotifier(sender=CALLER, recipient=CALLEE, message="hi")
    await notifier.async_notify(cast(Any, {}))


SYNC_CALLS: dict[str, Callable[[MakeHook], object]] = {
    "sms_plus": send,
    "get_tracking": read_tracking,
    "get_credits": read_credits,
}
ASYNC_CALLS: dict[str, Callable[[], Awaitable[object]]] = {
    "aget_tracking": aread_tracking,
    "async_notify": asend,
}


def raised_by(name: str) -> BaseException:
    """Run the named call (sync or async) and return what it raised; fail if nothing."""
    try:
        if name in SYNC_CALLS:
            sync_call(SYNC_CALLS[name])
        else:
            asyncio.run(cast(Any, ASYNC_CALLS[name]()))
    except Exception as error:  # noqa: BLE001 - the test inspects whatever came out
        return error
    pytest.fail(f"{name} returned although the server's answer was unusable")


# ----------------------------------------------------------------------------- 1. memory

#: Runs one call in a fresh interpreter and prints what it raised and the memory it took.
#: The baseline is the current resident size after every import (not the peak so far), the
#: result the peak resident size: an honest upper bound of the extra memory. RLIMIT_AS is
#: only a safety net for the machine (2 GiB above the start), not the measure.
CHILD = r"""
import asyncio, json, os, resource, sys, time

def statm(field):
    with open("/proc/self/statm") as f:
        return int(f.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")

import defusedxml.ElementTree, gzip, httpx, requests, zlib  # noqa: imported before measuring
from airflow_provider_make.client.errors import MakeError, MakeTransportError
from airflow_provider_make.hooks.make import MakeHook

call = sys.argv[1]
hook = MakeHook(make_conn_id="make_default")
_, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (statm(0) + (2 << 30), hard))
before = statm(1)
started = time.monotonic()
out = {"raised": None}
try:
    if call == "sms_plus":
        hook.sms_plus("33612345678", "33687654321", "hi")
    elif call == "get_tracking":
        hook.get_tracking("abc123")
    else:
        asyncio.run(hook.aget_tracking("abc123"))
except BaseException as error:
    out.update(
        raised=type(error).__name__,
        make_error=isinstance(error, MakeError),
        transport_error=isinstance(error, MakeTransportError),
        may_have_been_accepted=getattr(error, "may_have_been_accepted", None),
        message=str(error)[:300],
    )
out.update(
    extra_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before,
    seconds=round(time.monotonic() - started, 1),
)
print("RESULT " + json.dumps(out), flush=True)
"""


def run_in_child(call: str, timeout: float = 60) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, call],
            env=dict(os.environ),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} was still running after {timeout:.0f} s")
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        pytest.fail(f"{call}: the child died (exit {done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


@pytest.mark.parametrize("mode", ["huge", "gzip_bomb"])
@pytest.mark.parametrize("call", ["sms_plus", "get_tracking", "aget_tracking"])
def test_a_huge_answer_or_a_gzip_bomb_is_refused_in_bounded_memory(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, mode: str, call: str
) -> None:
    hostile.answer(mode)
    use_connection(monkeypatch, hostile.url)

    result = run_in_child(call)

    extra_mib = result["extra_bytes"] / 2**20
    assert result["raised"] is not None, f"{call} accepted a {mode} answer: {result}"
    assert result["transport_error"], f"{call} raised {result['raised']}, not a MakeTransportError: {result}"
    assert result["extra_bytes"] < MEMORY_LIMIT, f"{call} took {extra_mib:.0f} MiB on a {mode}: {result}"
    if call == "sms_plus":
        assert result["may_have_been_accepted"] is True, result
        assert len(hostile.requests) == 1  # a send that may have been accepted is never repeated


# ----------------------------------------------------------------------------- 2. time


def sync_within(action: Callable[[MakeHook], object], limit: float) -> tuple[bool, float, object]:
    """Run ``action`` in a thread; (finished in time, seconds taken, result or exception)."""
    outcome: list[object] = []
    started = time.monotonic()

    def target() -> None:
        try:
            outcome.append(sync_call(action))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=limit)
    return not thread.is_alive(), time.monotonic() - started, outcome[0] if outcome else None


async def async_within(call: Callable[[], Awaitable[object]], limit: float) -> tuple[bool, float, object]:
    started = time.monotonic()
    try:
        result: object = await asyncio.wait_for(call(), timeout=limit)
    except asyncio.TimeoutError:
        return False, time.monotonic() - started, None
    except Exception as error:  # noqa: BLE001 - reported to the test
        result = error
    return True, time.monotonic() - started, result


@pytest.mark.parametrize("mode", ["trickle_headers", "trickle_body"])
@pytest.mark.parametrize("call", ["sms_plus", "get_tracking", "aget_tracking"])
def test_a_trickling_server_cannot_hold_a_call_past_its_total_deadline(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, mode: str, call: str
) -> None:
    hostile.answer(mode, interval=1.0, max_bytes=60)  # 1 byte/s: no read ever times out
    use_connection(monkeypatch, hostile.url)
    limit = TOTAL + 2

    try:
        if call == "aget_tracking":
            finished, seconds, outcome = asyncio.run(async_within(aread_tracking, limit + 1))
        else:
            finished, seconds, outcome = sync_within(SYNC_CALLS[call], limit + 1)
    finally:
        hostile.stop()  # ends the trickle, so a call still running stops soon after

    assert finished, f"{call} was still running {limit + 1:.0f} s into a {mode} (total_timeout={TOTAL})"
    assert seconds < limit, f"{call} took {seconds:.1f} s against a {mode} (total_timeout={TOTAL})"
    assert isinstance(outcome, MakeError), f"{call} gave {outcome!r}"
    if call == "sms_plus":
        assert isinstance(outcome, MakeTransportError)
        assert outcome.may_have_been_accepted is True


@pytest.mark.parametrize(
    "timeouts",
    [
        pytest.param(TIMEOUTS, id="total_timeout-beyond-end_time"),
        pytest.param({"connect_timeout": 2, "read_timeout": 10, "total_timeout": 20}, id="long-timeouts"),
    ],
)
def test_a_trigger_fires_by_its_end_time_while_a_request_hangs(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, timeouts: dict[str, float]
) -> None:
    hostile.answer("trickle_headers", interval=1.0, max_bytes=60)
    use_connection(monkeypatch, hostile.url, **timeouts)
    wait, poll_interval = 3.0, 1.0
    started = time.time()
    trigger = MakeTrackingTrigger(
        tracking_id=TRACKING_ID,
        make_conn_id="make_default",
        end_time=started + wait,
        poll_interval=poll_interval,
    )
    limit = wait + poll_interval + 1

    async def first_event() -> dict[str, Any]:
        events = trigger.run()
        try:
            event = await events.__anext__()
        finally:
            await events.aclose()
        payload: dict[str, Any] = event.payload
        return payload

    try:
        finished, seconds, event = asyncio.run(async_within(first_event, limit + 1))
    finally:
        hostile.stop()

    assert finished, f"no event {limit + 1:.0f} s after starting a trigger ending in {wait:.0f} s"
    assert seconds < limit, f"the event came {seconds:.1f} s after the start (end_time: {wait:.0f} s)"
    assert isinstance(event, dict), event
    assert event["status"] != "success", event


# ----------------------------------------------------------------------------- 3. proxy


def test_a_request_to_any_loopback_address_never_goes_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with HostileServer("127.0.0.1") as proxy, HostileServer("127.0.0.2") as api:
        proxy.answer("status:502")
        api.answer("xml:" + TRACKING_OK, path="/apilog.php")
        api.answer("xml:" + SEND_OK, path="/apimakesmsplus.php")
        api.answer("xml:" + CREDITS_OK, path="/apicredits.php")
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, proxy.url)
        use_connection(monkeypatch, api.url)  # http://127.0.0.2:PORT/: loopback, plain HTTP allowed

        proxied: dict[str, list[str]] = {}
        calls: dict[str, Callable[[], object]] = {
            "sync sms_plus": lambda: sync_call(send),
            "sync get_credits": lambda: sync_call(read_credits),
            "sync get_tracking": lambda: sync_call(read_tracking),
            "async aget_tracking": lambda: asyncio.run(cast(Any, aread_tracking())),
            "async notifier (makeSms+)": lambda: asyncio.run(asend()),
        }
        for name, call in calls.items():
            seen = len(proxy.requests)
            with contextlib.suppress(MakeError):  # what the call returns does not matter here
                call()
            # The paths only: the query would hold the password.
            paths = [received.path for received in proxy.requests[seen:]]
            if paths:
                proxied[name] = paths

        assert proxied == {}, f"sent through the proxy (the password in clear): {proxied}"
        assert [received.path for received in api.requests] == [
            "/apimakesmsplus.php",
            "/apicredits.php",
            "/apilog.php",
            "/apilog.php",
            "/apimakesmsplus.php",
        ]


# ----------------------------------------------------------------------------- 4. echoes


def password_forms(secret: str) -> set[str]:
    """The password as the server may echo it and as the HTTP libraries may show it."""
    utf8, latin1 = secret.encode("utf-8"), secret.encode("latin-1")
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        quote_plus(secret),
        utf8.decode("latin-1"),  # 'pÃ¤sswÃ¶rd+1/Ã©': its UTF-8 bytes read as latin-1
        repr(utf8)[2:-1],  # how httpcore's debug lines show the bytes
        repr(latin1)[2:-1],
    }
    return forms | {form.lower() for form in forms if "%" in form}


FORMS = sorted(password_forms(PASSWORD), key=len, reverse=True)


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def exception_texts(error: BaseException) -> Iterable[str]:
    yield "".join(traceback.format_exception(error))
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record down to DEBUG, the HTTP libraries' included."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.parametrize("call", ["sms_plus", "get_credits", "async_notify"])
def test_nothing_the_server_echoes_carries_the_password_out(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, all_logs: pytest.LogCaptureFixture, call: str
) -> None:
    hostile.answer("reason_echo")  # HTTP 500 <the pwd in every form>, and a header and body echoing it
    use_connection(monkeypatch, hostile.url)

    error = raised_by(call)

    assert isinstance(error, MakeError), repr(error)
    found = {form for text in exception_texts(error) for form in leaks(text)}
    assert not found, f"{call}: password form(s) {sorted(found)} in the exception: {error}"
    for record in all_logs.records:
        logged = leaks(record.getMessage()) + leaks(repr(record.args))
        assert not logged, f"{call}: password form(s) {logged} logged by {record.name}"
    assert len(hostile.requests) >= 1  # the echo was really served


# ----------------------------------------------------------------------------- 5. strict answers


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            [*send_fields(), ("result", "failed"), ("result_code", "0")], id="success-then-failed-retryable"
        ),
        pytest.param([*send_fields(), ("id", "zzz999")], id="two-ids"),
    ],
)
def test_a_send_answer_with_a_duplicated_element_is_unknown_fate_never_retried(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, answer: list[tuple[str, str]]
) -> None:
    hostile.answer("xml:" + xml(*answer))
    use_connection(monkeypatch, hostile.url)

    with pytest.raises(MakeTransportError) as caught:
        sync_call(send)

    assert caught.value.may_have_been_accepted is True
    assert isinstance(caught.value, AirflowFailException)  # the task must not send it again
    assert len(hostile.requests) == 1


@pytest.mark.parametrize("call", ["get_tracking", "aget_tracking"])
def test_a_tracking_answer_for_another_id_is_an_error(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    hostile.answer("xml:" + xml(*sms_plus_tracking(tracking_id="zzz999")))
    use_connection(monkeypatch, hostile.url)

    error = raised_by("aget_tracking" if call == "aget_tracking" else "get_tracking")

    assert isinstance(error, MakeError), repr(error)
    assert isinstance(error, AirflowException)


@pytest.mark.parametrize("zero", ["00000000", "00"])
def test_a_zero_date_executed_in_any_spelling_means_not_sent_yet(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, zero: str
) -> None:
    answer = sms_plus_tracking(date_executed=zero, x_date_executed=zero)
    hostile.answer("xml:" + xml(*answer))
    use_connection(monkeypatch, hostile.url)

    assert sync_call(lambda hook: hook.poll_tracking(TRACKING_ID)) is None


@pytest.mark.parametrize(
    "date",
    [
        pytest.param("-10", id="negative"),
        pytest.param("1_0", id="underscore"),
        pytest.param("١٠", id="arabic-indic-digits"),
        pytest.param("１０", id="fullwidth-digits"),
    ],
)
@pytest.mark.parametrize("name", ["date_created", "date_executed"])
def test_a_malformed_tracking_date_is_an_error(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, name: str, date: str
) -> None:
    hostile.answer("xml:" + xml(*sms_plus_tracking(**{name: date})))
    use_connection(monkeypatch, hostile.url)

    with pytest.raises(MakeError):
        sync_call(read_tracking)


#: Numbers that int() reads but the API never writes.
MALFORMED_NUMBERS = {"negative": "-10", "underscore": "1_0", "arabic-indic-digits": "١٠"}
NUMBERS = [pytest.param(value, id=key) for key, value in MALFORMED_NUMBERS.items()]
#: In a send answer; result_code spells 38 (success) so that only its spelling is wrong.
SEND_NUMBERS = [
    *(
        pytest.param(name, value, id=f"{name}-{key}")
        for name in ("cost", "credits")
        for key, value in MALFORMED_NUMBERS.items()
    ),
    pytest.param("result_code", "3_8", id="result_code-underscore"),
    pytest.param("result_code", "٣٨", id="result_code-arabic-indic-digits"),
]


@pytest.mark.parametrize(("name", "number"), SEND_NUMBERS)
def test_a_malformed_number_in_a_send_answer_is_unknown_fate_never_retried(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, name: str, number: str
) -> None:
    hostile.answer("xml:" + xml(*send_fields(**{name: number})))
    use_connection(monkeypatch, hostile.url)

    with pytest.raises(MakeTransportError) as caught:
        sync_call(send)

    assert caught.value.may_have_been_accepted is True
    assert isinstance(caught.value, AirflowFailException)
    assert len(hostile.requests) == 1


@pytest.mark.parametrize("number", NUMBERS)
def test_a_malformed_credits_balance_is_an_error(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, number: str
) -> None:
    hostile.answer("xml:" + xml(("result", "success"), ("login", LOGIN), ("credits", number)))
    use_connection(monkeypatch, hostile.url)

    with pytest.raises(MakeError):
        sync_call(read_credits)


# ----------------------------------------------------------------------------- 6. TLS


@pytest.mark.parametrize("mode", ["tls_garbage", "tls_close"])
def test_a_failed_tls_handshake_sent_nothing_so_retries_apply_in_sync_and_async_alike(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    hostile.answer(mode)
    use_connection(monkeypatch, hostile.https_url)

    seen: dict[str, tuple[bool | None, bool, int]] = {}
    for name in ("sms_plus", "async_notify"):
        before = hostile.connections
        error = raised_by(name)
        accepted = error.may_have_been_accepted if isinstance(error, MakeTransportError) else None
        fails_the_task = isinstance(error, AirflowFailException)
        seen[name] = (accepted, fails_the_task, hostile.connections - before)

    # (may_have_been_accepted, fails without retry, TCP connections the server got): nothing
    # is written before the handshake completes, so the client tries 3 times, then Airflow's
    # retries apply.
    assert seen == {"sms_plus": (False, False, 3), "async_notify": (False, False, 3)}
    assert hostile.requests == []
