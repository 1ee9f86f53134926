"""What the ``airflow.plugins`` entry point loads: the plugin, unless the provider info loads it.

Installing the package is enough for the plugin (the entry point). The provider info
lists it too, and Airflow loads that list when ``[core] lazy_discover_providers`` is off:
then a second ``make`` would be reported as an import error ("already registered"), so
the entry point yields None, which Airflow skips quietly (it is not a class).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "MakePlugin":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from airflow import settings  # loaded already wherever plugins are

    if not getattr(settings, "LAZY_LOAD_PROVIDERS", True):
        return None
    from airflow_provider_make.monitoring.plugin import MakePlugin

    return MakePlugin
