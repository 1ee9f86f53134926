"""airflow_provider_make.compat: every name resolves, to what this Airflow uses, cheaply.

The suite runs on one Airflow at a time; these tests hold on 3.1, 3.2 and 3.3 alike
(``pytest tests/test_compat.py`` in a venv of each line).
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.util
import json
import re
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_make import compat

NAMES = [name for name in compat.__all__ if name != "task_sdk_version"]
#: The exceptions, and where this Airflow uses each: its task runner catches the first three
#: (fail without retries, retry, a sensor's timeout); a missing connection raises the last.
EXCEPTIONS = {
    "AirflowException": "airflow.sdk.execution_time.task_runner",
    "AirflowFailException": "airflow.sdk.execution_time.task_runner",
    "AirflowSensorTimeout": "airflow.sdk.bases.sensor",
    "AirflowNotFoundException": "airflow.exceptions",
}


@pytest.mark.parametrize("name", NAMES)
def test_every_name_resolves(name: str) -> None:
    assert getattr(compat, name) is not None
    assert name in dir(compat)


def test_every_name_is_used_by_the_package() -> None:
    """compat holds what the package needs, nothing more."""
    package = Path(compat.__file__).parent
    sources = "\n".join(path.read_text() for path in package.rglob("*.py") if path.name != "compat.py")
    unused = [name for name in NAMES if not re.search(rf"\b{name}\b", sources)]
    assert unused == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        compat.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def _imported_from(module: str, name: str) -> str:
    """The module ``module`` imports ``name`` from, at its top or inside a function (3.1, 3.2)."""
    source = Path(importlib.util.find_spec(module).origin or "").read_text()  # type: ignore[union-attr]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names):
            return node.module or ""
    return module  # defined there


@pytest.mark.parametrize(("name", "user"), EXCEPTIONS.items())
def test_exceptions_are_the_classes_this_airflow_raises_and_catches(name: str, user: str) -> None:
    value = getattr(compat, name)
    assert isinstance(value, type) and issubclass(value, BaseException)
    with warnings.catch_warnings():  # 3.2+ warn that these moved to airflow.sdk.exceptions
        warnings.simplefilter("ignore")
        assert getattr(importlib.import_module(_imported_from(user, name)), name) is value


def test_conf_reads_airflows_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "True")
    assert compat.conf.get("core", "dags_folder") == str(tmp_path)
    assert compat.conf.getboolean("core", "load_examples") is True
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    assert compat.conf.getboolean("core", "load_examples") is False


def test_amask_secret_is_airflows_or_the_fallback_for_this_line() -> None:
    sdk_log = importlib.import_module("airflow.sdk.log")
    if hasattr(sdk_log, "amask_secret"):
        assert compat.amask_secret is sdk_log.amask_secret
    elif compat.task_sdk_version() >= (1, 2):
        assert compat.amask_secret is compat._amask_in_thread
    else:
        assert compat.amask_secret is compat._amask_inline
    assert asyncio.iscoroutinefunction(compat.amask_secret)


def _redact(text: str) -> Any:
    for module in (
        "airflow.sdk.log",
        "airflow.sdk._shared.secrets_masker",
        "airflow.sdk.execution_time.secrets_masker",
    ):
        try:
            return importlib.import_module(module).redact(text)
        except (ImportError, AttributeError):
            continue
    raise AssertionError("no redact() in this Airflow")


@pytest.mark.parametrize("function", ["mask_secret", "amask_secret", "_amask_in_thread", "_amask_inline"])
def test_each_masking_function_masks(function: str) -> None:
    secret = f"compat-secret-{function}-4f9a"
    mask = getattr(compat, function)
    if asyncio.iscoroutinefunction(mask):
        asyncio.run(mask(secret))
    else:
        mask(secret)
    assert secret not in str(_redact(f"the value is {secret} here"))


class _SlowSupervisor:
    """Stands for the task runner's SUPERVISOR_COMMS: a send takes a while, as a round trip does."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def send(self, msg: Any) -> None:
        time.sleep(0.3)
        self.sent.append((type(msg).__name__, threading.get_ident()))

    async def asend(self, msg: Any) -> None:
        await asyncio.sleep(0.3)
        self.sent.append((type(msg).__name__, threading.get_ident()))


def test_the_thread_fallback_tells_the_supervisor_without_blocking_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 3.2 fallback: the supervisor gets MaskSecret, from a worker thread; the loop runs on."""
    task_runner = importlib.import_module("airflow.sdk.execution_time.task_runner")
    supervisor = _SlowSupervisor()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", supervisor, raising=False)

    async def scenario() -> tuple[int, int]:
        ticks = 0
        loop_thread = threading.get_ident()

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        await compat._amask_in_thread("compat-thread-secret-77c1")
        ticking.cancel()
        return ticks, loop_thread

    ticks, loop_thread = asyncio.run(scenario())
    assert [name for name, _ in supervisor.sent] == ["MaskSecret"]
    assert supervisor.sent[0][1] != loop_thread
    assert ticks >= 10, f"the event loop ran only {ticks} ticks during a 0.3 s send"


PROBE = """
import json, sys
import airflow.sdk
from airflow.sdk import BaseHook, BaseNotifier, BaseOperator, BaseOperatorLink, BaseSensorOperator
before = set(sys.modules)
import airflow_provider_make.compat as compat
imported = sorted(set(sys.modules) - before)
for name in compat.__all__:
    getattr(compat, name)
resolved = sorted(set(sys.modules) - before - set(imported))
print(json.dumps([imported, resolved]))
"""


def test_importing_and_resolving_every_name_loads_nothing_new() -> None:
    """On top of what a DAG file already has (airflow.sdk and its bases), compat adds itself only."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    imported, resolved = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(imported) <= {"airflow_provider_make", "airflow_provider_make.compat"}, imported
    # Stats (resolved on the first metric, in a worker) brings Airflow's metrics modules only.
    metrics = ("airflow.sdk.observability.", "airflow.sdk._shared.observability.", "airflow.stats")
    assert all(name.startswith(metrics) for name in resolved), f"resolving compat's names imported {resolved}"


class _TaskProcessSupervisor31:
    """Airflow 3.1's task-process comms: a sync send; asend is not implemented."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, msg: Any) -> None:
        self.sent.append(f"send {type(msg).__name__}")

    async def asend(self, msg: Any) -> None:
        raise NotImplementedError


class _TriggererSupervisor31(_TaskProcessSupervisor31):
    """Airflow 3.1's triggerer comms: send refuses to run on the loop's thread; asend works."""

    def send(self, msg: Any) -> None:
        raise RuntimeError("You cannot use AsyncToSync in the same thread as an async event loop")

    async def asend(self, msg: Any) -> None:
        self.sent.append(f"asend {type(msg).__name__}")


@pytest.mark.parametrize(
    ("supervisor_class", "expected"),
    [(_TaskProcessSupervisor31, ["send MaskSecret"]), (_TriggererSupervisor31, ["asend MaskSecret"])],
)
def test_the_inline_fallback_tells_the_supervisor_once_in_a_task_and_in_the_triggerer(
    monkeypatch: pytest.MonkeyPatch, supervisor_class: type[_TaskProcessSupervisor31], expected: list[str]
) -> None:
    """The 3.1 fallback: a task process is told by the sync call, the triggerer by asend."""
    task_runner = importlib.import_module("airflow.sdk.execution_time.task_runner")
    supervisor = supervisor_class()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", supervisor, raising=False)
    secret = f"compat-inline-secret-{supervisor_class.__name__}"
    asyncio.run(compat._amask_inline(secret))
    assert supervisor.sent == expected
    assert secret not in str(_redact(f"the value is {secret} here"))
