"""Under the FAB auth manager, the make page and its JSON API show a user only the DAGs they may read.

Runs in .venv-fab, not in the main venv: the FAB provider pins flask-appbuilder 5.2.2, which
needs python-dateutil<3, and the main venv's constraints pin 4.0.0 (``bash scripts/fab-venv``
makes it; then ``.venv-fab/bin/python -m pytest -m fab``). Elsewhere this module is skipped.

Two DAGs each send one makeSms+ to the sandbox and keep its monitoring record; an admin and a
user whose role may read one of the two DAGs take tokens from a real api-server with the FAB
auth manager, and read ``/make/api/v1/requests`` and the page.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from airflow_provider_make.sandbox import SandboxServer
from tests.api_server import ApiServer, free_port, running_api_server
from tests.conftest import TEST_DAGS, AirflowHome, Sandbox
from tests.dags.recorded_sends import DAG_IDS

pytest.importorskip("airflow.providers.fab", reason="the FAB provider is in .venv-fab: bash scripts/fab-venv")

pytestmark = pytest.mark.fab

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
READABLE, HIDDEN = DAG_IDS
ADMIN, ONE_DAG_USER, ONE_DAG_ROLE = "fab_admin", "one_dag", "OneDagReader"
PASSWORDS = {ADMIN: secrets.token_urlsafe(16), ONE_DAG_USER: secrets.token_urlsafe(16)}


@dataclass
class FabHome(AirflowHome):
    """An Airflow home whose every command runs with the FAB auth manager."""

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(AIRFLOW__CORE__AUTH_MANAGER=FAB_AUTH_MANAGER, **extra)


@dataclass
class Fab:
    server: ApiServer
    tokens: dict[str, str]  # by user name
    tracking_ids: dict[str, str]  # what the sandbox accepted, by DAG id


def _checked(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def fab(tmp_path_factory: pytest.TempPathFactory, sandbox_server: SandboxServer) -> Iterator[Fab]:
    api = Sandbox(sandbox_server)
    api.reset()
    home = FabHome(tmp_path_factory.mktemp("fab_home"))
    _checked(home.airflow("db", "migrate"))  # also creates FAB's tables
    tracking_ids = {}
    for dag_id in DAG_IDS:
        run = home.dags_test(dag_id, api.conn_json(), dagfile=TEST_DAGS / "recorded_sends.py")
        assert run.returncode == 0, run.output[-4000:]
        tracking_ids[dag_id] = api.sends()[-1]["id"]
    # The DAGs' own permissions ("DAG:<dag_id>"), which a role can then be given.
    _checked(home.airflow("sync-perm", "--include-dags"))
    admin = ["users", "create", "--username", ADMIN, "--password", PASSWORDS[ADMIN], "--role", "Admin"]
    _checked(home.airflow(*admin, "--firstname", "A", "--lastname", "Dmin", "--email", "admin@example.com"))
    env = home.env()
    airflow = Path(sys.executable).with_name("airflow")
    with running_api_server(airflow, env, home.path / "api-server.log", free_port()) as server:
        server.token = server.token_for(ADMIN, PASSWORDS[ADMIN])
        # The role and its user, through FAB's own REST API.
        role = {
            "name": ONE_DAG_ROLE,
            "actions": [{"action": {"name": "can_read"}, "resource": {"name": f"DAG:{READABLE}"}}],
        }
        status, body = server.request("POST", "/auth/fab/v1/roles", role)
        assert status in (200, 201), body
        user = {"username": ONE_DAG_USER, "password": PASSWORDS[ONE_DAG_USER], "email": "one@example.com"}
        user |= {"first_name": "One", "last_name": "Dag", "roles": [{"name": ONE_DAG_ROLE}]}
        status, body = server.request("POST", "/auth/fab/v1/users", user)
        assert status in (200, 201), body
        tokens = {name: server.token_for(name, password) for name, password in PASSWORDS.items()}
        yield Fab(server, tokens, tracking_ids)


def _requests(fab: Fab, user: str) -> list[dict[str, object]]:
    status, body = fab.server.request("GET", "/make/api/v1/requests", token=fab.tokens[user])
    assert status == 200, body
    assert body["total_entries"] == len(body["requests"])
    requests: list[dict[str, object]] = body["requests"]
    return requests


def test_the_admin_sees_both_dags(fab: Fab) -> None:
    requests = _requests(fab, ADMIN)
    assert sorted((r["dag_id"], r["tracking_id"]) for r in requests) == sorted(fab.tracking_ids.items())


def test_a_user_limited_to_one_dag_sees_none_of_the_other(fab: Fab) -> None:
    requests = _requests(fab, ONE_DAG_USER)
    assert [(r["dag_id"], r["tracking_id"]) for r in requests] == [(READABLE, fab.tracking_ids[READABLE])]
    # Asking for the other DAG by name finds nothing either.
    path = f"/make/api/v1/requests?dag_id={HIDDEN}"
    status, body = fab.server.request("GET", path, token=fab.tokens[ONE_DAG_USER])
    assert (status, body["total_entries"], body["requests"]) == (200, 0, [])
    # Nor does the page: it names the readable DAG's request, and nothing of the other.
    status, html = fab.server.request("GET", "/make/", token=fab.tokens[ONE_DAG_USER])
    assert status == 200, html
    assert READABLE in html and fab.tracking_ids[READABLE] in html
    assert HIDDEN not in html and fab.tracking_ids[HIDDEN] not in html


def test_without_a_token_the_api_and_the_page_answer_401(fab: Fab) -> None:
    for path in ("/make/api/v1/requests", "/make/api/v1/summary", "/make/"):
        status, body = fab.server.request("GET", path, token="")
        assert status == 401, (path, status, json.dumps(body)[:200])
