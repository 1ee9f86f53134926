"""Sphinx configuration of the airflow-provider-make documentation.

Build with ``bash scripts/docs`` (HTML in ``docs/_build/html``); warnings are errors.
"""

from __future__ import annotations

import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# autodoc imports the package, hence Airflow: keep Airflow from creating files in the
# builder's home directory.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="make-docs-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

project = "airflow-provider-make"
author = "airflow-provider-make developers"
copyright = "2026, airflow-provider-make developers"
release = metadata.version("airflow-provider-make")
version = release

extensions = ["sphinx.ext.autodoc"]
exclude_patterns = ["_build"]
html_static_path = ["_static"]
html_theme = "alabaster"
html_theme_options = {
    "description": "Apache Airflow provider for the make API of makesms.fr",
    "fixed_sidebar": True,
}
html_title = f"{project} {release}"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"show-inheritance": False}
pygments_style = "sphinx"
