"""Importing the operators must stay cheap: Airflow parses DAG files constantly.

Time is measured in ``bench/``, never here; this checks the structure that keeps it
cheap: a DAG file importing the operators, the sensor and the notifier loads only this
package's thin modules on top of ``airflow.sdk``, not the HTTP stack, ``phonenumbers``,
the XML parser, the hook or the client layer.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import airflow.sdk
from airflow.sdk import BaseNotifier, BaseOperator, BaseOperatorLink, BaseSensorOperator
before = set(sys.modules)
import airflow_provider_make.operators.make
import airflow_provider_make.sensors.make
import airflow_provider_make.notifications.make
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_operators_import_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    added = json.loads(done.stdout.strip().splitlines()[-1])
    outside = [name for name in added if not name.startswith("airflow_provider_make")]
    assert outside == [], f"importing the operators also imports {outside}"
    for heavy in (
        "airflow_provider_make.hooks.make",
        "airflow_provider_make.client.transport",
        "airflow_provider_make.client.validation",
        "airflow_provider_make.triggers.make",
    ):
        assert heavy not in added
