"""Import cost of the operators over airflow.sdk, as a ratio against a trivial operator module;
and of the make plugin, which workers import too (issue 13: at most 5 ms over airflow.sdk)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent

TRIVIAL = """
from airflow.sdk import BaseOperator

class TrivialOperator(BaseOperator):
    def execute(self, context):
        return None
"""

PROBE = """
import sys, time
import airflow.sdk
from airflow.sdk import BaseNotifier, BaseOperator, BaseOperatorLink, BaseSensorOperator, conf
start = time.perf_counter()
{imports}
print((time.perf_counter() - start) * 1000)
"""


def _measure(imports: str, path: Path) -> float:
    samples = []
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(PROBE.format(imports=imports))],
            capture_output=True,
            text=True,
            check=True,
            # The checkout's package, not whichever an editable install points at.
            env={"PYTHONPATH": os.pathsep.join((str(path), str(ROOT))), "PATH": ""},
        )
        samples.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "trivial_operator.py").write_text(TRIVIAL)
        baseline = _measure("import trivial_operator", Path(folder))
        ours = _measure(
            "import airflow_provider_make.operators.make, airflow_provider_make.sensors.make, "
            "airflow_provider_make.notifications.make",
            Path(folder),
        )
    print(
        f"import over airflow.sdk: trivial operator {baseline:.1f} ms, "
        f"make operators+sensor+notifier {ours:.1f} ms"
    )
    print(f"  ratio make / trivial = {ours / baseline:.1f}x  (median of {RUNS} fresh interpreters)")
    with tempfile.TemporaryDirectory() as folder:
        plugin = _measure("import airflow_provider_make.monitoring.plugin", Path(folder))
    print(f"import of the make plugin over airflow.sdk: {plugin:.1f} ms (target: at most 5 ms)")


if __name__ == "__main__":
    main()
