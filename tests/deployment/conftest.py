"""The deployment tier: a real Airflow, as users run it, against sandbox processes.

PostgreSQL (Debian's binaries, a private cluster in a temporary folder), ``airflow db
migrate``, then separate ``airflow scheduler``, ``dag-processor``, ``triggerer`` and
``api-server`` processes (LocalExecutor), or a Celery worker on a private Redis. Every server
listens on 127.0.0.1 only; Airflow's log servers are not started (``--skip-serve-logs``: they
would bind every interface). Tests drive Airflow through its REST API v2 with a JWT from
``/auth/token`` (SimpleAuthManager, a user with a known password), and read what the
sandboxes received. ``bash scripts/deployment-deps`` installs what this needs.

These tests run only when selected (``pytest tests/deployment -m deployment``); every wait
is bounded, and every process started here is stopped at the end of its fixture.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest

from tests.conftest import EXAMPLE_DAGS, LOGIN, PASSWORD, Sandbox

HERE = Path(__file__).resolve().parent
DEPLOYMENT_DAGS = HERE / "dags"
DEPLOYMENT_DAGS_FILE = "deployment_kills.py"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
#: The fast sandbox (``make_default``): the 10 s tracking delay is 0.2 s, the follow-up SMS 6 s.
FAST_SPEED = 50.0
#: The slow sandbox (``make_slow``): the tracking log of an SMS appears 20 s after sending.
SLOW_SPEED = 0.5
ADMIN = "admin"
#: Airflow's ``[metrics] statsd_prefix`` in the deployments: every metric's name starts with it.
STATSD_PREFIX = "deployment"
TERMINAL = ("success", "failed")
T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "deployment: starts a real Airflow deployment (minutes; opt-in)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tier only when ``-m`` names it, never as part of a broader selection."""
    if "deployment" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="the deployment tier runs only when selected: -m deployment")
    for item in items:
        if item.get_closest_marker("deployment"):
            item.add_marker(skip)


# ----------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for(what: str, check: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Poll ``check`` until it returns something other than None or False, at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    for _ in range(int(timeout / interval) + 2):
        try:
            value = check()
        except (OSError, ValueError, KeyError) as error:  # a server still starting
            last_error, value = error, None
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last error: {last_error!r})")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} unreadable)"


@dataclass
class Process:
    """A server process in its own session, so it and its children stop together."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str] | None = field(default=None, repr=False)
    user: str | None = None
    popen: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = None

    def start(self) -> Process:
        self._out = self.log.open("ab")
        args = self.args if self.user is None else ["runuser", "-u", self.user, "--", *self.args]
        self.popen = subprocess.Popen(
            args, env=self.env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def terminate(self) -> None:
        self._signal_group(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the process and everything in its session, as a crash would."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def stop(self, grace: float = 20) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self._signal_group(signal.SIGKILL)  # children left behind by a clean exit, too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        if self._out is not None:
            self._out.close()


# ----------------------------------------------------------------------------- sandboxes


class SandboxProcess(Sandbox):
    """``python -m airflow_provider_make.sandbox`` in a process, driven over HTTP."""

    def __init__(self, speed: float, log: Path) -> None:
        args = [sys.executable, "-m", "airflow_provider_make.sandbox", "--port", "0", "--speed", str(speed)]
        args += ["--account", f"{LOGIN}:{PASSWORD}:1000000", "--quiet"]
        self.log = log
        self.popen = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log.open("ab"), text=True)
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()  # the sandbox prints it at once, flushed
        match = re.fullmatch(r"make sandbox listening on (http://127\.0\.0\.1:\d+/)\n", line)
        if match is None:
            self.popen.kill()
            raise RuntimeError(f"the sandbox did not start: {line!r}\n{tail(log)}")
        self.url = match.group(1)
        self.speed = speed

    def sms_plus(self) -> list[dict[str, Any]]:
        return self.requests("/apimakesmsplus.php")

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


@pytest.fixture(scope="session")
def deployment_tmp() -> Iterator[Path]:
    """A temporary folder every user can enter (PostgreSQL runs as ``postgres`` when we are root)."""
    path = Path(tempfile.mkdtemp(prefix="make-deployment-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def fast_sandbox(deployment_tmp: Path) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(FAST_SPEED, deployment_tmp / "sandbox-fast.log")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def slow_sandbox(deployment_tmp: Path) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(SLOW_SPEED, deployment_tmp / "sandbox-slow.log")
    yield sandbox
    sandbox.stop()


# ----------------------------------------------------------------------------- PostgreSQL


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.fail("PostgreSQL's binaries are missing: run `bash scripts/deployment-deps` first")
    return found[-1].parent


@dataclass
class Postgres:
    """A private PostgreSQL cluster on a loopback port, with trust authentication."""

    port: int
    data: Path
    bin: Path
    user: str | None
    server: Process | None = None

    def _run(self, *args: str) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{' '.join(args[:2])}: {done.stdout}{done.stderr}"
        return done.stdout

    def start(self) -> None:
        self.data.mkdir()
        if self.user is not None:
            shutil.chown(self.data, self.user, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.data),
            "max_connections": "300",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "64MB",
        }
        args = [str(self.bin / "postgres"), "-D", str(self.data)]
        for key, value in options.items():
            args += ["-c", f"{key}={value}"]
        self.server = Process("postgres", args, self.data.parent / "postgres.log", user=self.user).start()
        wait_for("PostgreSQL accepting connections", self._ready, timeout=60)

    def _ready(self) -> bool:
        assert self.server is not None
        if not self.server.alive():
            raise AssertionError(f"PostgreSQL exited:\n{tail(self.server.log)}")
        done = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
            timeout=10,
            check=False,
        )
        return done.returncode == 0

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(grace=15)


@pytest.fixture(scope="session")
def postgres(deployment_tmp: Path) -> Iterator[Postgres]:
    """PostgreSQL with ``airflow`` migrated, and ``airflow_celery`` a copy of it."""
    pg = Postgres(
        free_port(), deployment_tmp / "pgdata", _pg_bin(), "postgres" if os.geteuid() == 0 else None
    )
    try:
        pg.start()
        pg.sql("create database airflow")
        env = airflow_env(deployment_tmp / "migrate-home", pg.url("airflow"), 1, "", "")
        done = subprocess.run(
            [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        pg.sql("create database airflow_celery template airflow")
        yield pg
    finally:
        pg.stop()


# ----------------------------------------------------------------------------- Airflow


def airflow_env(home: Path, db_url: str, api_port: int, make_default: str, make_slow: str) -> dict[str, str]:
    """The environment of every Airflow process of one deployment (no other ``AIRFLOW*`` leaks in)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base = f"http://127.0.0.1:{api_port}"
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=db_url,
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",  # its server would listen on every address
        # Never started (--skip-serve-logs), but if one were, it would get a port of its own.
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        # A killed triggerer's triggers move to a live one after 10 s instead of 30.
        AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC="2",
        AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD="10",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
        AIRFLOW_CONN_MAKE_DEFAULT=make_default,
        AIRFLOW_CONN_MAKE_SLOW=make_slow,
    )
    return env


@dataclass
class Deployment:
    """One running Airflow: its processes, its REST API, its sandboxes."""

    home: Path
    env: dict[str, str] = field(repr=False)  # the connections hold the sandbox password
    api_url: str
    fast: SandboxProcess
    slow: SandboxProcess
    components: dict[str, Process] = field(default_factory=dict)
    _token: str = field(default="", repr=False)

    # -- processes ------------------------------------------------------------------------

    def start(self, name: str, *args: str) -> Process:
        logs = self.home / "process-logs"
        logs.mkdir(exist_ok=True)
        process = Process(name, [AIRFLOW, *args], logs / f"{name}.log", env=self.env).start()
        self.components[name] = process
        return process

    def stop_all(self) -> None:
        """SIGTERM every process at once, then wait for each (SIGKILL after a shared grace time)."""
        processes = list(self.components.values())
        for process in processes:
            if process.alive():
                process.terminate()
        deadline = time.monotonic() + 15
        for process in processes:
            process.stop(grace=max(deadline - time.monotonic(), 0.1))

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{tail(p.log, 25)}" for p in self.components.values())

    # -- REST API v2 ----------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self.api_url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def login(self) -> None:
        answer = self._request(
            "POST", "/auth/token", {"username": ADMIN, "password": self.admin_password()}, auth=False
        )
        self._token = answer["access_token"]

    def admin_password(self) -> str:
        passwords: dict[str, str] = json.loads((self.home / "passwords.json").read_text())
        return passwords[ADMIN]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        try:
            return self._request(method, path, body)
        except urllib.error.HTTPError as error:
            if error.code != 401:
                detail = error.read().decode(errors="replace")
                raise AssertionError(f"{method} {path}: HTTP {error.code} {detail}") from None
        self.login()  # the token expired
        return self._request(method, path, body)

    def health(self) -> dict[str, Any]:
        health: dict[str, Any] = self._request("GET", "/api/v2/monitor/health", auth=False)
        return health

    def dag_ids(self) -> set[str]:
        dags = self.api("GET", "/api/v2/dags?limit=100")["dags"]
        return {dag["dag_id"] for dag in dags}

    def import_errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.api("GET", "/api/v2/importErrors")["import_errors"]
        return errors

    def import_error(self, dag_id: str) -> str | None:
        """The stack trace of the file that should declare ``dag_id``, if it failed to import."""
        name = expected_dag_ids().get(dag_id)
        for error in self.import_errors():
            if Path(error["filename"]).name == name:
                return str(error["stack_trace"])
        return None

    def trigger(self, dag_id: str) -> str:
        """Unpause and trigger ``dag_id`` the way the UI does: no logical date."""
        self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
        assert run["logical_date"] is None, run
        run_id: str = run["dag_run_id"]
        return run_id

    def run_state(self, dag_id: str, run_id: str) -> str:
        state: str = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{_q(run_id)}")["state"]
        return state

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        def done() -> str | None:
            state = self.run_state(dag_id, run_id)
            return state if state in TERMINAL else None

        try:
            return wait_for(f"run {run_id} of {dag_id} to end", done, timeout, interval=1)
        except TimeoutError as error:
            tasks = self.task_instances(dag_id, run_id)
            raise AssertionError(f"{error}; tasks: {tasks}\n{self.logs()}") from None

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        found = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{_q(run_id)}/taskInstances")
        return {ti["task_id"]: ti for ti in found["task_instances"]}

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        ti: dict[str, Any] = self.api(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{_q(run_id)}/taskInstances/{task_id}"
        )
        return ti

    def wait_task_state(self, dag_id: str, run_id: str, task_id: str, state: str, timeout: float) -> str:
        """The task instance's id once it is in ``state``."""

        def reached() -> str | None:
            ti = self.task_instance(dag_id, run_id, task_id)
            return str(ti["id"]) if ti["state"] == state else None

        return wait_for(f"{task_id} of {dag_id} {state}", reached, timeout)

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        """The task's log as written by the worker (JSON lines), read from ``AIRFLOW_HOME/logs``."""
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob(f"attempt={try_number}*")))

    def errors(self, dag_id: str, run_id: str) -> list[str]:
        """The error events of every try of every task of a run: why it failed, in a line each."""
        found: list[str] = []
        for task_id, ti in self.task_instances(dag_id, run_id).items():
            for attempt in range(1, int(ti["try_number"] or 0) + 1):
                for line in self.task_log(dag_id, run_id, task_id, attempt).splitlines():
                    found += [f"{task_id} try {attempt}: {e}" for e in _error_events(line)]
        return found


def _error_events(line: str) -> list[str]:
    try:
        event = json.loads(line)
    except ValueError:
        return []
    if not isinstance(event, dict) or event.get("level") not in ("error", "critical"):
        return []
    text = str(event.get("event", ""))
    details = event.get("error_detail") or []
    if details and isinstance(details, list) and isinstance(details[-1], dict):
        text += f" [{details[-1].get('exc_type')}: {details[-1].get('exc_value')}]"
    return [text]


def _q(run_id: str) -> str:
    return urllib.parse.quote(run_id, safe="")


def _dags_folder(home: Path) -> None:
    """The example DAGs and the tier's own DAGs, copied into one DAGs folder."""
    dags = home / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    for source in [*EXAMPLE_DAGS.glob("*.py"), *DEPLOYMENT_DAGS.glob("*.py")]:
        shutil.copy(source, dags / source.name)


def expected_dag_ids() -> dict[str, str]:
    """Each DAG id the DAG files declare, and the name of its file."""
    found: dict[str, str] = {}
    for source in [*EXAMPLE_DAGS.glob("*.py"), *DEPLOYMENT_DAGS.glob("*.py")]:
        found.update(dict.fromkeys(re.findall(r'dag_id="([a-z_]+)"', source.read_text()), source.name))
    return found


def start_deployment(
    home: Path,
    database: str,
    postgres: Postgres,
    fast: SandboxProcess,
    slow: SandboxProcess,
    components: dict[str, list[str]],
    **extra_env: str,
) -> Deployment:
    """Start ``components`` (name: airflow arguments) and wait until Airflow is healthy and has every DAG."""
    api_port = free_port()
    env = airflow_env(home, postgres.url(database), api_port, fast.conn_json(), slow.conn_json())
    env.update(extra_env)
    _dags_folder(home)
    (home / "passwords.json").write_text(json.dumps({ADMIN: secrets.token_urlsafe(12)}))
    deployment = Deployment(home, env, f"http://127.0.0.1:{api_port}", fast, slow)
    deployment.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(api_port), "-w", "1")
    for name, args in components.items():
        deployment.start(name, *args)
    try:

        def healthy() -> bool:
            for process in deployment.components.values():
                if not process.alive():
                    raise AssertionError(f"{process.name} exited:\n{tail(process.log)}")
            health = deployment.health()
            wanted = ["metadatabase", "scheduler", "dag_processor"]
            wanted += ["triggerer"] if "triggerer" in components else []
            return all((health.get(part) or {}).get("status") == "healthy" for part in wanted)

        wait_for("Airflow healthy", healthy, timeout=180, interval=1)
        deployment.login()
        wanted = expected_dag_ids()

        def parsed() -> bool:
            # A file that does not import fails its own tests (see Deployment.import_error), not all.
            broken = {Path(error["filename"]).name for error in deployment.import_errors()}
            present = deployment.dag_ids()
            return all(dag_id in present or name in broken for dag_id, name in wanted.items())

        wait_for("every DAG parsed", parsed, timeout=120, interval=1)
        if DEPLOYMENT_DAGS_FILE in {Path(e["filename"]).name for e in deployment.import_errors()}:
            raise AssertionError(f"the tier's own DAGs do not import: {deployment.import_errors()}")
    except BaseException as error:
        logs = deployment.logs()
        deployment.stop_all()
        raise AssertionError(f"Airflow did not start: {error}\n{logs}") from error
    return deployment


class StatsdListener:
    """A UDP socket on loopback that keeps every StatsD line Airflow's processes send it."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port: int = self.socket.getsockname()[1]
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="statsd-listener", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                packet = self.socket.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:  # a packet may hold several metrics, one a line
                self._lines += packet.decode(errors="replace").splitlines()

    def lines(self) -> list[str]:
        """Every line received so far, in order (``name:value|type``, tags after the name or ``|#``)."""
        with self._lock:
            return list(self._lines)

    def env(self) -> dict[str, str]:
        """The Airflow settings that send the deployment's metrics here."""
        return {
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(self.port),
            "AIRFLOW__METRICS__STATSD_PREFIX": STATSD_PREFIX,
        }

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture(scope="session")
def statsd() -> Iterator[StatsdListener]:
    """Where the deployments send their StatsD metrics (harmless to the tests that ignore them)."""
    listener = StatsdListener()
    yield listener
    listener.stop()


LOCAL_COMPONENTS = {
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


@pytest.fixture(scope="module")
def local_airflow(
    deployment_tmp: Path,
    postgres: Postgres,
    fast_sandbox: SandboxProcess,
    slow_sandbox: SandboxProcess,
    statsd: StatsdListener,
) -> Iterator[Deployment]:
    """Airflow with the LocalExecutor: scheduler, dag-processor, triggerer and api-server processes
    (StatsD on, to ``statsd``)."""
    deployment = start_deployment(
        deployment_tmp / "local-home",
        "airflow",
        postgres,
        fast_sandbox,
        slow_sandbox,
        LOCAL_COMPONENTS,
        **statsd.env(),
    )
    try:
        yield deployment
    finally:
        deployment.stop_all()


@pytest.fixture(scope="module")
def redis_url(deployment_tmp: Path) -> Iterator[str]:
    """A private Redis on a loopback port, nothing saved to disk."""
    server_bin = shutil.which("redis-server")
    if server_bin is None:
        pytest.fail("redis-server is missing: run `bash scripts/deployment-deps` first")
    port = free_port()
    folder = deployment_tmp / "redis"
    folder.mkdir(exist_ok=True)
    args = [server_bin, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    args += ["--dir", str(folder), "--protected-mode", "yes"]
    redis = Process("redis", args, deployment_tmp / "redis.log").start()

    def ready() -> bool:
        if not redis.alive():
            raise AssertionError(f"redis-server exited:\n{tail(redis.log)}")
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    try:
        wait_for("Redis", ready, timeout=30, interval=0.2)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        redis.stop(grace=10)


@pytest.fixture(scope="module")
def celery_airflow(
    deployment_tmp: Path,
    postgres: Postgres,
    fast_sandbox: SandboxProcess,
    slow_sandbox: SandboxProcess,
    redis_url: str,
) -> Iterator[Deployment]:
    """Airflow with the CeleryExecutor on Redis: scheduler, dag-processor, api-server, one worker."""
    components = {
        "scheduler": ["scheduler", "--skip-serve-logs"],
        "dag-processor": ["dag-processor"],
        "celery-worker": ["celery", "worker", "--skip-serve-logs", "--concurrency", "2"],
    }
    deployment = start_deployment(
        deployment_tmp / "celery-home",
        "airflow_celery",
        postgres,
        fast_sandbox,
        slow_sandbox,
        components,
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CELERY__BROKER_URL=redis_url,
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + postgres.url("airflow_celery"),
        AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
    )
    try:
        yield deployment
    finally:
        deployment.stop_all()
