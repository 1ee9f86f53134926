"""CPU and peak memory of a campaign task, logged for bench/campaign.py (the operator measures nothing).

``tests/dags/bulk_campaigns.py`` hands :func:`started` and :func:`finished` to its large
campaign as ``pre_execute``/``post_execute`` when ``BULK_MEASURE`` is set.
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from typing import Any

log = logging.getLogger("bench.campaign")
_cpu_started = [0.0]


def peak_memory_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def started(context: Any) -> None:
    _cpu_started[0] = time.process_time()
    log.warning("Campaign task starting: peak memory so far %.0f MiB", peak_memory_mib())


def finished(context: Any, result: Any) -> None:
    cpu = time.process_time() - _cpu_started[0]
    sends = max(int(result.get("accepted", 0)) if isinstance(result, dict) else 0, 1)
    log.warning(
        "Campaign in this worker: %.2f s of CPU (%.2f ms a send, checks included), peak memory %.0f MiB",
        cpu, 1000 * cpu / sends, peak_memory_mib(),
    )  # fmt: skip
