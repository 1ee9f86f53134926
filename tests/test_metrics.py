"""The provider's metrics reach StatsD from a real task: a UDP listener on loopback reads them.

``airflow dags test`` runs tests/dags/metrics_sends.py (three makeSms+ operators, which count
their sends with :mod:`airflow_provider_make.monitoring.metrics`) with ``[metrics] statsd_on``
pointing at the listener, and ``statsd_influxdb_enabled`` so the tags travel in the names.
The sums must match what the sandbox accepted, refused and charged.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from airflow_provider_make.monitoring import metrics
from tests.conftest import LOGIN, TEST_DAGS, AirflowHome, Sandbox

#: ``airflow.make.requests.accepted,kind=sms_plus:1|c``: prefix, name, tags, value, type.
STATSD_LINE = re.compile(
    r"^airflow\.(?P<name>[\w.]+)(?P<tags>(?:,\w+=[^,:]*)*):(?P<value>[-\d.]+)\|(?P<type>\w+)"
)


@dataclass
class Metric:
    name: str
    tags: dict[str, str]
    value: float
    type: str


@dataclass
class StatsdListener:
    """A UDP socket on loopback that keeps every StatsD line it receives."""

    sock: socket.socket
    lines: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    def receive(self) -> None:
        while True:
            try:
                packet = self.sock.recv(65536)
            except OSError:  # closed
                return
            self.lines += packet.decode().splitlines()

    def metrics(self, prefix: str = "make.") -> list[Metric]:
        found = []
        for line in self.lines:
            match = STATSD_LINE.match(line)
            if match and match["name"].startswith(prefix):
                tags = dict(tag.split("=", 1) for tag in match["tags"].split(",") if tag)
                found.append(Metric(match["name"], tags, float(match["value"]), match["type"]))
        return found


@pytest.fixture
def statsd() -> Iterator[StatsdListener]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    listener = StatsdListener(sock)
    thread = threading.Thread(target=listener.receive, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        sock.close()
        thread.join(5)


@pytest.mark.airflow
def test_a_task_counts_its_requests_in_statsd(
    airflow_home: AirflowHome, api: Sandbox, statsd: StatsdListener
) -> None:
    credits_before = api.credits_of(LOGIN)
    api.fault("code:0", count=1, path="/apimakesmsplus.php")  # the first makeSms+ is refused
    run = airflow_home.dags_test(
        "make_metrics",
        api.conn_json(),
        dagfile=TEST_DAGS / "metrics_sends.py",
        AIRFLOW__METRICS__STATSD_ON="True",
        AIRFLOW__METRICS__STATSD_HOST="127.0.0.1",
        AIRFLOW__METRICS__STATSD_PORT=str(statsd.port),
        AIRFLOW__METRICS__STATSD_PREFIX="airflow",
        AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED="True",
    )
    states = run.task_states()
    assert len(states) == 4 and [state for state, _ in states.values()].count("failed") == 1, run.output[
        -4000:
    ]
    sends = api.requests("/apimakesmsplus.php")
    accepted = [send for send in sends if send["id"] is not None]
    assert len(sends) == 3 + 5 and len(accepted) == len(sends) - 1, sends  # a campaign's rows count too

    def named(name: str) -> list[Metric]:
        return [metric for metric in statsd.metrics() if metric.name == name]

    counted = named(metrics.REQUESTS_ACCEPTED)
    assert sum(m.value for m in counted) == len(accepted)
    assert {m.type for m in counted} == {"c"}
    assert all(m.tags == {"kind": "sms_plus"} for m in counted)
    [refusal] = named(metrics.REQUESTS_REFUSED)
    assert (refusal.value, refusal.tags) == (1, {"kind": "sms_plus", "result_code": "0"})
    spent = named(metrics.CREDITS_SPENT)
    assert sum(m.value for m in spent) == credits_before - api.credits_of(LOGIN) > 0
    left = named(metrics.CREDITS_LEFT)
    assert left[-1].type == "g" and left[-1].value == api.credits_of(LOGIN)
    # Each exchange timed once: every request the sandbox received (the campaign reads the credits).
    timings = named(metrics.API_DURATION)
    assert all(m.type == "ms" and m.value >= 0 for m in timings)
    endpoints = sorted(m.tags["endpoint"] for m in timings)
    received = sorted("credits" if r["path"] == "/apicredits.php" else "sms_plus" for r in api.requests())
    assert endpoints == received


IMPORT_PROBE = """
import json, sys
import airflow.sdk
before = set(sys.modules)
import airflow_provider_make.monitoring.metrics
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_importing_the_metrics_loads_no_stats() -> None:
    # The operators call these functions; DAG files import the operators: Airflow's Stats
    # (and StatsD's client) are loaded on the first metric, in the worker, not at parse time.
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    added = json.loads(done.stdout.strip().splitlines()[-1])
    assert [name for name in added if not name.startswith("airflow_provider_make")] == []
