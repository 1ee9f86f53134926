"""Shared fixtures: a real sandbox over HTTP, clients on it, and a real Airflow home.

Nothing here mocks the project's code or the HTTP libraries: tests talk to the sandbox
(``airflow_provider_make.sandbox``) over loopback HTTP and read what it received.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.kinds import KindClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = ROOT / "example_dags"
TEST_DAGS = Path(__file__).resolve().parent / "dags"

#: The password of the issue's "Done when": every character that URL-encoding changes.
PASSWORD = "p@ss w&rd+1/é"
LOGIN = "ops@example.com"
POOR_LOGIN = "poor@example.com"  # 3 credits: not enough for anything but a makeSms... (5)
#: Sandbox clock speed for the shared sandbox: the 10 s tracking delay is 0.2 s.
SPEED = 50.0


class Sandbox:
    """A running sandbox and its control endpoints, as tests use them."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url

    def _call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + "_sandbox/" + path, data=data, method="GET" if data is None else "POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def reset(self) -> None:
        self._call("reset", {})

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """What the API received, in order (``path`` like ``/apimakesms.php`` filters)."""
        received: list[dict[str, Any]] = self._call("requests")
        return [r for r in received if path is None or r["path"] == path]

    def sends(self) -> list[dict[str, Any]]:
        """The requests that spend credits (neither tracking nor credits)."""
        return [r for r in self.requests() if r["path"] not in ("/apilog.php", "/apicredits.php")]

    def fault(self, mode: str, count: int = 1, path: str | None = None) -> None:
        self._call("faults", {"mode": mode, "count": count, "path": path})

    def advance(self, seconds: float) -> None:
        self._call("clock", {"advance": seconds})

    def account(self, login: str, password: str, credits: int) -> None:
        self._call("accounts", {"login": login, "password": password, "credits": credits})

    def credits_of(self, login: str) -> int:
        return next(a["credits"] for a in self._call("accounts") if a["login"] == login)

    def conn_json(self, login: str = LOGIN, password: str = PASSWORD, **extra: Any) -> str:
        """An ``AIRFLOW_CONN_...`` value pointing at this sandbox."""
        conn: dict[str, Any] = {"conn_type": "make", "host": self.url, "login": login, "password": password}
        if extra:
            conn["extra"] = extra
        return json.dumps(conn)


def _start(speed: float) -> SandboxServer:
    accounts = [Account(LOGIN, PASSWORD, 100_000), Account(POOR_LOGIN, PASSWORD, 3)]
    return SandboxServer(port=0, speed=speed, accounts=accounts).start()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = _start(SPEED)
    yield server
    server.stop()


@pytest.fixture
def api(sandbox_server: SandboxServer) -> Sandbox:
    """The shared fast sandbox, reset before the test."""
    sandbox = Sandbox(sandbox_server)
    sandbox.reset()
    return sandbox


@pytest.fixture
def slow_api() -> Iterator[Sandbox]:
    """A sandbox on real time, for tests that need the 10 s 'too early' window."""
    server = _start(1.0)
    yield Sandbox(server)
    server.stop()


@pytest.fixture
def settings(api: Sandbox) -> ClientSettings:
    return ClientSettings(LOGIN, PASSWORD, base_url=api.url)


@pytest.fixture
def client(settings: ClientSettings) -> Iterator[KindClient]:
    with KindClient(settings) as made:
        yield made


@pytest.fixture
def make_default(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """``make_default`` pointing at the sandbox, the way users configure it: an env var."""
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json())
    return api


# ----------------------------------------------------------------------------- Airflow


@dataclass
class DagRun:
    """The outcome of one ``airflow dags test``."""

    dag_id: str
    returncode: int
    output: str
    home: Path

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "airflow.db")

    @property
    def run_id(self) -> str:
        """This run's id: the DAG's newest run (runs of one session share the database)."""
        with self._db() as db:
            row = db.execute(
                "select run_id from dag_run where dag_id = ? order by id desc limit 1", (self.dag_id,)
            )
            found: str = row.fetchone()[0]
        return found

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        with self._db() as db:
            row = db.execute(
                "select value from xcom where dag_id = ? and run_id = ? and task_id = ? and key = ?",
                (self.dag_id, self.run_id, task_id, key),
            ).fetchone()
        if row is None:
            return None
        # Airflow stores XCom as JSON; sqlite hands scalars back already decoded.
        return json.loads(row[0]) if isinstance(row[0], (str, bytes)) else row[0]

    def task_states(self) -> dict[str, tuple[str, int]]:
        with self._db() as db:
            rows = db.execute(
                "select task_id, state, try_number from task_instance where dag_id = ? and run_id = ?",
                (self.dag_id, self.run_id),
            )
            return {t: (s, n) for t, s, n in rows}


@dataclass
class AirflowHome:
    """A migrated Airflow home in a temporary folder, and a way to run DAGs in it."""

    path: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(self.path),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLE_DAGS),
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        )
        env.update(extra)
        return env

    def airflow(self, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).with_name("airflow")), *args]
        return subprocess.run(
            command, env=self.env(**env), capture_output=True, text=True, timeout=timeout, check=False
        )

    def dags_test(self, dag_id: str, conn: str, dagfile: Path | None = None, **env: str) -> DagRun:
        """Run ``airflow dags test`` with ``make_default`` given as ``conn`` (JSON)."""
        args = ["dags", "test", dag_id]
        if dagfile is not None:
            args += ["--dagfile-path", str(dagfile)]
            env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(dagfile.parent))
        done = self.airflow(*args, AIRFLOW_CONN_MAKE_DEFAULT=conn, **env)
        return DagRun(dag_id, done.returncode, done.stdout + done.stderr, self.path)


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    """One migrated Airflow home for the session (``airflow db migrate`` takes a while)."""
    home = AirflowHome(tmp_path_factory.mktemp("airflow_home"))
    done = home.airflow("db", "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    return home


# ----------------------------------------------------------------------------- a task's context


class MemoryStore:
    """A ``task_state_store``: get, set and delete of JSON values, kept across the tries of a test."""

    def __init__(self) -> None:
        self.records: dict[str, Any] = {}
        #: The ``retention`` of the last write (Airflow 3.3's ``set`` takes it).
        self.retention: timedelta | None = None

    def get(self, key: str) -> Any:
        return self.records.get(key)

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None:
        self.records[key] = json.loads(json.dumps(value))
        self.retention = retention

    def delete(self, key: str) -> None:
        self.records.pop(key, None)


@dataclass
class TaskInstance:
    """What the operators read of a task instance: its identity, and XCom pushes."""

    dag_id: str = "dag"
    run_id: str = "run"
    task_id: str = "send"
    map_index: int = -1
    try_number: int = 1
    pushed: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value
