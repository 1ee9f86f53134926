"""The ``make`` plugin: found through its entry point, light in a worker, listed once.

Time is measured in ``bench/import_cost.py``; this checks what keeps the import light
(nothing but this package's plugin module on top of ``airflow.sdk``: no FastAPI, no app)
and what ``airflow plugins`` shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, AirflowHome
from tests.helpers import PLUGIN_ENTRY_POINT, plugin_entry_point_path

PROBE = """
import json, sys
import airflow.sdk
before = set(sys.modules)
import airflow_provider_make.monitoring.plugin
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_importing_the_plugin_in_a_worker_loads_no_app() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    # The package's own __init__ (7 lines) is already loaded by airflow.sdk on 3.2+, not on 3.1.
    added = set(json.loads(done.stdout.strip().splitlines()[-1])) - {"airflow_provider_make"}
    assert added == {"airflow_provider_make.monitoring", "airflow_provider_make.monitoring.plugin"}, added


def test_pyproject_declares_the_entry_point() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert f'[project.entry-points."airflow.plugins"]\nmake = "{PLUGIN_ENTRY_POINT}"\n' in text
    assert '"apache-airflow>=3.1.1,' in text  # 3.1.0's UI breaks a plugin page's login (fixed in 3.1.1)


def _plugins(home: AirflowHome, tmp_path: Path, **env: str) -> tuple[list[dict[str, object]], str]:
    shim = plugin_entry_point_path(tmp_path)
    pythonpath = os.pathsep.join(path for path in (shim, os.environ.get("PYTHONPATH", "")) if path)
    done = home.airflow("plugins", "--output", "json", PYTHONPATH=pythonpath, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    # The JSON is the last line; log lines before it may start with "[" too ("[info ] ...", 3.2).
    listed = [line for line in done.stdout.splitlines() if line.startswith(("[{", "[]"))]
    return json.loads(listed[-1]), done.stdout + done.stderr


@pytest.mark.airflow
def test_airflow_plugins_shows_make(airflow_home: AirflowHome, tmp_path: Path) -> None:
    plugins, output = _plugins(airflow_home, tmp_path)
    [make] = [plugin for plugin in plugins if plugin["name"] == "make"]
    assert "already registered" not in output
    assert "monitoring" in str(make["source"])


@pytest.mark.airflow
def test_listed_once_when_providers_are_discovered_eagerly(airflow_home: AirflowHome, tmp_path: Path) -> None:
    """``lazy_discover_providers`` off: the provider info's plugin is loaded, the entry point steps aside."""
    from airflow_provider_make.get_provider_info import get_provider_info

    if not get_provider_info().get("plugins"):
        pytest.skip("the provider info does not list the plugin yet")
    plugins, output = _plugins(airflow_home, tmp_path, AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS="False")
    assert [plugin["name"] for plugin in plugins].count("make") == 1
    assert "already registered" not in output
