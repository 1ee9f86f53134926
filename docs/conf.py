"""Sphinx configuration of the airflow-provider-make documentation.

Build with ``bash scripts/docs`` (HTML in ``docs/_build/html``); warnings are errors.
"""

from __future__ import annotations

import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

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


class ResultCodesTable(Directive):
    """``.. make-result-codes::``: the result-code table, read from ``client/result_codes.py``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from airflow_provider_make.client.result_codes import RESULT_CODES, Action

        effect = {
            Action.SUCCEED: "accepted: the task goes on",
            Action.FAIL: "**fails at once** (no retry)",
            Action.RETRY: "fails this try; **retries apply**",
            Action.WAIT: "**keeps waiting** (sensors, waiting operators, trigger)",
        }
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 8 40 22 30",
            "",
            "   * - code",
            "     - meaning",
            "     - what the task does",
            "     - hint (in the error message)",
        ]
        for code in sorted(RESULT_CODES):
            row = RESULT_CODES[code]
            lines += [
                f"   * - {code}",
                f"     - {row.meaning}",
                f"     - {effect[row.action]}",
                f"     - {row.hint or ''}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="result_codes.py"), self.content_offset, container)
        return list(container.children)


def setup(app: object) -> dict[str, object]:
    app.add_directive("make-result-codes", ResultCodesTable)  # type: ignore[attr-defined]
    return {"parallel_read_safe": True}
