"""A campaign of 10,000 and 100,000 rows through a real DAG run, against a sandbox 100 ms away.

Issue 9's benchmark: ``airflow dags test`` runs ``tests/dags/bulk_campaigns.py``'s
``bulk_large`` DAG (durable progress on: ``task_state_store``) against the sandbox in a
process of its own with ``--latency 0.1`` (an internet API's round trip) and
``max_concurrency=20``. The ideal is rows x 0.1 / 20 seconds (50 s for 10,000). Printed:
the ratio of the measured sending time to the ideal, the worker's CPU time per send, and
its peak memory at 10,000 and at 100,000 rows (the ratio of the two says whether memory
stays flat in the number of rows). The figures come from the operator's log line of its
sends and from bench/measure.py's line (CPU from the task's start, the process's peak memory).

    PYTHONPATH=. .venv/bin/python -m bench.campaign [--rows 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.sandbox_process import sandbox_process

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "tests" / "dags" / "bulk_campaigns.py"
LATENCY = 0.1
CONCURRENCY = 20
LOGIN, PASSWORD = "bench@example.com", "bench-password"


@contextmanager
def sandbox(latency: float) -> Iterator[str]:
    """The sandbox in its own process (its CPU is not the worker's); yields its URL."""
    with sandbox_process(speed=50.0, credits=10_000_000, latency=latency, account=(LOGIN, PASSWORD)) as url:
        yield url


def airflow(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    environment.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS.parent),
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        **env,
    )
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=1800, check=False)


def one_run(home: Path, url: str, rows: int) -> dict[str, float]:
    conn = json.dumps({"conn_type": "make", "host": url, "login": LOGIN, "password": PASSWORD})
    done = airflow(
        home,
        "dags",
        "test",
        "bulk_large",
        "--dagfile-path",
        str(DAGS),
        AIRFLOW_CONN_MAKE_DEFAULT=conn,
        BULK_ROWS=str(rows),
        BULK_CONCURRENCY=str(CONCURRENCY),
        BULK_MEASURE="1",
    )
    output = done.stdout + done.stderr
    sending = re.search(r"\((\d+) sends in ([0-9.]+) s, ([0-9.]+)/s\)", output)
    cost = re.search(
        r"([0-9.]+) s of CPU \(([0-9.]+) ms a send, checks included\), peak memory (\d+) MiB", output
    )
    if done.returncode != 0 or sending is None or cost is None:
        raise RuntimeError(f"the DAG run failed:\n{output[-3000:]}")
    sends, seconds = int(sending.group(1)), float(sending.group(2))
    ideal = sends * LATENCY / CONCURRENCY
    return {
        "rows": rows,
        "sends": sends,
        "seconds": seconds,
        "ideal": ideal,
        "ratio": seconds / ideal,
        "cpu_ms_per_send": float(cost.group(2)),
        "peak_mib": float(cost.group(3)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 100000])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="make-bench-home-") as folder, sandbox(LATENCY) as url:
        home = Path(folder)
        migrated = airflow(home, "db", "migrate")
        if migrated.returncode != 0:
            raise RuntimeError(migrated.stdout + migrated.stderr)
        figures = [one_run(home, url, rows) for rows in options.rows]
    for figure in figures:
        print(
            f"{figure['rows']:>6} rows: {figure['seconds']:.1f} s for {figure['sends']:.0f} sends "
            f"(ideal {figure['ideal']:.1f} s, measured/ideal {figure['ratio']:.2f}, "
            f"{100 / figure['ratio']:.0f}% of the ideal throughput), "
            f"CPU {figure['cpu_ms_per_send']:.2f} ms a send, worker peak memory {figure['peak_mib']:.0f} MiB"
        )
    if len(figures) >= 2:
        print(
            f"peak memory at {figures[-1]['rows']} rows / at {figures[0]['rows']} rows: "
            f"{figures[-1]['peak_mib'] / figures[0]['peak_mib']:.2f}"
        )


if __name__ == "__main__":
    main()
