"""Helpers several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import configparser
import importlib.metadata
from pathlib import Path

#: The ``airflow.plugins`` entry point pyproject.toml declares.
PLUGIN_ENTRY_POINT = "airflow_provider_make.monitoring.entry_point:MakePlugin"


def plugin_entry_point_path(folder: Path) -> str:
    """A folder to add to PYTHONPATH so that Airflow finds the plugin's entry point ("" if installed).

    An editable install made before the entry point existed does not declare it; this
    folder holds a distribution's metadata declaring pyproject.toml's, so Airflow loads
    the plugin the way it does once the package is (re)installed.
    """
    declared = [point.value for point in importlib.metadata.entry_points(group="airflow.plugins")]
    if PLUGIN_ENTRY_POINT in declared:
        return ""
    info = folder / "airflow_provider_make_plugin_shim-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: airflow-provider-make-plugin-shim\nVersion: 0\n"
    )
    (info / "entry_points.txt").write_text(f"[airflow.plugins]\nmake = {PLUGIN_ENTRY_POINT}\n")
    return str(folder)


def fernet_key(home: Path) -> str:
    """The Fernet key `airflow db migrate` wrote to a home's airflow.cfg (it encrypts Variables)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(home / "airflow.cfg")
    return config.get("core", "fernet_key", fallback="")
