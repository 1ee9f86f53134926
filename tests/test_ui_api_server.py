"""The provider as the Airflow UI sees it, through a real ``airflow api-server`` on loopback.

One api-server runs for the module, in the session's Airflow home (the same sqlite
database ``airflow dags test`` writes to), with ``[core] test_connection = Enabled`` and
the simple auth manager with one admin user, whose password the fixture chooses: the tests
take a token with it as a script would (``POST /auth/token``), and sign in to the UI with
it in Debian's Chromium (Playwright). The tests read what the UI reads: the connection
form (``/ui/connections/hook_meta``, and the form itself in the browser), the Test button
(``POST /api/v2/connections/test``, and ``airflow connections test``), the extra links of a
real run (``.../taskInstances/{task_id}/links``), the providers list, and the make page and
its API (the plugin; in the browser too).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from airflow_provider_make.client.redaction import secret_forms
from airflow_provider_make.client.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
)
from tests.api_server import ApiServer, free_port, running_api_server
from tests.browser import chromium_page, log_in
from tests.conftest import LOGIN, PASSWORD, POOR_LOGIN, TEST_DAGS, AirflowHome, Sandbox
from tests.helpers import plugin_entry_point_path

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page

# One api-server for the module: under xdist its tests share a worker (--dist loadgroup).
pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("api_server")]

#: The admin user the api-server knows (the simple auth manager's ``users``), and its password.
UI_USER = "ops_admin"
UI_PASSWORD = secrets.token_urlsafe(16)


@contextlib.contextmanager
def _running_api_server(
    airflow_home: AirflowHome, folder: Path, base_path: str = "", **settings: str
) -> Iterator[ApiServer]:
    """An ``airflow api-server`` on a free loopback port (under ``base_path``), an admin logged in."""
    port = free_port()
    shim = plugin_entry_point_path(folder / "plugin_entry_point")
    # The simple auth manager keeps a password it finds in its file; it generates the others.
    passwords = folder / "passwords.json"
    passwords.write_text(json.dumps({UI_USER: UI_PASSWORD}))
    url = f"http://127.0.0.1:{port}{base_path}"
    env = airflow_home.env(
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{UI_USER}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        PYTHONPATH=os.pathsep.join(path for path in (shim, os.environ.get("PYTHONPATH", "")) if path),
        **({"AIRFLOW__API__BASE_URL": url} if base_path else {}),
        **settings,
    )
    airflow = Path(sys.executable).with_name("airflow")
    with running_api_server(airflow, env, folder / "api-server.log", port, base_path) as server:
        # The UI's login: POST /auth/token with a user's name and password hands out its token.
        server.token = server.token_for(UI_USER, UI_PASSWORD)
        yield server


@pytest.fixture(scope="module")
def api_server(airflow_home: AirflowHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    folder = tmp_path_factory.mktemp("api_server")
    with _running_api_server(airflow_home, folder, AIRFLOW__CORE__TEST_CONNECTION="Enabled") as server:
        yield server


def _no_password(text: str) -> None:
    for number, form in enumerate(sorted(secret_forms(PASSWORD))):
        assert form not in text, f"form #{number} of the password leaked"  # never print it


# ----------------------------------------------------------------------------- the form


def test_connection_form_declares_the_make_fields(api_server: ApiServer) -> None:
    hooks = api_server.get("/ui/connections/hook_meta")
    [make] = [hook for hook in hooks if hook["connection_type"] == "make"]
    assert make["hook_name"] == "Make (makesms.fr)"
    assert make["hook_class_name"] == "airflow_provider_make.hooks.make.MakeHook"

    fields = make["standard_fields"]
    assert fields["host"]["title"] == "API base URL"
    assert fields["host"]["hidden"] is False
    # The placeholder explains the default: an empty base URL means the real API.
    assert DEFAULT_BASE_URL in fields["host"]["placeholder"]
    assert "empty" in fields["host"]["placeholder"]
    assert fields["login"]["title"] == "Account e-mail"
    assert "@" in fields["login"]["placeholder"]
    assert fields["password"]["title"] == "Account password"
    assert fields["url_schema"]["hidden"] is True
    assert fields["port"]["hidden"] is True

    extra = make["extra_fields"]
    assert set(extra) == {"default_region", "connect_timeout", "read_timeout", "total_timeout", "endpoints"}
    assert extra["endpoints"]["schema"]["type"] == ["object", "null"]
    assert "apimakeringplus.php" in extra["endpoints"]["description"]
    region = extra["default_region"]
    assert region["schema"]["title"] == "Default country"
    assert region["schema"]["type"] == ["string", "null"]
    assert region["value"] is None  # no default: numbers must carry their country code
    assert "06 12 34 56 78" in region["description"]
    for name, default in (
        ("connect_timeout", DEFAULT_CONNECT_TIMEOUT),
        ("read_timeout", DEFAULT_READ_TIMEOUT),
    ):
        field = extra[name]
        assert field["schema"]["type"] == ["number", "null"]
        # The form's default is the one the client really uses when the field is empty.
        assert field["value"] == field["schema"]["default"] == default
        assert "(seconds)" in field["schema"]["title"]
        assert field["description"]


def test_the_provider_is_listed(api_server: ApiServer) -> None:
    providers = api_server.get("/api/v2/providers?limit=100")["providers"]
    [make] = [p for p in providers if p["package_name"] == "airflow-provider-make"]
    assert make["version"] == "0.1.0"
    assert "makesms.fr" in make["description"]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    """A page of Debian's Chromium (a fresh profile), not yet signed in."""
    with chromium_page(tmp_path / "chromium-profile") as opened:
        yield opened


def test_the_connection_form_in_a_browser(api_server: ApiServer, page: Page) -> None:
    log_in(page, api_server.url, UI_USER, UI_PASSWORD)
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("menuitem", name="Connections").click()
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    # The connection type is a searchable select: type, then pick the match with Enter.
    dialog.get_by_role("combobox").fill("Make (makesms")
    page.get_by_text("Make (makesms.fr)").wait_for()
    page.keyboard.press("Enter")
    host = dialog.locator("input[name=host]")
    host.wait_for()
    assert DEFAULT_BASE_URL in (host.get_attribute("placeholder") or "")
    shown = dialog.inner_text()
    assert "API base URL" in shown and "Account e-mail" in shown and "Account password" in shown
    assert "Port" not in shown and "Schema" not in shown  # hidden by the hook's field behaviour


# ----------------------------------------------------------------------------- the Test button


def _test_body(api: Sandbox, **fields: Any) -> dict[str, Any]:
    body = {"connection_id": "make_form", "conn_type": "make", "host": api.url, "login": LOGIN}
    body["password"] = PASSWORD
    body.update(fields)
    return body


def _closed_loopback_url() -> str:
    return f"http://127.0.0.1:{free_port()}/"


def test_test_button_reports_the_credits_of_a_good_account(api_server: ApiServer, api: Sandbox) -> None:
    status, answer = api_server.request("POST", "/api/v2/connections/test", _test_body(api))
    assert status == 200, answer
    assert answer["status"] is True
    assert f"has {api.credits_of(LOGIN)} credits" in answer["message"]
    assert LOGIN in answer["message"] and api.url in answer["message"]
    [credits] = api.requests()
    assert credits["path"] == "/apicredits.php"
    assert credits["params"] == {"login": LOGIN, "pwd": PASSWORD}
    _no_password(json.dumps(answer))


def test_test_button_reads_the_extra_fields_as_the_form_saves_them(
    api_server: ApiServer, api: Sandbox
) -> None:
    # What the UI stores when the extra fields are left as they are (empty country).
    extra = json.dumps({"default_region": None, "connect_timeout": 10, "read_timeout": 30})
    status, answer = api_server.request("POST", "/api/v2/connections/test", _test_body(api, extra=extra))
    assert status == 200, answer
    assert answer["status"] is True, answer
    extra = json.dumps({"default_region": "fr", "connect_timeout": "5"})
    status, answer = api_server.request("POST", "/api/v2/connections/test", _test_body(api, extra=extra))
    assert answer["status"] is True, answer


def test_test_button_says_zero_credits_may_mean_wrong_credentials(
    api_server: ApiServer, api: Sandbox
) -> None:
    body = _test_body(api, password="not the password")
    status, answer = api_server.request("POST", "/api/v2/connections/test", body)
    assert status == 200, answer
    assert answer["status"] is False
    message = answer["message"]
    assert "0 credits" in message
    assert "wrong e-mail or password" in message and "empty account" in message
    assert len(api.requests("/apicredits.php")) == 1


def test_test_button_on_an_unreachable_server(api_server: ApiServer) -> None:
    url = _closed_loopback_url()
    body = {"connection_id": "make_form", "conn_type": "make", "host": url, "login": LOGIN}
    status, answer = api_server.request("POST", "/api/v2/connections/test", {**body, "password": PASSWORD})
    assert status == 200, answer
    assert answer["status"] is False
    assert "could not connect" in answer["message"]
    assert url in answer["message"]
    _no_password(json.dumps(answer))


def test_test_button_refuses_plain_http_to_another_host(api_server: ApiServer) -> None:
    body = {"connection_id": "make_form", "conn_type": "make", "host": "http://makesms.fr/", "login": LOGIN}
    status, answer = api_server.request("POST", "/api/v2/connections/test", {**body, "password": PASSWORD})
    assert status == 200, answer
    assert answer["status"] is False
    assert "plain http://" in answer["message"] and "use https://" in answer["message"]
    _no_password(json.dumps(answer))


def test_cli_connections_test(airflow_home: AirflowHome, api: Sandbox, tmp_path: Path) -> None:
    # ``airflow connections test`` needs a stored connection: import two, test each.
    stored = {
        "make_cli_good": json.loads(api.conn_json()),
        "make_cli_wrong": json.loads(api.conn_json(password="not the password")),
    }
    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps(stored))
    done = airflow_home.airflow("connections", "import", "--overwrite", str(connections))
    assert done.returncode == 0, done.stdout + done.stderr

    good = airflow_home.airflow(
        "connections", "test", "make_cli_good", AIRFLOW__CORE__TEST_CONNECTION="Enabled"
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Connection success!" in good.stdout

    wrong = airflow_home.airflow(
        "connections", "test", "make_cli_wrong", AIRFLOW__CORE__TEST_CONNECTION="Enabled"
    )
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    output = " ".join((wrong.stdout + wrong.stderr).split())  # rich wraps long lines
    assert "Connection failed!" in output
    assert "reports 0 credits" in output and "wrong e-mail or password" in output
    _no_password(good.stdout + good.stderr + wrong.stdout + wrong.stderr)


# ----------------------------------------------------------------------------- extra links


def _links(api_server: ApiServer, dag_id: str, run_id: str, task_id: str) -> dict[str, str | None]:
    run = urllib.parse.quote(run_id, safe="")
    answer = api_server.get(f"/api/v2/dags/{dag_id}/dagRuns/{run}/taskInstances/{task_id}/links")
    links: dict[str, str | None] = answer["extra_links"]
    return links


def test_call_plus_links_through_the_api_server(
    api_server: ApiServer, airflow_home: AirflowHome, api: Sandbox
) -> None:
    # ``dags test`` stores the serialized DAG and the links' XCom in the database the
    # api-server reads: the endpoint has all it needs.
    run = airflow_home.dags_test("example_make_call_plus", api.conn_json())
    assert run.returncode == 0, run.output[-4000:]
    [send] = api.sends()
    record_link = run.xcom("recorded_call")["tracking"]["record_link"]
    assert record_link.startswith(f"{api.url}rec/")

    links = _links(api_server, "example_make_call_plus", run.run_id, "recorded_call")
    assert links == {
        "make tracking": f"{api.url}apilog.php?id={send['id']}",
        "Call recording": record_link,
    }
    _no_password(json.dumps(links))


def test_sms_and_sensor_links_through_the_api_server(
    api_server: ApiServer, airflow_home: AirflowHome, api: Sandbox
) -> None:
    run = airflow_home.dags_test("example_make_sms_wait_deferrable", api.conn_json())
    assert run.returncode == 0, run.output[-4000:]
    [send] = api.sends()
    tracking = f"{api.url}apilog.php?id={send['id']}"
    # An operator that is not makeCall+ has the tracking link only.
    assert _links(api_server, run.dag_id, run.run_id, "send_sms") == {"make tracking": tracking}
    # The sensor declares both links; an SMS has no recording: null, and the UI shows no button.
    sensor = _links(api_server, run.dag_id, run.run_id, "wait_for_follow_up_sms")
    assert sensor == {"make tracking": tracking, "Call recording": None}


def test_the_api_server_log_holds_no_password(api_server: ApiServer) -> None:
    _no_password(api_server.log.read_text(errors="replace"))


# ----------------------------------------------------------------------------- the make page


def _raw(api_server: ApiServer, path: str, token: str | None, cookie: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(api_server.url + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if cookie:  # what the UI's frame sends: the token in the UI's cookie
        request.add_header("Cookie", f"_token={cookie}")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def monitored(api_server: ApiServer, airflow_home: AirflowHome, sandbox_server: Any) -> dict[str, Any]:
    """The monitoring test DAG ran in the api-server's home: what the sandbox accepted."""
    api = Sandbox(sandbox_server)
    api.reset()
    run = airflow_home.dags_test(
        "monitoring_sends",
        api.conn_json(),
        dagfile=TEST_DAGS / "monitoring_records.py",
        AIRFLOW_CONN_MAKE_POOR=api.conn_json(login=POOR_LOGIN),
    )
    assert run.task_states()["retried_variable"] == ("success", 2), run.output[-3000:]
    return {"run_id": run.run_id, "ids": sorted(send["id"] for send in api.sends() if send.get("id"))}


def test_the_plugin_is_in_the_ui_navigation(api_server: ApiServer) -> None:
    plugins = api_server.get("/api/v2/plugins?limit=100")["plugins"]
    [make] = [plugin for plugin in plugins if plugin["name"] == "make"]
    [view] = make["external_views"]
    assert (view["name"], view["destination"], view["url_route"], view["href"]) == (
        "make",
        "nav",
        "make",
        "make/",
    )
    assert make["fastapi_apps"] == [
        {"app": "airflow_provider_make.monitoring.plugin.LazyApp", "url_prefix": "/make", "name": "make"}
    ]
    status, body = api_server.request("GET", "/api/v2/plugins/importErrors")
    assert status == 200 and body["import_errors"] == [], body


@pytest.mark.parametrize(
    "path",
    ["/make/", "/make/api/v1/requests", "/make/api/v1/summary", "/make/api/v1/campaigns/d/r/t/-1/rows"],
)
def test_the_page_and_the_api_need_a_user(api_server: ApiServer, path: str) -> None:
    status, _ = _raw(api_server, path, None)
    assert status == 401
    status, _ = _raw(api_server, path, "not-a-token")
    assert status in (401, 403)


def test_the_api_lists_each_accepted_request_once(api_server: ApiServer, monitored: dict[str, Any]) -> None:
    query = f"dag_id=monitoring_sends&since={urllib.parse.quote('2000-01-01T00:00:00Z')}"
    answer = api_server.get(f"/make/api/v1/requests?{query}&limit=1000")
    mine = [row for row in answer["requests"] if row["run_id"] == monitored["run_id"]]
    assert sorted(row["tracking_id"] for row in mine if row["tracking_id"]) == monitored["ids"]
    assert len(monitored["ids"]) == 4
    assert {row["state"] for row in mine if row["kind"] != "campaign"} == {"finished", "refused"}
    assert answer["total_entries"] == len(answer["requests"])
    # Pages do not overlap and add up to the whole.
    pages = [api_server.get(f"/make/api/v1/requests?{query}&limit=3&offset={offset}") for offset in (0, 3, 6)]
    paged = [row for page in pages for row in page["requests"]]
    assert paged == answer["requests"][:9]
    refused = api_server.get("/make/api/v1/requests?state=refused&kind=sms&dag_id=monitoring_sends")
    assert {row["result_code"] for row in refused["requests"]} == {102}
    status, body = api_server.request("GET", "/make/api/v1/requests?limit=1001")
    assert status == 422, body
    status, body = api_server.request("GET", "/make/api/v1/requests?kind=fax")
    assert status == 422, body


def test_summary_and_campaign_rows(api_server: ApiServer, monitored: dict[str, Any]) -> None:
    summary = api_server.get("/make/api/v1/summary?days=30")
    assert summary["credits"]["value"] is not None
    assert any(day["dag_id"] == "monitoring_sends" and day["accepted"] >= 4 for day in summary["days"])
    path = f"/make/api/v1/campaigns/monitoring_sends/{urllib.parse.quote(monitored['run_id'], safe='')}"
    rows = api_server.get(f"{path}/campaign_variable/-1/rows?limit=2&offset=9")
    assert rows["total_entries"] == 300
    assert [(row["row"], row["status"], row["result_code"]) for row in rows["rows"]] == [
        (9, "accepted", 28),
        (10, "failed", 102),
    ]
    status, _ = api_server.request("GET", f"{path}/no_such_task/-1/rows")
    assert status == 404


def test_the_operators_sends_are_listed_with_the_sandboxs_costs_and_balance(
    api_server: ApiServer, airflow_home: AirflowHome, sandbox_server: Any
) -> None:
    """Real operators (tests/dags/recorded_sends.py) record what they send: the API lists what
    the sandbox accepted and refused, once each, its costs add up to the credits spent, and
    the balance is the sandbox's."""
    from tests.dags.recorded_sends import DAG_IDS

    api = Sandbox(sandbox_server)
    api.reset()
    before = api.credits_of(LOGIN)
    api.fault("code:104", count=1, path="/apimakesmsplus.php")  # the first send is refused
    dagfile = TEST_DAGS / "recorded_sends.py"
    run_ids = {  # each read at once: a DagRun's run_id is its DAG's newest
        airflow_home.dags_test(dag_id, api.conn_json(), dagfile=dagfile).run_id
        for dag_id in (*DAG_IDS, DAG_IDS[0])
    }
    assert len(run_ids) == 3
    listed = [
        row
        for dag_id in DAG_IDS
        for row in api_server.get(f"/make/api/v1/requests?dag_id={dag_id}&limit=1000")["requests"]
        if row["run_id"] in run_ids
    ]
    sends = api.sends()
    assert len(listed) == len(sends) == 3
    accepted = sorted(send["id"] for send in sends if send["id"])
    assert sorted(row["tracking_id"] for row in listed if row["state"] == "accepted") == accepted
    assert len(accepted) == 2
    assert [row["result_code"] for row in listed if row["state"] == "refused"] == [104]
    assert {(row["kind"], *row["recipients"]) for row in listed} == {("sms_plus", "*********21")}
    assert sum(row["cost"] for row in listed) == before - api.credits_of(LOGIN) > 0
    assert api_server.get("/make/api/v1/summary?days=1")["credits"]["value"] == api.credits_of(LOGIN)


def test_the_page_shows_the_requests(api_server: ApiServer, monitored: dict[str, Any]) -> None:
    status, html = _raw(api_server, "/make/?dag_id=monitoring_sends", None, cookie=api_server.token)
    assert status == 200
    for tracking_id in monitored["ids"]:
        assert tracking_id in html
    assert "*********21" in html and "33687654321" not in html  # recipients masked
    assert "<svg" in html
    assert 'href="/' not in html  # relative links only: right under [api] base_url too
    run = urllib.parse.quote(monitored["run_id"], safe="")
    status, html = _raw(
        api_server, f"/make/campaigns/monitoring_sends/{run}/campaign_variable/-1", api_server.token
    )
    assert status == 200 and "id49" in html and "300" in html


def test_the_make_page_in_a_browser(api_server: ApiServer, monitored: dict[str, Any], page: Page) -> None:
    # As a user finds it: signed in, from the UI's navigation (Browse, then make).
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    log_in(page, api_server.url, UI_USER, UI_PASSWORD)
    for attempt in range(2):  # on a loaded machine the menu may re-render under the first click
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name="make", exact=True).click()
        try:
            page.wait_for_url("**/plugin/make")
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    make = page.frame_locator("iframe")  # the UI shows the plugin's page in an iframe
    make.get_by_role("heading", name="Requests, newest first").wait_for()
    # The page's own filter: one DAG's requests.
    make.get_by_label("dag_id").select_option("monitoring_sends")
    with page.expect_event("framenavigated", lambda frame: "dag_id=monitoring_sends" in frame.url) as event:
        make.get_by_role("button", name="filter").click()
    filtered: Frame = event.value
    filtered.wait_for_load_state()
    heading = filtered.get_by_role("heading", name="Requests, newest first")
    assert heading.count() == 1, filtered.locator("body").inner_text()[:1000]
    rows = filtered.locator("tr", has=filtered.locator("td")).filter(has_text=monitored["run_id"])
    cells = [row.locator("td").all_inner_texts() for row in rows.all()]
    # sent at, DAG / run / task, kind, recipients, cost, credits after, tracking id, state, details
    tracking_ids = sorted(row[6] for row in cells if row[6] and row[2] != "campaign")
    assert tracking_ids == monitored["ids"]
    accepted = [row for row in cells if row[6] in monitored["ids"]]
    assert {row[7] for row in accepted} <= {"accepted", "finished"}
    assert all(row[3] == "*********21" for row in accepted)  # masked: the last two digits only
    assert all(int(row[4]) > 0 for row in accepted)
    assert any(row[2] == "campaign" and "total 300" in row[8] for row in cells)


def test_the_page_under_a_base_url(
    airflow_home: AirflowHome, monitored: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``[api] base_url`` with a path: the app is under it, and the UI's base takes ``make/`` there."""
    folder = tmp_path_factory.mktemp("api_server_base_url")
    with _running_api_server(airflow_home, folder, base_path="/airflow") as server:
        status, html = _raw(server, "/make/?dag_id=monitoring_sends", server.token)
        assert status == 200
        assert all(tracking_id in html for tracking_id in monitored["ids"])
        assert _raw(server, "/make/api/v1/requests", None)[0] == 401
        assert server.get("/make/api/v1/requests?dag_id=monitoring_sends")["total_entries"] >= 4
        status, ui = _raw(server, "/plugin/make", None)  # the UI's page, whose frame loads make/
        assert status == 200 and '<base href="/airflow/"' in ui
