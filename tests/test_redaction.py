"""client/redaction.py: the password shows nowhere, in any encoding, whatever a server echoes.

Not in exceptions, tracebacks, reprs, nor in anything logged, the HTTP libraries' own
loggers included, in this process or in a fresh one with the deployment's own logging.
"""

from __future__ import annotations

import asyncio
import html
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import MakeError, MakeTransportError
from airflow_provider_make.client.redaction import secret_forms
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from tests import hostile_server
from tests.conftest import LOGIN, PASSWORD
from tests.drivers import DRIVERS, raised, run
from tests.hostile_server import HostileServer, hostile, hostile_settings
from tests.kinds import AsyncKindClient, KindClient
from tests.leaks import (
    assert_clean,
    assert_exception_clean,
    assert_logs_clean,
    exception_texts,
    forms_of,
    http_logs,
    leaks,
    lower_hex,
)

__all__ = ["hostile", "http_logs"]  # fixtures

ROOT = Path(__file__).resolve().parent.parent
CALLER = "33612345678"
CALLEE = "33687654321"
HOSTILE_FORMS = forms_of(hostile_server.PASSWORD)


def sms_plus() -> calls.ApiCall[Any]:
    return calls.sms_plus(sender=CALLER, recipient=CALLEE, message="hi")


def hook_exception(monkeypatch, conn_json: str, action) -> BaseException:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", conn_json)
    hook = MakeHook()
    try:
        with pytest.raises(MakeError) as caught:
            action(hook)
    finally:
        hook.close()
    return caught.value


def test_the_package_knows_the_usual_forms():
    package = secret_forms(PASSWORD)
    for form in (PASSWORD, quote_plus(PASSWORD, safe=""), quote(PASSWORD, safe=""), html.escape(PASSWORD)):
        assert form in package
        assert lower_hex(form) in package


# ----------------------------------------------------------------------------- what a server echoes


@pytest.mark.parametrize("call", ["sms_plus", "credits"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_nothing_the_server_echoes_carries_the_password_out(
    hostile: HostileServer, http_logs: pytest.LogCaptureFixture, driver: str, call: str
) -> None:
    hostile.answer("reason_echo")  # HTTP 500 <the pwd in every form>, and a header and body echoing it
    made = sms_plus() if call == "sms_plus" else calls.credits()

    error = raised(driver, hostile_settings(hostile.url), made)

    assert isinstance(error, MakeTransportError), repr(error)
    assert "HTTP 500" in str(error)
    found = {form for text in exception_texts(error) for form in leaks(text, HOSTILE_FORMS)}
    assert not found, f"{driver}: password form(s) {sorted(found)} in the exception: {error}"
    assert_logs_clean(http_logs, HOSTILE_FORMS)
    assert len(hostile.requests) >= 1  # the echo was really served


#: In a fresh interpreter whose logging shows everything (httpx's request lines included), a
#: server echoing the password in its reason phrase (in UTF-8 and in Latin-1) is asked through
#: the hook (sync driver), the async driver (the triggers' and the notifier's) and a campaign's
#: transport; each prints what it raised.
ECHO_SCRIPT = """
import asyncio, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
logging.getLogger("httpx").setLevel(logging.INFO)  # a deployment that asks for httpx's request lines
from airflow_provider_make.client import calls
from tests.drivers import run
from tests.hostile_server import hostile_settings

base_url, driver = sys.argv[1:3]
call = calls.sms_plus(sender="33612345678", recipient="33687654321", message="hi")
try:
    if driver == "hook":
        from airflow_provider_make.hooks.make import MakeHook
        MakeHook(make_conn_id="make_default").get_credits()
    else:
        run(driver, hostile_settings(base_url), call)
except Exception as error:
    print(type(error).__name__, error)
    logging.getLogger("test").exception("raised")
"""


@pytest.mark.parametrize("driver", ["hook", *DRIVERS])
def test_an_echoed_password_reaches_no_output_of_a_fresh_process(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    hostile.answer("reason_echo")
    conn = {"conn_type": "make", "host": hostile.url, "login": LOGIN, "password": hostile_server.PASSWORD}
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))

    done = subprocess.run(
        [sys.executable, "-c", ECHO_SCRIPT, hostile.url, driver],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = done.stdout + done.stderr
    assert "MakeTransportError" in done.stdout or "UnsafeToRetry" in done.stdout, output[-3000:]
    assert "HTTP 500" in done.stdout, output[-3000:]  # the server's answer was read
    assert "pwd=***" in output  # the echo was read, and scrubbed
    if driver == "async":
        assert "HTTP Request: GET" in done.stderr  # httpx logged its request line (without the reason)
    found = leaks(output, HOSTILE_FORMS)
    assert not found, f"{driver}: password form(s) {found} in the process's output"
    assert len(hostile.requests) == (3 if driver == "hook" else 1)  # a read is tried 3 times


# ----------------------------------------------------------------------------- the sandbox's faults


def test_garbage_answer_echoing_the_url_on_a_send(api, client, http_logs):
    api.fault("garbage")
    with pytest.raises(MakeTransportError) as caught:
        client.sms_plus(CALLER, CALLEE, "hi")

    error = caught.value
    assert "not the XML" in str(error)
    assert error.may_have_been_accepted is True
    assert "may have been accepted" in str(error)
    assert len(api.requests()) == 1  # not sent again
    assert_exception_clean(error)
    assert_logs_clean(http_logs)


def test_garbage_answer_echoing_the_url_on_credits(api, client, http_logs, monkeypatch):
    api.fault("garbage", count=6, path="/apicredits.php")  # reads are tried 3 times
    with pytest.raises(MakeTransportError) as caught:
        client.get_credits()
    assert caught.value.may_have_been_accepted is False
    assert_exception_clean(caught.value)

    converted = hook_exception(monkeypatch, api.conn_json(), lambda hook: hook.get_credits())
    assert isinstance(converted, AirflowException)
    assert_exception_clean(converted)
    assert_logs_clean(http_logs)


def test_http_500(api, client, http_logs, monkeypatch):
    api.fault("http500")
    with pytest.raises(MakeTransportError) as caught:
        client.call(CALLER, CALLEE)

    error = caught.value
    assert "HTTP 500" in str(error)
    assert error.may_have_been_accepted is True
    assert len(api.requests()) == 1
    assert_exception_clean(error)

    api.fault("http500")
    converted = hook_exception(monkeypatch, api.conn_json(), lambda hook: hook.call(CALLER, CALLEE))
    assert isinstance(converted, AirflowFailException)
    assert_exception_clean(converted)
    assert_logs_clean(http_logs)


# ----------------------------------------------------------------------------- logs


def test_successful_calls_log_urls_without_the_password(api, client, http_logs):
    sent = client.sms_plus(CALLER, CALLEE, "Bonjour")
    api.advance(11)
    client.get_tracking(sent.id)
    client.get_credits()

    urls = [r.getMessage() for r in http_logs.records if "apimakesmsplus.php" in r.getMessage()]
    assert urls, "urllib3 logs the request line at DEBUG: the check would be empty without it"
    assert any("pwd=***" in line for line in urls)
    assert_logs_clean(http_logs)


def test_failed_api_answers_log_nothing_secret(api, client, http_logs):
    api.fault("code:0")
    with pytest.raises(MakeError):
        client.ring(CALLER, CALLEE)
    with pytest.raises(MakeError):
        KindClient(ClientSettings(LOGIN, "wrong", base_url=api.url)).ring(CALLER, CALLEE)

    assert_logs_clean(http_logs)


def test_async_client_logs_without_the_password(api, http_logs):
    async def main() -> None:
        client = AsyncKindClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url))
        await client.sms_plus(CALLER, CALLEE, "Bonjour")
        api.fault("drop", path="/apimakesmsplus.php")
        with pytest.raises(MakeTransportError) as caught:
            await client.sms_plus(CALLER, CALLEE, "Bonjour")
        assert_exception_clean(caught.value)

    asyncio.run(main())

    assert any("apimakesmsplus.php" in r.getMessage() for r in http_logs.records if r.name == "httpx")
    assert_logs_clean(http_logs)


def send_in_a_fresh_process(api, logging_setup: str) -> subprocess.CompletedProcess[str]:
    """One makeSms+ through the async driver in a new interpreter whose logging is ``logging_setup``."""
    script = textwrap.dedent(
        f"""
        import asyncio, logging, sys
        from airflow_provider_make.client import calls
        from airflow_provider_make.client.async_driver import AsyncMakeClient
        from airflow_provider_make.client.settings import ClientSettings

        {logging_setup}

        async def main():
            client = AsyncMakeClient(ClientSettings({LOGIN!r}, {PASSWORD!r}, base_url={api.url!r}))
            await client.request(calls.sms_plus(sender="33612345678", recipient="33687654321", message="Hi"))

        asyncio.run(main())
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_async_client_guards_the_logs_of_httpx(api):
    # A deployment that asks for httpx's request lines.
    setup = 'logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s %(message)s"); '
    done = send_in_a_fresh_process(api, setup + 'logging.getLogger("httpx").setLevel(logging.DEBUG)')

    assert done.returncode == 0, done.stderr
    assert "apimakesmsplus.php" in done.stdout  # httpx did log the request
    assert len(api.sends()) == 1
    assert_clean(done.stdout + done.stderr)


def test_httpx_request_lines_are_kept_to_warnings_unless_configured(api) -> None:
    """A line per request would flood a triggerer's or a campaign's log (and cost more than the request)."""
    setup = 'logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")'
    done = send_in_a_fresh_process(api, setup)
    assert done.returncode == 0, done.stderr
    assert "HTTP Request" not in done.stdout
    assert len(api.sends()) == 1


# ----------------------------------------------------------------------------- reprs


def test_reprs_hide_the_password(api, make_default):
    settings = ClientSettings(LOGIN, PASSWORD, base_url=api.url)
    client = KindClient(settings)
    async_client = AsyncKindClient(settings)
    hook = MakeHook()
    try:
        texts = [repr(settings), str(settings), repr(client), str(client), repr(async_client), repr(hook)]
        hook.get_credits()  # the hook has read its connection now
        texts += [repr(hook), str(hook), repr(hook.settings), repr(hook.client), hook.tracking_url("abc123")]
    finally:
        hook.close()
        client.close()

    assert "password='***'" in repr(settings)
    assert LOGIN in repr(settings)
    for text in texts:
        assert_clean(text)


def test_tracking_url_carries_no_credentials(make_default):
    hook = MakeHook()
    url = hook.tracking_url("abcdefghijkl15")

    assert url == f"{make_default.url}apilog.php?id=abcdefghijkl15"
    assert "pwd" not in url
    assert "login" not in url


def test_a_run_through_every_driver_succeeds_on_the_sandbox(api) -> None:
    """The drivers of the parametrised tests above really reach a server (else they prove nothing)."""
    settings = ClientSettings(LOGIN, PASSWORD, base_url=api.url)
    for driver in DRIVERS:
        assert run(driver, settings, calls.credits()) == 100_000
    assert len(api.requests("/apicredits.php")) == len(DRIVERS)
