"""client/settings.py: the base URL's checks and the one proxy policy of every driver."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import quote

import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import MakeConfigurationError, MakeError
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.compat import AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from tests.conftest import LOGIN, PASSWORD
from tests.drivers import DRIVERS, run
from tests.hostile_server import (
    CREDITS_OK,
    PROXY_VARIABLES,
    SEND_OK,
    TRACKING_ID,
    TRACKING_OK,
    HostileServer,
    hostile_settings,
)
from tests.leaks import assert_exception_clean

CALLER = "33612345678"
CALLEE = "33687654321"


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
    conn = {"conn_type": "make", "host": "http://makesms.fr", "login": LOGIN, "password": PASSWORD}
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))
    hook = MakeHook()
    try:
        with pytest.raises(MakeConfigurationError) as caught:
            hook.sms_plus(CALLER, CALLEE, "hi")
    finally:
        hook.close()

    assert isinstance(caught.value, AirflowFailException)
    assert_exception_clean(caught.value)
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


# ----------------------------------------------------------------------------- proxy


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_request_to_any_loopback_address_never_goes_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    with HostileServer("127.0.0.1") as proxy, HostileServer("127.0.0.2") as api:
        proxy.answer("status:502")
        api.answer("xml:" + TRACKING_OK, path="/apilog.php")
        api.answer("xml:" + SEND_OK, path="/apimakesmsplus.php")
        api.answer("xml:" + CREDITS_OK, path="/apicredits.php")
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        settings = hostile_settings(api.url)  # http://127.0.0.2:PORT/: loopback, plain HTTP allowed

        for call in (
            calls.sms_plus(sender=CALLER, recipient=CALLEE, message="hi"),
            calls.credits(),
            calls.tracking(tracking_id=TRACKING_ID),
        ):
            with contextlib.suppress(MakeError):  # what the call returns does not matter here
                run(driver, settings, call)

        # The paths only: the query would hold the password.
        assert [received.path for received in proxy.requests] == [], "sent through the proxy"
        assert [received.path for received in api.requests] == [
            "/apimakesmsplus.php",
            "/apicredits.php",
            "/apilog.php",
        ]


def test_the_proxy_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    remote = ClientSettings(LOGIN, PASSWORD, base_url="https://makesms.fr/")
    loopback = ClientSettings(LOGIN, PASSWORD, base_url="http://127.0.0.1:8080/")
    assert (remote.may_use_proxy, loopback.may_use_proxy) == (True, False)
    assert (remote.proxy_named, loopback.proxy_named) == (False, False)

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert (remote.proxy_named, loopback.proxy_named) == (True, False)
