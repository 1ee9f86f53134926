"""client/pipeline.py: one exchange, whichever driver carries it.

Every case runs through each driver (``sync``, ``async``, ``campaign``: tests/drivers.py)
against the real sandbox or the hostile server: a send that may have reached the API is
never sent again (spec decision 13), a read or a send that never left is tried again, a
failed TLS handshake sent nothing, no server holds a call past its total deadline nor
takes memory with a huge or bomb answer.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import Action, MakeError, MakeTransportError, action_of
from airflow_provider_make.client.pipeline import Cause, failure_of
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.tracking import SmsTracking
from airflow_provider_make.compat import AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from tests.conftest import LOGIN, PASSWORD
from tests.drivers import DRIVERS, raised, run
from tests.hostile_server import TIMEOUTS, HostileServer, hostile, hostile_settings
from tests.leaks import assert_exception_clean, assert_logs_clean, http_logs

__all__ = ["hostile", "http_logs"]  # fixtures

ROOT = Path(__file__).resolve().parent.parent
CALLER = "33612345678"
CALLEE = "33687654321"
TOTAL = TIMEOUTS["total_timeout"]
#: Extra memory a call may take, whatever the server sends.
MEMORY_LIMIT = 64 * 1024 * 1024


def sms_plus() -> calls.ApiCall[Any]:
    return calls.sms_plus(sender=CALLER, recipient=CALLEE, message="Bonjour")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------- failure_of


def test_a_tls_failure_before_the_request_was_written_is_a_failed_handshake() -> None:
    try:
        try:
            raise ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
        except ssl.SSLError as tls:
            raise httpx.ConnectError("handshake") from tls
    except httpx.ConnectError as error:
        failure = failure_of(error, Cause.CONNECT, written=False)

    assert failure.cause is Cause.TLS_HANDSHAKE
    assert failure.written is False
    assert failure.detail == "ConnectError"


def test_a_tls_failure_after_the_request_was_written_may_have_reached_the_api() -> None:
    try:
        try:
            raise ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC]")
        except ssl.SSLError:
            raise httpx.ReadError("read") from None  # suppressed, yet in the chain as its context
    except httpx.ReadError as error:
        failure = failure_of(error, Cause.BROKEN, written=True)

    assert failure.cause is Cause.TLS
    assert failure.written is True


def test_a_failure_before_connecting_was_not_written_whatever_the_driver_says() -> None:
    assert failure_of(OSError("refused"), Cause.CONNECT, written=True).written is False
    assert failure_of(OSError("reset"), Cause.BROKEN, written=True).written is True


# ----------------------------------------------------------------------------- never twice


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_send_that_never_left_is_retryable(driver: str, http_logs: pytest.LogCaptureFixture) -> None:
    settings = ClientSettings(LOGIN, PASSWORD, base_url=f"http://127.0.0.1:{closed_port()}/")

    error = raised(driver, settings, sms_plus())

    assert isinstance(error, MakeTransportError), repr(error)
    assert "could not connect" in str(error)
    assert error.may_have_been_accepted is False  # it never left: safe to retry
    assert action_of(error) is Action.RETRY
    tries = [r for r in http_logs.records if r.name == "airflow_provider_make.client.pipeline"]
    assert [("attempt 1 of 3" in tries[0].getMessage()), ("attempt 2 of 3" in tries[1].getMessage())] == [
        True,
        True,
    ]
    assert_exception_clean(error)
    assert_logs_clean(http_logs)


@pytest.mark.parametrize("mode", ["drop", "http500", "garbage"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_broken_send_is_not_resent(api, http_logs, driver: str, mode: str) -> None:
    api.fault(mode)

    error = raised(driver, ClientSettings(LOGIN, PASSWORD, base_url=api.url), sms_plus())

    assert isinstance(error, MakeTransportError), repr(error)
    assert error.may_have_been_accepted is True
    assert action_of(error) is Action.UNKNOWN
    assert "may have been accepted, so it is not sent again" in str(error)
    assert len(api.requests()) == 1  # processed (and charged) once, never repeated
    assert_exception_clean(error)
    assert_logs_clean(http_logs)


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_read_timeout_on_a_send_is_not_resent(api, http_logs, driver: str) -> None:
    api.fault("slow:2")
    settings = ClientSettings(LOGIN, PASSWORD, base_url=api.url, read_timeout=0.5)

    error = raised(driver, settings, sms_plus())

    assert isinstance(error, MakeTransportError), repr(error)
    assert "did not answer in time" in str(error)
    assert action_of(error) is Action.UNKNOWN
    assert len(api.sends()) == 1
    assert_exception_clean(error)
    assert_logs_clean(http_logs)


def test_a_dropped_send_through_the_hook_fails_the_task_without_retries(api, monkeypatch) -> None:
    api.fault("drop")
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json())
    hook = MakeHook()
    try:
        with pytest.raises(MakeTransportError) as caught:
            hook.ring(CALLER, CALLEE)
    finally:
        hook.close()

    assert isinstance(caught.value, AirflowFailException)  # retrying could ring the phone twice
    assert caught.value.may_have_been_accepted is True
    assert len(api.sends()) == 1
    assert_exception_clean(caught.value)


@pytest.mark.parametrize("driver", DRIVERS)
def test_reads_are_retried_after_a_dropped_connection(api, http_logs, driver: str) -> None:
    settings = ClientSettings(LOGIN, PASSWORD, base_url=api.url)
    sent = run("sync", settings, calls.sms(sender=CALLER, recipient=CALLEE, catalog_code="123"))
    api.advance(11)
    api.fault("drop", count=1, path="/apilog.php")
    api.fault("drop", count=1, path="/apicredits.php")

    tracking = run(driver, settings, calls.tracking(tracking_id=sent.id))
    balance = run(driver, settings, calls.credits())

    assert isinstance(tracking, SmsTracking)
    assert tracking.id == sent.id
    assert balance == 100_000 - sent.cost
    assert len(api.requests("/apilog.php")) == 2
    assert len(api.requests("/apicredits.php")) == 2
    assert "pwd=" in api.requests("/apicredits.php")[0]["query"]  # the URL the libraries saw had it
    assert len(api.sends()) == 1
    assert_logs_clean(http_logs)


# ----------------------------------------------------------------------------- TLS


@pytest.mark.parametrize("mode", ["tls_garbage", "tls_close"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_failed_tls_handshake_sent_nothing_so_it_is_retried(
    hostile: HostileServer, driver: str, mode: str
) -> None:
    hostile.answer(mode)

    error = raised(driver, hostile_settings(hostile.https_url), sms_plus())

    assert isinstance(error, MakeTransportError), repr(error)
    assert "TLS handshake" in str(error)
    assert action_of(error) is Action.RETRY  # nothing is written before the handshake completes
    assert hostile.connections == 3  # tried 3 times by the client, then Airflow's retries apply
    assert hostile.requests == []


# ----------------------------------------------------------------------------- time


def within(
    driver: str, settings: ClientSettings, call: calls.ApiCall[Any], limit: float
) -> tuple[bool, float, object]:
    """Run ``call`` in a thread; (finished in time, seconds taken, result or exception)."""
    outcome: list[object] = []
    started = time.monotonic()

    def target() -> None:
        try:
            outcome.append(run(driver, settings, call))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=limit)
    return not thread.is_alive(), time.monotonic() - started, outcome[0] if outcome else None


@pytest.mark.parametrize("mode", ["trickle_headers", "trickle_body"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_trickling_server_cannot_hold_a_call_past_its_total_deadline(
    hostile: HostileServer, driver: str, mode: str
) -> None:
    hostile.answer(mode, interval=1.0, max_bytes=60)  # 1 byte/s: no read ever times out
    limit = TOTAL + 2

    try:
        finished, seconds, outcome = within(driver, hostile_settings(hostile.url), sms_plus(), limit + 1)
    finally:
        hostile.stop()  # ends the trickle, so a call still running stops soon after

    assert finished, f"{driver} was still running {limit + 1:.0f} s into a {mode} (total_timeout={TOTAL})"
    assert seconds < limit, f"{driver} took {seconds:.1f} s against a {mode} (total_timeout={TOTAL})"
    assert isinstance(outcome, MakeTransportError), f"{driver} gave {outcome!r}"
    assert action_of(outcome) is Action.UNKNOWN  # the request was written: never sent again
    assert len(hostile.requests) == 1


# ----------------------------------------------------------------------------- memory

#: Runs one call in a fresh interpreter and prints what it raised and the memory it took:
#: the peak resident size (reset once every import is done) less the resident size then.
#: RLIMIT_AS is only a safety net for the machine (2 GiB above the start), not the measure.
CHILD = r"""
import json, os, resource, sys, time

def statm(field):
    with open("/proc/self/statm") as f:
        return int(f.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")

import defusedxml.ElementTree, gzip, h11, httpx, requests, zlib  # noqa: imported before measuring
from airflow_provider_make.campaign import transport  # noqa: imported before measuring
from airflow_provider_make.compat import Stats  # noqa: the metrics' backend, loaded with Airflow in a worker
from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import Action, MakeTransportError, action_of
from tests.drivers import run
from tests.hostile_server import hostile_settings

base_url, driver, call = sys.argv[1:4]
made = (
    calls.sms_plus(sender="33612345678", recipient="33687654321", message="hi")
    if call == "sms_plus"
    else calls.tracking(tracking_id="abc123")
)
_, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (statm(0) + (2 << 30), hard))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak resident size starts again from the current one

def peak():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

before = statm(1)
started = time.monotonic()
out = {"raised": None}
try:
    run(driver, hostile_settings(base_url), made)
except BaseException as error:
    out.update(
        raised=type(error).__name__,
        transport_error=isinstance(error, MakeTransportError),
        unknown=action_of(error) is Action.UNKNOWN,
        message=str(error)[:300],
    )
out.update(
    extra_bytes=peak() - before,
    seconds=round(time.monotonic() - started, 1),
)
print("RESULT " + json.dumps(out), flush=True)
"""


def run_in_child(*arguments: str, timeout: float = 60) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *arguments],
            env=dict(os.environ),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{arguments} was still running after {timeout:.0f} s")
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        pytest.fail(f"{arguments}: the child died (exit {done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


@pytest.mark.parametrize("mode", ["huge", "gzip_bomb"])
@pytest.mark.parametrize("call", ["sms_plus", "tracking"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_a_huge_answer_or_a_gzip_bomb_is_refused_in_bounded_memory(
    hostile: HostileServer, driver: str, call: str, mode: str
) -> None:
    hostile.answer(mode)

    result = run_in_child(hostile.url, driver, call)

    extra_mib = result["extra_bytes"] / 2**20
    assert result["raised"] is not None, f"{driver} {call} accepted a {mode} answer: {result}"
    assert result["transport_error"], f"{driver} {call} raised {result['raised']}: {result}"
    assert result["extra_bytes"] < MEMORY_LIMIT, f"{driver} {call} took {extra_mib:.0f} MiB on a {mode}"
    if call == "sms_plus":
        assert result["unknown"] is True, result
        assert len(hostile.requests) == 1  # a send that may have been accepted is never repeated


def test_every_failure_is_a_make_error_never_a_library_exception(hostile: HostileServer) -> None:
    """The drivers' contract with the pipeline: whatever breaks, a MakeError comes out."""
    hostile.answer("status:302", location="http://example.com/")
    for driver in DRIVERS:
        error = raised(driver, hostile_settings(hostile.url), calls.credits())
        assert isinstance(error, MakeError), f"{driver}: {error!r}"
        assert "redirect, which is never followed" in str(error)
