"""What differs between Airflow 3.1, 3.2 and 3.3 (task SDK 1.1, 1.2, 1.3), in one place.

Each name of ``__all__`` resolves to what the running Airflow has, on first use (PEP 562
module ``__getattr__``): DAG files import the operators, so this module imports nothing
itself. ``apache-airflow-providers-common-compat`` resolves most of these names too, but
has no ``amask_secret``, and would be one more dependency. The task state store (3.3+)
needs no name here: :mod:`~airflow_provider_make.durable` reads it from the task context.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The types are 3.3's; checked against an older Airflow, the names it lacks become Any
    # ("unused-ignore" keeps these ignores quiet where they are not needed).
    from airflow.sdk import conf  # type: ignore[attr-defined, unused-ignore]  # 3.2+
    from airflow.sdk.exceptions import (  # type: ignore[attr-defined, unused-ignore]  # 3.2+
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
    )
    from airflow.sdk.log import amask_secret  # type: ignore[attr-defined, unused-ignore]  # 3.3+
    from airflow.sdk.observability.stats import Stats  # type: ignore[import-not-found, unused-ignore]  # 3.2+

    # isort: split
    from airflow.sdk.log import mask_secret

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "Stats",
    "amask_secret",
    "conf",
    "mask_secret",
    "task_sdk_version",
]

# Where each name is, newest Airflow first; the first module that has it wins.
_SOURCES: dict[str, tuple[str, ...]] = {
    # airflow.sdk.conf came with 3.2; on 3.1 the task SDK has no configuration of its own.
    "conf": ("airflow.sdk", "airflow.configuration"),
    # 3.1's airflow.sdk.exceptions lacks some (and its AirflowException is not the one 3.1
    # catches); from 3.2 on airflow.exceptions re-exports the SDK's: the same classes.
    **{
        f"Airflow{name}": ("airflow.sdk.exceptions", "airflow.exceptions")
        for name in ("Exception", "FailException", "NotFoundException", "SensorTimeout")
    },
    "mask_secret": ("airflow.sdk.log",),
    # The task SDK's Stats came with 3.2 (where airflow.stats still works, but warns).
    "Stats": ("airflow.sdk.observability.stats", "airflow.stats"),
}


def task_sdk_version() -> tuple[int, int]:
    """(major, minor) of the Airflow task SDK: (1, 1) on Airflow 3.1, (1, 2) on 3.2, (1, 3) on 3.3."""
    import re

    from airflow.sdk import __version__

    major, minor = re.findall(r"\d+", __version__)[:2]
    return int(major), int(minor)


async def _amask_in_thread(secret: Any, name: str | None = None) -> None:
    """``amask_secret`` for 3.2: the sync ``mask_secret`` in a thread. On the loop's thread it
    blocks the loop, and deadlocks a task with an ``asend`` in flight (why 3.3 added
    ``amask_secret``); 3.2's comms are safe from another thread."""
    import asyncio

    await asyncio.to_thread(_resolve("mask_secret"), secret, name)


async def _amask_inline(secret: Any, name: str | None = None) -> None:
    """``amask_secret`` for 3.1: the sync ``mask_secret`` on the loop's thread, then ``asend``.

    A thread is unsafe on 3.1 (no lock in the task comms; the triggerer's would open a new
    loop). In a task the sync call tells the supervisor and ``asend`` raises before sending;
    in the triggerer the sync send is refused, so ``asend`` must send it, or the supervisor,
    which redacts trigger logs on 3.1, logs the secret in clear.
    """
    import contextlib
    import sys

    _resolve("mask_secret")(secret, name)
    comms = getattr(sys.modules.get("airflow.sdk.execution_time.task_runner"), "SUPERVISOR_COMMS", None)
    if comms is not None:
        with contextlib.suppress(Exception):  # as Airflow's own mask_secret: masking never fails a task
            message = importlib.import_module("airflow.sdk.execution_time.comms").MaskSecret
            await comms.asend(message(value=secret, name=name))


@functools.cache
def _resolve(name: str) -> Any:
    if name == "amask_secret":
        try:
            return importlib.import_module("airflow.sdk.log").amask_secret
        except AttributeError:  # before 3.3
            return _amask_in_thread if task_sdk_version() >= (1, 2) else _amask_inline
    errors: list[str] = []
    for module_name in _SOURCES.get(name, ()):
        try:
            return getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError) as error:
            errors.append(f"{module_name}: {error}")
    if errors:
        raise ImportError(f"cannot import {name!r} from this Airflow ({'; '.join(errors)})")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    return _resolve(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
