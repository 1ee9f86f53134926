"""Helpers several test modules share (fixtures live in conftest.py).

Campaigns: durable stores that behave like the task's (JSON in, JSON out, so a test sees
exactly what a retry would read; :class:`FileStore` survives SIGKILL), and one campaign try.
"""

from __future__ import annotations

import asyncio
import collections
import configparser
import importlib.metadata
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_make.campaign import report, rows
from airflow_provider_make.campaign.ledger import STATE_KEY, Ledger
from airflow_provider_make.campaign.options import Options
from airflow_provider_make.campaign.runner import Campaign, Outcome
from airflow_provider_make.client.settings import ClientSettings

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


log = logging.getLogger("tests.campaign")
SENDER = "+33612345678"


@dataclass
class MemoryStore:
    """A durable store in memory: JSON in, JSON out; counts writes and the widest ``intents``."""

    values: dict[str, str] = field(default_factory=dict)
    write_seconds: float = 0.0  # what one write costs (a task_state_store write: 10 to 17 ms)
    writes: int = 0
    widest_intents: int = 0

    def get(self, key: str) -> Any:
        raw = self.values.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        if self.write_seconds:
            time.sleep(self.write_seconds)
        self.values[key] = json.dumps(value)
        self.writes += 1
        if key == STATE_KEY:
            self.widest_intents = max(self.widest_intents, len(value["intents"]))


@dataclass
class FileStore:
    """A durable store in a folder: one file per key, replaced atomically (survives SIGKILL)."""

    folder: Path

    def get(self, key: str) -> Any:
        path = self.folder / f"{key}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def set(self, key: str, value: Any) -> None:
        path = self.folder / f"{key}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(value))
        os.replace(temporary, path)


@dataclass
class Try:
    """One try of a campaign, and what it left."""

    outcome: Outcome
    plan: rows.Plan
    ledger: Ledger

    @property
    def interrupted(self) -> list[int]:
        return self.ledger.interrupted

    @property
    def summary(self) -> dict[str, Any]:
        return report.summary(self.plan, self.ledger, self.outcome.credits)

    def results(self, **options: Any) -> list[dict[str, Any]]:
        return list(report.results(self.plan, self.ledger, **options))

    def statuses(self) -> dict[int, str]:
        return {row["row"]: row["status"] for row in self.results()}


def campaign_try(
    settings: ClientSettings,
    recipients: list[Any],
    store: Any,
    *,
    message: str | None = "Bonjour {name}",
    cost_per_sms: int | None = None,
    identity: dict[str, Any] | None = None,
    **options: Any,
) -> Try:
    """What the operator's execute does, without Airflow: plan, ledger, the loop (``identity``:
    the task instance's, for the monitoring record)."""
    plan = rows.plan(
        recipients, sender=SENDER, template=message, delay_seconds=None, transliterate=False, region=None
    )
    ledger = Ledger(store, plan.fingerprint, plan.total)
    ledger.load()
    checked = Options(**options)
    ledger.settle_interrupted(checked.resend_unknown)
    campaign = Campaign(plan, ledger, settings, checked, log, identity)
    outcome = asyncio.run(campaign.run(cost_per_sms=cost_per_sms))
    return Try(outcome, plan, ledger)


def people(count: int, start: int = 0) -> list[dict[str, Any]]:
    """``count`` rows with distinct valid French mobile numbers and a name."""
    return [{"recipient": f"+3361{index:07d}", "name": f"P{index}"} for index in range(start, start + count)]


SMS_PATH = "/apimakesmsplus.php"


def accepted_by_recipient(api: Any) -> collections.Counter[str]:
    """How many times the sandbox accepted a makeSms+ for each recipient."""
    return collections.Counter(r["params"]["to"] for r in api.requests(SMS_PATH) if r["id"])
