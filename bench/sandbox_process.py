"""The sandbox in a process of its own, so that a benchmark measures only the client's CPU."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def sandbox_process(
    speed: float = 1000.0,
    credits: int = 1_000_000,
    latency: float = 0.0,
    account: tuple[str, str] = ("b@example.com", "pw"),
) -> Iterator[str]:
    """Start ``python -m airflow_provider_make.sandbox`` on a loopback port; yield its URL."""
    out = Path(tempfile.mkstemp(prefix="make-bench-sandbox-", suffix=".out")[1])
    with out.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "airflow_provider_make.sandbox",
                "--port",
                "0",
                "--speed",
                str(speed),
                "--latency",
                str(latency),
                "--quiet",
                "--account",
                f"{account[0]}:{account[1]}:{credits}",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(200):
            text = out.read_text()
            if "listening on " in text:
                yield text.split("listening on ", 1)[1].split()[0]
                return
            time.sleep(0.05)
        raise RuntimeError(f"the sandbox did not start: {out.read_text()}")
    finally:
        process.terminate()
        process.wait(10)
        out.unlink(missing_ok=True)
