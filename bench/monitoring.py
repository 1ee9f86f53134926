"""Issue 13's monitoring figures: the API's answer times with many records, and a send's recording cost.

1. A migrated Airflow home gets 2,000 single requests and 10 campaigns of 10,000 rows
   (100,000 rows) recorded as the 3.1/3.2 store keeps them (Fernet-encrypted Variables,
   the slower of the two stores to read); a real ``airflow api-server`` serves the make
   app, and each endpoint is asked ``--samples`` times: p95 (target: under 1 s).
2. ``airflow dags test`` of bench/monitoring_dag.py against a sandbox ``--latency`` away
   in its own process: the median send with its two durable writes, with and without the
   monitoring record in them (target: under 5% more).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.sandbox_process import sandbox_process

ROOT = Path(__file__).resolve().parent.parent
SINGLES = 2_000
CAMPAIGNS, CAMPAIGN_ROWS = 10, 10_000
ADMIN_PASSWORD = "bench-admin"  # noqa: S105 - a throwaway home's user
LOGIN, PASSWORD = "bench@example.com", "bench-password"
ENTRY_POINT = "airflow_provider_make.monitoring.entry_point:MakePlugin"


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "bench"),
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        PYTHONPATH=os.pathsep.join([str(home / "entry_point"), str(ROOT)]),
    )
    env.update(extra)
    return env


def airflow(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    done = subprocess.run(
        command, env=environment(home, **extra), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    return done


def declare_entry_point(home: Path) -> None:
    """The plugin's entry point, as an install declares it (an older editable install may not)."""
    info = home / "entry_point" / "make_bench_shim-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: make-bench-shim\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[airflow.plugins]\nmake = {ENTRY_POINT}\n")


POPULATE = r"""
import hashlib, json, random, sys
from datetime import datetime, timedelta, timezone
from airflow.models.variable import Variable
from airflow.utils.session import create_session
from airflow_provider_make.monitoring.records import campaign_record, iso

singles, campaigns, rows_each = map(int, sys.argv[1:4])
now = datetime.now(timezone.utc)
random.seed(13)

def key(dag, identity, name):
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return f"make__{dag}__{digest}__{name}"

with create_session() as session:
    for n in range(singles):
        dag, when = f"dag_{n % 20}", iso(now - timedelta(minutes=n * 20))
        who = {"dag_id": dag, "run_id": f"run_{n}", "task_id": "send", "map_index": -1, "try_number": 1}
        state = random.choice(["accepted", "accepted", "finished", "refused", "unknown"])
        attempt = {"try_number": 1, "kind": random.choice(["sms", "sms_plus", "call", "ring"]),
                   "recipients": ["*********21"], "sent_at": when, "state": state}
        if state in ("accepted", "finished"):
            attempt.update(answered_at=when, tracking_id=f"id{n}", result_code=28, cost=5,
                           credits=1_000_000 - 5 * n, tracking_url=f"https://makesms.fr/apilog.php?id=id{n}")
        if state == "refused":
            attempt.update(answered_at=when, result_code=102, reason="insufficient credit")
        value = {"id": f"id{n}", "monitor": {"version": 1, "identity": who, "attempts": [attempt]}}
        session.add(Variable(key=key(dag, who["run_id"], "make_request"), val=json.dumps(value)))
    for c in range(campaigns):
        who = {"dag_id": "campaigns", "run_id": f"run_{c}", "task_id": "send", "map_index": -1,
               "try_number": 1}
        chunk_rows = 128
        for number in range(-(-rows_each // chunk_rows)):
            base = number * chunk_rows
            chunk = {str(row - base): ["accepted", f"c{c}r{row}", 38, 10, ""]
                     for row in range(base, min(base + chunk_rows, rows_each))}
            session.add(Variable(key=key("campaigns", who["run_id"], f"make_campaign_rows_{number}"),
                                 val=json.dumps(chunk)))
        counts = {"total": rows_each, "accepted": rows_each, "failed": 0, "invalid": 0, "unknown": 0,
                  "skipped_duplicates": 0, "cost": 10 * rows_each}
        monitor = campaign_record(who, counts=counts, started_at=iso(now - timedelta(days=c)), running=False)
        state = {"version": 1, "fingerprint": "f", "total": rows_each, "chunk_rows": chunk_rows,
                 "intents": [], "journal": {}, "monitor": monitor}
        session.add(Variable(key=key("campaigns", who["run_id"], "make_campaign"), val=json.dumps(state)))
"""


DAGS_FILE = """
from datetime import datetime
from airflow.sdk import DAG
for name in [f"dag_{n}" for n in range(20)] + ["campaigns"]:
    with DAG(dag_id=name, schedule=None, start_date=datetime(2026, 1, 1)):  # registered on exit
        pass
"""


def register_dags(home: Path) -> None:
    """The DAGs the records name: a user sees only the records of DAGs Airflow knows and lets them read."""
    folder = home / "dags"
    folder.mkdir()
    (folder / "bench_dags.py").write_text(DAGS_FILE)
    airflow(home, "dags", "reserialize", AIRFLOW__CORE__DAGS_FOLDER=str(folder))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def request(url: str, token: str = "", body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    call.add_header("Content-Type", "application/json")
    if token:
        call.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(call, timeout=120) as answer:
        return answer.status, answer.read()


def api_latency(home: Path, samples: int) -> dict[str, float]:
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": ADMIN_PASSWORD}))
    port = free_port()
    env = environment(
        home,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
    )
    command = [str(Path(sys.executable).with_name("airflow")), "api-server", "--port", str(port)]
    with (home / "api-server.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                request(base + "/api/v2/monitor/health")
                break
            except OSError:
                time.sleep(0.5)
        _, body = request(base + "/auth/token", body={"username": "admin", "password": ADMIN_PASSWORD})
        token = json.loads(body)["access_token"]
        paths = {
            "requests (newest 100)": "/make/api/v1/requests",
            "requests (kind=sms, 1000)": "/make/api/v1/requests?kind=sms&limit=1000",
            "summary (30 days)": "/make/api/v1/summary?days=30",
            "campaign rows (offset 5000, 1000)": (
                "/make/api/v1/campaigns/campaigns/run_0/send/-1/rows?offset=5000&limit=1000"
            ),
            "page": "/make/",
        }
        start = time.perf_counter()
        _, body = request(base + paths["requests (newest 100)"], token)  # builds the app, reads every record
        figures = {"first request after start": time.perf_counter() - start}
        listed = json.loads(body)["total_entries"]
        if listed != SINGLES + CAMPAIGNS:
            raise RuntimeError(f"the API lists {listed} requests, not the {SINGLES + CAMPAIGNS} recorded")
        for name, path in paths.items():
            times = []
            for _ in range(samples):
                start = time.perf_counter()
                status, _ = request(base + path, token)
                times.append(time.perf_counter() - start)
                assert status == 200
            figures[name] = statistics.quantiles(times, n=20)[18]  # p95
        return figures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def recording_cost(home: Path, latency: float, rounds: int) -> tuple[float, float]:
    with sandbox_process(speed=50.0, credits=10_000_000, latency=latency, account=(LOGIN, PASSWORD)) as url:
        conn = json.dumps({"conn_type": "make", "host": url, "login": LOGIN, "password": PASSWORD})
        done = airflow(
            home,
            "dags",
            "test",
            "monitoring_recording_cost",
            "--dagfile-path",
            str(ROOT / "bench" / "monitoring_dag.py"),
            AIRFLOW_CONN_MAKE_DEFAULT=conn,
            MONITORING_ROUNDS=str(rounds),
        )
    found = re.search(r"RECORDING plain=([0-9.]+) recorded=([0-9.]+)", done.stdout + done.stderr)
    if found is None:
        raise RuntimeError((done.stdout + done.stderr)[-3000:])
    return float(found.group(1)), float(found.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="the sandbox's answer delay, seconds")
    parser.add_argument("--rounds", type=int, default=40)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="make-bench-monitoring-") as folder:
        home = Path(folder)
        declare_entry_point(home)
        airflow(home, "db", "migrate")
        register_dags(home)
        populate = subprocess.run(
            [sys.executable, "-c", POPULATE, str(SINGLES), str(CAMPAIGNS), str(CAMPAIGN_ROWS)],
            env=environment(home),
            capture_output=True,
            text=True,
            check=False,
        )
        if populate.returncode != 0:
            raise RuntimeError(populate.stderr[-3000:])
        figures = api_latency(home, options.samples)
        print(
            f"API with {SINGLES} single requests and {CAMPAIGNS * CAMPAIGN_ROWS} campaign rows recorded, "
            f"p95 of {options.samples} (target: under 1 s):"
        )
        for name, seconds in figures.items():
            print(f"  {name:<36} {seconds * 1000:7.0f} ms")
        plain, recorded = recording_cost(home, options.latency, options.rounds)
    print(
        f"a send {options.latency * 1000:.0f} ms away with its two durable writes: {plain:.1f} ms, "
        f"with the monitoring record in them: {recorded:.1f} ms ({(recorded / plain - 1) * 100:+.1f}%, "
        f"median of {options.rounds})"
    )


if __name__ == "__main__":
    main()
