"""Keeps the password out of everything a person or a log can see.

The make API takes the password in the query string (spec decision 12), so any URL the
HTTP libraries build carries it. This module lists the forms the password can take once
encoded, scrubs them from text, and installs a logging filter on the HTTP libraries'
loggers, whose debug lines print request URLs.
"""

from __future__ import annotations

import html
import json
import logging
import re
from urllib.parse import quote, quote_plus

MASK = "***"

# A `pwd` argument in a query string, raw or inside an already-encoded URL.
_PWD_ARGUMENT = re.compile(r"(?i)(pwd(?:=|%3D))[^&\s'\"<>]*")


def secret_forms(secret: str) -> set[str]:
    """The password and the forms it takes in URLs, HTML, JSON and byte reprs."""
    if not secret:
        return set()
    utf8 = secret.encode("utf-8")
    forms = {
        secret,
        quote_plus(secret, safe=""),
        quote(secret, safe=""),
        quote(secret),  # '/' left alone, as requests does in paths
        quote_plus(quote_plus(secret, safe=""), safe=""),  # encoded twice
        quote_plus(secret, safe="", encoding="latin-1", errors="ignore"),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(utf8)[2:-1],
        repr(secret)[1:-1],
    }
    # Percent-escapes may come out in lower case (some libraries normalise that way).
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in forms}
    return {form for form in forms if form}


def scrub(text: str, secrets: set[str] | frozenset[str] = frozenset()) -> str:
    """Remove every ``pwd=`` value and every form of the given secrets from ``text``."""
    text = _PWD_ARGUMENT.sub(lambda m: m.group(1) + MASK, text)
    for form in sorted(secrets, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


class QueryPasswordFilter(logging.Filter):
    """Rewrites log records so that no ``pwd=`` value survives (urllib3 logs URLs at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's to report, not ours
            return True
        if "pwd" in message.lower():
            record.msg = scrub(message)
            record.args = ()
        return True


_FILTER = QueryPasswordFilter()
_GUARDED_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "httpx", "httpcore.http11")


def guard_http_loggers() -> None:
    """Attach the filter to the HTTP libraries' loggers (once; cheap to call again)."""
    for name in _GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
