"""The provider metadata Airflow validates at start-up, and what Airflow's CLI shows of it.

A broken ``get_provider_info()`` breaks every Airflow command, so it is checked against
Airflow's own schemas, every class it names is imported, and real ``airflow providers``
commands must list the provider, its hook, links, notifier and connection form.
"""

from __future__ import annotations

import importlib
import json
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest
import tomllib
from airflow.sdk import BaseHook, BaseNotifier, BaseOperatorLink

from airflow_provider_make.compat import task_sdk_version
from airflow_provider_make.get_provider_info import get_provider_info
from tests.conftest import ROOT, AirflowHome

AIRFLOW_DIR = Path(importlib.import_module("airflow").__file__ or "").parent


def _load(path: str) -> object:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_provider_info_matches_airflows_runtime_schema() -> None:
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_provider_info_has_only_top_level_keys_the_runtime_schema_defines() -> None:
    """The runtime schema lets unknown keys through (no ``additionalProperties: false``)."""
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    assert set(get_provider_info()) <= set(schema["properties"])
    assert "versions" not in get_provider_info()


def test_integration_matches_the_provider_yaml_schema_and_its_files_exist() -> None:
    """logo and how-to-guide, as the official providers fill them, point at real files."""
    schema = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())
    [integration] = get_provider_info()["integrations"]
    jsonschema.validate(integration, schema["properties"]["integrations"]["items"])
    assert set(integration) == {"integration-name", "external-doc-url", "logo", "how-to-guide", "tags"}
    root = Path(__file__).resolve().parent.parent
    for path in [integration["logo"], *integration["how-to-guide"]]:
        assert path.startswith("/docs/"), path
        assert (root / path.lstrip("/")).is_file(), path
    toctree = (root / "docs" / "howto" / "index.rst").read_text()
    for path in integration["how-to-guide"]:
        assert f"   {Path(path).stem}\n" in toctree, path


def test_connection_type_matches_airflows_provider_yaml_schema() -> None:
    """conn-fields and ui-field-behaviour are checked against the provider.yaml schema."""
    schema = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())
    item_schema = schema["properties"]["connection-types"]["items"]
    for connection_type in get_provider_info()["connection-types"]:
        jsonschema.validate(connection_type, item_schema)
    behaviour_schema = json.loads((AIRFLOW_DIR / "customized_form_field_behaviours.schema.json").read_text())
    behaviour = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
    jsonschema.validate(
        {
            "hidden_fields": behaviour["hidden-fields"],
            "relabeling": behaviour["relabeling"],
            "placeholders": behaviour["placeholders"],
        },
        behaviour_schema,
    )


def test_connection_type_has_only_keys_airflow_reads() -> None:
    """Airflow's schemas let unknown keys through; a misplaced field would vanish silently."""
    [connection] = get_provider_info()["connection-types"]
    assert set(connection) == {
        "connection-type",
        "hook-class-name",
        "hook-name",
        "ui-field-behaviour",
        "conn-fields",
    }
    assert list(connection["conn-fields"]) == [
        "default_region",
        "connect_timeout",
        "read_timeout",
        "total_timeout",
        "endpoints",
    ]


def test_entry_point_is_registered() -> None:
    [entry_point] = [
        ep
        for ep in metadata.entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_provider_make")
    ]
    assert entry_point.load() is get_provider_info


def test_the_package_metadata_names_no_address_that_leads_nowhere() -> None:
    """The project has no public home yet: its metadata must not send users to made-up URLs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "urls" not in project
    assert "://" not in json.dumps(project)


def test_every_class_and_module_named_imports() -> None:
    info = get_provider_info()
    [connection] = info["connection-types"]
    hook = _load(connection["hook-class-name"])
    assert isinstance(hook, type)
    assert issubclass(hook, BaseHook)
    assert hook.conn_type == connection["connection-type"] == "make"
    for path in info["extra-links"]:
        link = _load(path)
        assert isinstance(link, type)
        assert issubclass(link, BaseOperatorLink)
    for path in info["notifications"]:
        notifier = _load(path)
        assert isinstance(notifier, type)
        assert issubclass(notifier, BaseNotifier)
    [plugin] = info["plugins"]
    assert plugin["name"] == _load(plugin["plugin-class"]).name == "make"
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)


@pytest.mark.airflow
@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["providers", "list"], "airflow-provider-make"),
        (["providers", "hooks"], "airflow_provider_make.hooks.make.MakeHook"),
        (["providers", "links"], "airflow_provider_make.links.make.MakeCallRecordingLink"),
        (["providers", "notifications"], "airflow_provider_make.notifications.make.MakeSmsNotifier"),
        (["providers", "triggers"], "airflow_provider_make.triggers.make"),
        (["providers", "behaviours"], "make"),
    ],
)
def test_airflow_cli_shows_the_provider(airflow_home: AirflowHome, command: list[str], expected: str) -> None:
    if command[1] == "behaviours" and task_sdk_version() < (1, 2):
        pytest.skip("Airflow 3.1 loads a hook's form behaviour only with wtforms (the FAB provider)")
    done = airflow_home.airflow(*command, "--output", "json")
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert "Error when importing" not in done.stdout + done.stderr
    assert "airflow_provider_make" not in done.stderr or "Traceback" not in done.stderr


@pytest.mark.airflow
@pytest.mark.skipif(
    task_sdk_version() < (1, 2), reason="Airflow 3.1 reads no conn-fields: extras go in Extra Fields JSON"
)
def test_airflow_cli_shows_the_connection_form_fields(airflow_home: AirflowHome) -> None:
    done = airflow_home.airflow("providers", "widgets", "--output", "json")
    assert done.returncode == 0, done.stderr
    for field in ("extra__make__default_region", "extra__make__connect_timeout", "extra__make__read_timeout"):
        assert field in done.stdout
