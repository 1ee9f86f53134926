"""MakeHook: the connection read lazily, its settings, masking, and an honest test_connection."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from airflow_provider_make.client.settings import DEFAULT_BASE_URL
from airflow_provider_make.hooks.make import MakeHook
from tests.conftest import LOGIN, PASSWORD, Sandbox


def _conn(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps({"conn_type": "make", **fields}))


def test_constructor_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_MAKE_DEFAULT", raising=False)
    hook = MakeHook()  # no connection exists: only first use may fail
    assert hook.make_conn_id == "make_default"
    assert MakeHook.conn_type == "make"
    assert MakeHook.conn_name_attr == "make_conn_id"
    assert MakeHook.default_conn_name == "make_default"


def test_settings_from_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(
        monkeypatch,
        login=LOGIN,
        password=PASSWORD,
        extra={"default_region": "fr", "timeout": 7, "endpoints": {"ring_plus": "apimakeringplus.php"}},
    )
    settings = MakeHook().settings
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.default_region == "FR"
    assert (settings.connect_timeout, settings.read_timeout, settings.total_timeout) == (7.0, 7.0, 14.0)
    assert settings.path_for("ring_plus", "apimakingplus.php") == "apimakeringplus.php"


def test_a_plain_http_host_that_is_not_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_make.compat import AirflowFailException

    _conn(monkeypatch, host="http://makesms.fr", login=LOGIN, password=PASSWORD)
    with pytest.raises(AirflowFailException, match=r"plain http:// for makesms\.fr"):
        MakeHook().get_credits()


def test_the_password_and_its_encodings_are_registered_with_the_masker(make_default: Sandbox) -> None:
    from airflow.sdk._shared.secrets_masker import redact

    MakeHook().get_credits()
    for form in (PASSWORD, quote_plus(PASSWORD, safe=""), quote(PASSWORD, safe="")):
        assert form not in str(redact(f"GET /apicredits.php?pwd={form} HTTP/1.1"))


def test_get_credits_is_an_int(make_default: Sandbox) -> None:
    assert MakeHook().get_credits() == 100_000
    [request] = make_default.requests("/apicredits.php")
    assert request["query"] == "login=ops@example.com&pwd=p%40ss+w%26rd%2B1%2F%C3%A9"


def test_one_session_is_reused(make_default: Sandbox) -> None:
    hook = MakeHook()
    hook.get_credits()
    session = hook.client.session
    hook.get_credits()
    assert hook.client.session is session


def test_test_connection_reports_the_credits(make_default: Sandbox) -> None:
    ok, message = MakeHook().test_connection()
    assert ok is True
    assert message == f"Connected to the make API at {make_default.url}: account {LOGIN} has 100000 credits."


def test_test_connection_is_honest_about_zero_credits(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(password="wrong"))
    ok, message = MakeHook().test_connection()
    assert ok is False
    assert "0 credits" in message
    assert "wrong e-mail or password" in message
    assert "empty account" in message


def test_test_connection_says_when_the_api_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, host="http://127.0.0.1:9", login=LOGIN, password=PASSWORD)
    ok, message = MakeHook().test_connection()
    assert ok is False
    assert message.startswith("credits: could not connect to the API (http://127.0.0.1:9/)")
    assert "%40" not in message


def test_test_connection_says_when_the_base_url_is_wrong(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _conn(monkeypatch, host=api.url + "not-the-api/", login=LOGIN, password=PASSWORD)
    ok, message = MakeHook().test_connection()
    assert ok is False
    assert "HTTP 404" in message


def test_tracking_url_has_no_password(make_default: Sandbox) -> None:
    url = MakeHook().tracking_url("abc123")
    assert url == f"{make_default.url}apilog.php?id=abc123"


def test_the_client_layer_does_not_import_airflow() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import airflow_provider_make.client.sync_driver, airflow_provider_make.client.async_driver\n"
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
