"""The password never shows: not in exceptions, tracebacks, logs or reprs, in any encoding.

The make API takes the password in the query string (spec decision 12), so every URL the
HTTP libraries build carries it. These tests make things go wrong for real (a closed
port, an answer that echoes the URL, an HTTP 500, a dropped connection, a timeout) and
search everything a person could see for the password in every form it can take.
The fixture account's password, ``p@ss w&rd+1/é``, has a character that each encoding
changes, so each form is distinct.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import socket
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterable, Iterator
from urllib.parse import quote, quote_plus, urlencode

import pytest

from airflow_provider_make.client.errors import (
    Action,
    MakeConfigurationError,
    MakeError,
    MakeTransportError,
    action_of,
)
from airflow_provider_make.client.redaction import secret_forms
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.tracking import SmsTracking
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from tests.conftest import LOGIN, PASSWORD
from tests.kinds import AsyncKindClient, KindClient

CALLER = "33612345678"
CALLEE = "33687654321"


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _independent_forms(secret: str) -> set[str]:
    """The password's forms, built here without the package's help."""
    utf8 = secret.encode("utf-8")
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        quote_plus(secret),
        quote(secret, safe="@"),
        quote_plus(secret, safe="@"),
        urlencode({"pwd": secret}).removeprefix("pwd="),
        quote(quote(secret, safe=""), safe=""),
        quote_plus(quote_plus(secret, safe=""), safe=""),
        html.escape(secret),
        html.escape(secret, quote=False),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(utf8)[2:-1],
        str(utf8),
        repr(secret)[1:-1],
        utf8.hex(),
        # Distinctive pieces: a partial leak is a leak.
        "p@ss w&rd",
        "w&rd+1/",
        "p%40ss",
        "w%26rd",
        "%2B1%2F%C3%A9",
    }
    return forms | {_lower_hex(form) for form in forms}


FORMS = sorted(secret_forms(PASSWORD) | _independent_forms(PASSWORD), key=len, reverse=True)


def test_the_package_knows_the_usual_forms():
    package = secret_forms(PASSWORD)
    for form in (PASSWORD, quote_plus(PASSWORD, safe=""), quote(PASSWORD, safe=""), html.escape(PASSWORD)):
        assert form in package
        assert _lower_hex(form) in package


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def assert_clean(text: str) -> None:
    found = leaks(text)
    assert not found, f"password form(s) {found} in: {text}"


def chain(error: BaseException) -> Iterator[BaseException]:
    """The exception and every cause and context, suppressed or not."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]


def exception_texts(error: BaseException) -> Iterable[str]:
    yield "".join(traceback.format_exception(error))
    for item in chain(error):
        yield str(item)
        yield repr(item)
        yield repr(item.args)
        yield repr(vars(item))
        yield "".join(traceback.format_exception_only(type(item), item))


def assert_exception_clean(error: BaseException) -> None:
    for text in exception_texts(error):
        assert_clean(text)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def http_logs(caplog):
    """Everything the HTTP libraries log, down to DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_logs_clean(caplog) -> None:
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            assert_exception_clean(record.exc_info[1])
    assert_clean(caplog.text)


def hook_exception(monkeypatch, conn_json: str, action) -> BaseException:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", conn_json)
    hook = MakeHook()
    try:
        with pytest.raises(MakeError) as caught:
            action(hook)
    finally:
        hook.close()
    return caught.value


# ----------------------------------------------------------------------------- (a) unreachable


def test_unreachable_server(api, http_logs, monkeypatch):
    base_url = f"http://127.0.0.1:{closed_port()}/"
    with (
        KindClient(ClientSettings(LOGIN, PASSWORD, base_url=base_url)) as client,
        pytest.raises(MakeTransportError) as caught,
    ):
        client.sms_plus(CALLER, CALLEE, "hi")

    error = caught.value
    assert "could not connect" in str(error)
    assert error.may_have_been_accepted is False  # it never left: safe to retry
    assert action_of(error) is Action.RETRY
    assert_exception_clean(error)
    assert any("127.0.0.1" in r.getMessage() for r in http_logs.records)  # the attempts were logged
    assert_logs_clean(http_logs)


# ----------------------------------------------------------------------------- (b) garbage


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


# ----------------------------------------------------------------------------- (c) HTTP 500


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


# ----------------------------------------------------------------------------- (d) dropped


def test_dropped_connection_on_a_send_is_not_resent(api, client, http_logs):
    api.fault("drop")
    with pytest.raises(MakeTransportError) as caught:
        client.sms_plus(CALLER, CALLEE, "Bonjour")

    error = caught.value
    assert error.may_have_been_accepted is True
    assert action_of(error) is Action.UNKNOWN
    assert "may have been accepted, so it is not sent again" in str(error)
    assert "not sent again" in str(error)
    assert len(api.sends()) == 1  # processed and charged once, never repeated
    assert api.sends()[0]["result_code"] == 38
    assert_exception_clean(error)
    assert_logs_clean(http_logs)


def test_dropped_connection_on_a_send_through_the_hook_fails_the_task(api, monkeypatch):
    api.fault("drop")
    converted = hook_exception(monkeypatch, api.conn_json(), lambda hook: hook.ring(CALLER, CALLEE))

    assert isinstance(converted, MakeTransportError)
    assert isinstance(converted, AirflowFailException)  # retrying could ring the phone twice
    assert converted.may_have_been_accepted is True
    assert len(api.sends()) == 1
    assert_exception_clean(converted)


def test_reads_are_retried_after_a_dropped_connection(api, client, http_logs):
    sent = client.sms(CALLER, CALLEE, "123")
    api.advance(11)
    api.fault("drop", count=1, path="/apilog.php")

    tracking = client.get_tracking(sent.id)

    assert isinstance(tracking, SmsTracking)
    assert tracking.id == sent.id
    assert len(api.requests("/apilog.php")) == 2
    assert len(api.sends()) == 1
    assert_logs_clean(http_logs)


def test_credits_are_retried_after_a_dropped_connection(api, client, http_logs):
    api.fault("drop", count=1, path="/apicredits.php")

    assert client.get_credits() == 100_000
    received = api.requests("/apicredits.php")
    assert len(received) == 2
    assert "pwd=" in received[0]["query"]  # the URL the libraries saw carried the password
    assert_logs_clean(http_logs)


# ----------------------------------------------------------------------------- (e) timeout


def test_read_timeout_on_a_send_is_not_resent(api, http_logs):
    settings = ClientSettings(LOGIN, PASSWORD, base_url=api.url, read_timeout=0.5)
    api.fault("slow:2")
    with KindClient(settings) as client, pytest.raises(MakeTransportError) as caught:
        client.sms_plus(CALLER, CALLEE, "Bonjour")

    error = caught.value
    assert "did not answer in time" in str(error)
    assert error.may_have_been_accepted is True
    assert len(api.sends()) == 1
    assert_exception_clean(error)
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


# ----------------------------------------------------------------------------- plain http


@pytest.mark.parametrize(
    "base_url",
    [
        "http://makesms.fr/",
        "http://makesms.fr",
        "HTTP://MAKESMS.FR/",
        "http://10.0.0.5:8080/",
        "http://192.168.1.20/",
        "http://localhost.example.com/",
        "http://127.0.0.1.nip.io/",
        "http://0.0.0.0:8080/",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused(api, base_url):
    with pytest.raises(MakeConfigurationError) as caught:
        ClientSettings(LOGIN, PASSWORD, base_url=base_url)

    assert "http://" in str(caught.value)
    assert "https://" in str(caught.value)
    assert_exception_clean(caught.value)
    assert api.requests() == []


def test_plain_http_on_the_connection_fails_the_task_before_sending(api, monkeypatch):
    conn = json.dumps(
        {"conn_type": "make", "host": "http://makesms.fr", "login": LOGIN, "password": PASSWORD}
    )
    converted = hook_exception(monkeypatch, conn, lambda hook: hook.sms_plus(CALLER, CALLEE, "hi"))

    assert isinstance(converted, MakeConfigurationError)
    assert isinstance(converted, AirflowFailException)
    assert_exception_clean(converted)
    assert api.requests() == []


@pytest.mark.parametrize(
    ("base_url", "normalised"),
    [
        ("https://makesms.fr/", "https://makesms.fr/"),
        ("https://makesms.fr", "https://makesms.fr/"),
        ("makesms.fr", "https://makesms.fr/"),
        ("", "https://makesms.fr/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        ("http://127.0.0.2:8080", "http://127.0.0.2:8080/"),
        ("http://localhost:8080/", "http://localhost:8080/"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
    ],
)
def test_https_and_loopback_http_are_accepted(base_url, normalised):
    assert ClientSettings(LOGIN, PASSWORD, base_url=base_url).base_url == normalised


def test_base_url_with_credentials_is_refused_without_echoing_them():
    url = f"https://{quote(LOGIN, safe='')}:{quote(PASSWORD, safe='')}@makesms.fr/"
    with pytest.raises(MakeConfigurationError) as caught:
        ClientSettings(LOGIN, PASSWORD, base_url=url)

    assert "credentials" in str(caught.value)
    assert_exception_clean(caught.value)


def test_non_http_base_url_with_credentials_is_refused_without_echoing_them():
    url = f"ftp://{quote(LOGIN, safe='')}:{quote(PASSWORD, safe='')}@makesms.fr/"
    with pytest.raises(MakeConfigurationError) as caught:
        ClientSettings(LOGIN, PASSWORD, base_url=url)

    assert_exception_clean(caught.value)


def test_httpx_request_lines_are_kept_to_warnings_unless_configured(api) -> None:
    """A line per request would flood a triggerer's or a campaign's log (and cost more than the request)."""
    setup = 'logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")'
    done = send_in_a_fresh_process(api, setup)
    assert done.returncode == 0, done.stderr
    assert "HTTP Request" not in done.stdout
    assert len(api.sends()) == 1


class _Interrupted(BaseException):
    """What a task timeout looks like to the code it interrupts (Airflow's is raised by SIGALRM)."""


def frame_locals(error: BaseException) -> Iterator[str]:
    """The repr of every local of every frame the traceback keeps (what Sentry and debuggers show)."""
    for item in chain(error):
        tb = item.__traceback__
        while tb is not None:
            for name, value in tb.tb_frame.f_locals.items():
                yield f"{tb.tb_frame.f_code.co_name}.{name}={value!r}"
            tb = tb.tb_next


def test_a_task_timeout_mid_request_leaves_no_url_in_any_frame(api):
    import signal

    from airflow_provider_make.client import calls
    from airflow_provider_make.client.sync_driver import MakeClient

    def interrupt(*_: object) -> None:
        raise _Interrupted

    api.fault("slow:3", path="/apicredits.php")
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with (
            MakeClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url)) as client,
            pytest.raises(_Interrupted) as caught,
        ):
            client.request(calls.credits())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for text in frame_locals(caught.value):
        assert_clean(text)


def test_a_cancelled_request_leaves_no_url_in_any_frame(api):
    from airflow_provider_make.client import calls
    from airflow_provider_make.client.async_driver import AsyncMakeClient

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
