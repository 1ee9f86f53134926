"""The provider's metrics, sent through Airflow's own StatsD / OpenTelemetry settings.

The worker calls these for every request (a campaign for each of its rows):

==========================  =======  ====================================================
``make.requests.accepted``  counter  +1 per request the API accepted; tag ``kind``
``make.requests.refused``   counter  +1 per request the API refused; tags ``kind``,
                                     ``result_code``
``make.credits.spent``      counter  + the cost of each accepted request; tag ``kind``
``make.credits.left``       gauge    the balance the API last reported
``make.api.duration``       timer    each HTTP exchange with the API; tag ``endpoint``
==========================  =======  ====================================================

``kind`` is the request's kind as the JSON API spells it (``sms_plus``...). Airflow sends
the tags where its backend takes them (OpenTelemetry; StatsD with ``statsd_influxdb_enabled``
or Datadog), and drops them elsewhere. A metric never fails a send: an error of the metrics
backend is logged and forgotten. Importing this module imports nothing of Airflow's (DAG
files import the operators): ``Stats`` is looked up on the first metric.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_make.client.kinds import RequestKind

log = logging.getLogger(__name__)

REQUESTS_ACCEPTED = "make.requests.accepted"
REQUESTS_REFUSED = "make.requests.refused"
CREDITS_SPENT = "make.credits.spent"
CREDITS_LEFT = "make.credits.left"
API_DURATION = "make.api.duration"


def _emit(send: Callable[[Any], None]) -> None:
    try:
        from airflow_provider_make.compat import Stats

        send(Stats)
    except Exception:  # a metric never fails a send
        log.warning("could not send a make metric", exc_info=True)


def accepted(kind: RequestKind, *, cost: int, credits_left: int) -> None:
    """The API accepted one request of ``kind`` for ``cost`` credits, leaving ``credits_left``."""
    tags = {"kind": kind.endpoint}

    def send(stats: Any) -> None:
        stats.incr(REQUESTS_ACCEPTED, tags=tags)
        stats.incr(CREDITS_SPENT, count=cost, tags=tags)
        stats.gauge(CREDITS_LEFT, credits_left)

    _emit(send)


def refused(kind: RequestKind, *, result_code: int | None) -> None:
    """The API refused one request of ``kind`` with ``result_code`` (None: it gave none)."""
    tags = {"kind": kind.endpoint, "result_code": str(result_code)}
    _emit(lambda stats: stats.incr(REQUESTS_REFUSED, tags=tags))


def credits_left(credits: int) -> None:
    """The balance a credits read reported."""
    _emit(lambda stats: stats.gauge(CREDITS_LEFT, credits))


def api_exchange(endpoint: str, seconds: float) -> None:
    """One HTTP exchange with the API took ``seconds``; ``endpoint`` is the kind's
    ``endpoint`` (``sms_plus``...), ``tracking`` or ``credits``."""
    took = datetime.timedelta(seconds=seconds)
    _emit(lambda stats: stats.timing(API_DURATION, took, tags={"endpoint": endpoint}))
