"""What differs between Airflow 3.1, 3.2 and 3.3, in one place.

Import from here rather than from ``airflow.sdk`` for the names below; each one resolves
to what the running Airflow has (Airflow 3.1, 3.2, 3.3 ship task SDK 1.1, 1.2, 1.3):

- ``conf``: ``airflow.sdk.conf`` from 3.2 on; ``airflow.configuration.conf`` on 3.1.
- ``AirflowException``, ``AirflowFailException``, ``AirflowNotFoundException``,
  ``AirflowSensorTimeout``, ``AirflowTaskTimeout``: ``airflow.sdk.exceptions`` from 3.2
  on (``airflow.exceptions`` re-exports the same classes there); ``airflow.exceptions``
  on 3.1, whose SDK module lacks the last three (and its ``AirflowException`` is core's).
- ``mask_secret``: ``airflow.sdk.log.mask_secret`` everywhere.
- ``amask_secret``: ``airflow.sdk.log.amask_secret`` on 3.3; on 3.2 the sync
  ``mask_secret`` in a worker thread (:func:`_amask_in_thread`); on 3.1 the sync
  ``mask_secret`` on the loop's thread, plus the triggerer's own ``asend``
  (:func:`_amask_inline`).
- ``BaseHook``, ``BaseOperator``, ``BaseSensorOperator``, ``BaseNotifier``,
  ``BaseOperatorLink``, ``PokeReturnValue``: ``airflow.sdk`` everywhere (listed so that
  the provider imports every Airflow base from one place).
- ``HAS_TASK_STATE_STORE``: True from 3.3 (task SDK 1.3) on, where the task context has
  ``task_state_store``.

:func:`get_task_state_store` returns the task's state store from its context, or None
where the Airflow running the task has none (before 3.3).

Cheap to import: DAG files import the provider's operators, so this module imports
nothing itself. Each name is imported the first time it is used (PEP 562 module
``__getattr__``), from the first place that has it, then cached in the module.
``apache-airflow-providers-common-compat`` (installed with ``apache-airflow``) resolves
most of these names the same way (its ``airflow.providers.common.compat.sdk``), but has
no ``amask_secret`` and nothing for the task state store, and is one more dependency: the
few fallbacks are written out here instead.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The types are the newest line's (3.3, what the project type-checks with). Checked
    # against an older Airflow, the names it lacks become Any instead of errors: hence
    # the "unused-ignore" codes, which keep these ignores quiet where they are not needed.
    from airflow.sdk import (
        BaseHook,
        BaseNotifier,
        BaseOperator,
        BaseOperatorLink,
        BaseSensorOperator,
        Context,
        PokeReturnValue,
    )

    # isort: split
    from airflow.sdk import conf  # type: ignore[attr-defined, unused-ignore]  # 3.2+
    from airflow.sdk.exceptions import (  # type: ignore[attr-defined, unused-ignore]  # 3.2+
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        AirflowTaskTimeout,
    )
    from airflow.sdk.execution_time.context import (  # type: ignore[attr-defined, unused-ignore]  # 3.3+
        TaskStateStoreAccessor,
    )
    from airflow.sdk.log import amask_secret  # type: ignore[attr-defined, unused-ignore]  # 3.3+

    # isort: split
    from airflow.sdk.log import mask_secret

    HAS_TASK_STATE_STORE: bool

__all__ = [
    "HAS_TASK_STATE_STORE",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "AirflowTaskTimeout",
    "BaseHook",
    "BaseNotifier",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "PokeReturnValue",
    "amask_secret",
    "conf",
    "get_task_state_store",
    "mask_secret",
    "task_sdk_version",
]

# Where each name is, newest Airflow first; the first module that has it wins.
_SOURCES: dict[str, tuple[str, ...]] = {
    # airflow.sdk.conf came with 3.2; on 3.1 the task SDK has no configuration of its own.
    "conf": ("airflow.sdk", "airflow.configuration"),
    # On 3.1 airflow.sdk.exceptions lacks these (core's are the ones 3.1 catches); from 3.2
    # on airflow.exceptions re-exports the SDK's, so both paths give the same class there.
    "AirflowException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowFailException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowNotFoundException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowSensorTimeout": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowTaskTimeout": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "mask_secret": ("airflow.sdk.log",),
    "BaseHook": ("airflow.sdk",),
    "BaseOperator": ("airflow.sdk",),
    "BaseSensorOperator": ("airflow.sdk",),
    "BaseNotifier": ("airflow.sdk",),
    "BaseOperatorLink": ("airflow.sdk",),
    "PokeReturnValue": ("airflow.sdk",),
}


def task_sdk_version() -> tuple[int, int]:
    """(major, minor) of the Airflow task SDK: (1, 1) on Airflow 3.1, (1, 2) on 3.2, (1, 3) on 3.3."""
    from airflow.sdk import __version__

    parts: list[int] = []
    for part in __version__.split(".")[:2]:
        digits = ""
        for character in part:
            if not character.isdigit():
                break
            digits += character
        parts.append(int(digits or 0))
    return (parts[0], parts[1] if len(parts) > 1 else 0)


def get_task_state_store(context: Context) -> TaskStateStoreAccessor | None:
    """The task instance's state store (Airflow 3.3+), or None where Airflow has none.

    Reads the running task's context, so it is right even where the installed SDK and
    the Airflow that runs the task disagree; :data:`HAS_TASK_STATE_STORE` is the
    import-time answer.
    """
    return context.get("task_state_store")


async def _amask_in_thread(secret: Any, name: str | None = None) -> None:
    """``amask_secret`` for Airflow 3.2: the sync ``mask_secret`` in a worker thread.

    3.2's ``mask_secret`` masks locally, then sends the secret to the supervisor and
    waits for its answer. Called on the event loop's own thread, that send can block the
    loop, and in a task process it deadlocks when an ``asend`` of the same task is in
    flight (the reason 3.3 added ``amask_secret``). From another thread it is safe on
    3.2: the task process's comms take a thread lock that an in-flight ``asend`` holds
    and releases without needing this thread, and the triggerer's comms hand the send to
    the event loop with ``run_coroutine_threadsafe``, which we are not blocking (we await
    the thread). Returns once the secret is masked locally and the supervisor has it, as
    3.3's ``amask_secret`` does.
    """
    import asyncio

    mask = _resolve("mask_secret")
    await asyncio.to_thread(mask, secret, name)


async def _amask_inline(secret: Any, name: str | None = None) -> None:
    """``amask_secret`` for Airflow 3.1: the sync ``mask_secret``, then the triggerer's ``asend``.

    A worker thread is not safe on 3.1: its task-process comms have no lock (a send from
    another thread could interleave with the task's own), and its triggerer comms would
    run the send in a new event loop on the triggerer's stream. So, on the loop's thread:

    - the sync ``mask_secret`` masks locally and, in a task process, tells the supervisor
      in a short blocking round trip (what 3.1 itself does everywhere); in the triggerer
      its send is refused before any I/O (``async_to_sync`` cannot run on the loop's
      thread) and ``mask_secret`` swallows that;
    - so in the triggerer the secret is also sent with the comms' own ``asend`` (3.1's
      triggerer comms serialise it with an ``asyncio.Lock`` on this loop), as 3.3's
      ``amask_secret`` does: 3.1 redacts trigger logs in the supervisor, and without this
      step the secret was logged in clear. In a task process 3.1's ``asend`` raises
      ``NotImplementedError`` before sending anything: the sync call already told the
      supervisor.
    """
    import contextlib
    import sys

    mask = _resolve("mask_secret")
    mask(secret, name)
    comms = getattr(sys.modules.get("airflow.sdk.execution_time.task_runner"), "SUPERVISOR_COMMS", None)
    if comms is None:
        return
    with contextlib.suppress(Exception):  # as Airflow's own mask_secret: masking never fails a task
        message = importlib.import_module("airflow.sdk.execution_time.comms").MaskSecret
        await comms.asend(message(value=secret, name=name))


def _import_first(name: str, modules: tuple[str, ...]) -> Any:
    errors: list[str] = []
    for module_name in modules:
        try:
            return getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError) as error:
            errors.append(f"{module_name}: {error}")
    raise ImportError(f"cannot import {name!r} from this Airflow ({'; '.join(errors)})")


def _resolve(name: str) -> Any:
    if name == "amask_secret":
        try:
            return importlib.import_module("airflow.sdk.log").amask_secret
        except AttributeError:  # before 3.3
            return _amask_in_thread if task_sdk_version() >= (1, 2) else _amask_inline
    if name == "HAS_TASK_STATE_STORE":
        return task_sdk_version() >= (1, 3)
    if name in _SOURCES:
        return _import_first(name, _SOURCES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    value = _resolve(name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
