"""Keeps the password out of everything a person or a log can see.

The make API takes the password in the query string (spec decision 12), so any URL the
HTTP libraries build, and log, carries it: this module scrubs every encoded form of it.
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
    """The password and its forms in URLs, HTML, JSON and byte reprs; also its UTF-8 bytes read
    as latin-1 (``pÃ¤ss`` for ``päss``), as an HTTP library decodes a header that echoes it."""
    utf8 = secret.encode("utf-8")
    forms = {
        quote(secret),  # '/' left alone, as requests does in paths
        quote_plus(quote_plus(secret, safe=""), safe=""),  # encoded twice
        quote_plus(secret, safe="", encoding="latin-1", errors="ignore"),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(utf8)[2:-1],
        repr(secret.encode("latin-1", errors="replace"))[2:-1],  # echoed as latin-1 bytes, logged as bytes
        repr(secret)[1:-1],
    }
    for text in (secret, utf8.decode("latin-1")):
        forms |= {text, quote_plus(text, safe=""), quote(text, safe="")}
    # Percent-escapes may come out in lower case (some libraries normalise that way).
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in forms}
    return {form for form in forms if form}


def scrub(text: str, secrets: set[str] | frozenset[str] = frozenset()) -> str:
    """Remove every ``pwd=`` value and every form of the given secrets from ``text``."""
    text = _PWD_ARGUMENT.sub(lambda m: m.group(1) + MASK, text)
    for form in sorted(secrets, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


#: Every form of every password a client of this process was given: a server may echo
#: one in a reason phrase or a header, which the HTTP libraries then log.
_KNOWN_SECRETS: set[str] = set()


class QueryPasswordFilter(logging.Filter):
    """Scrubs the HTTP libraries' log records: urllib3 logs request URLs at DEBUG, httpcore the
    bytes of status lines and headers, httpx each request at INFO.

    httpx reads the server's reason phrase as ASCII, dropping every other byte: a non-ASCII
    password echoed there comes out in a form (``psswrd`` for ``pässwörd``) that no scrubbing
    can know without erasing innocent text, so its ``HTTP Request:`` line loses the reason
    phrase, keeping the method, the URL (scrubbed next) and the status code.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "httpx" and str(record.msg).startswith("HTTP Request:"):
            args = record.args if isinstance(record.args, tuple) else ()
            method, url = (str(args[0]), str(args[1])) if len(args) >= 2 else ("", "")
            status = next((str(arg) for arg in args if isinstance(arg, int)), "")
            record.msg, record.args = "HTTP Request: %s %s %s", (method, url, status)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's to report, not ours
            return True
        cleaned = scrub(message, _KNOWN_SECRETS)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = QueryPasswordFilter()
_GUARDED_LOGGERS = (
    "httpx",
    *(f"httpcore.{name}" for name in ("connection", "http11", "http2", "proxy", "socks")),
    *(f"urllib3.{name}" for name in ("connection", "connectionpool", "poolmanager", "response")),
    "urllib3.util.retry",
)


def guard_http_loggers(secret: str) -> None:
    """Attach the filter to the HTTP libraries' loggers, scrubbing ``secret`` (cheap to call again).

    Every driver calls it when it is made: nothing an HTTP library logs on its behalf,
    whatever the level the deployment chose, carries the password in any reading.
    """
    _KNOWN_SECRETS.update(secret_forms(secret))
    for name in _GUARDED_LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)  # once: addFilter skips a filter already there
    # httpx logs every request at INFO (each poll of a thousand waits, each row of a campaign),
    # costing more CPU than the request: unless the deployment chose a level, warnings only.
    if logging.getLogger("httpx").level == logging.NOTSET:
        logging.getLogger("httpx").setLevel(logging.WARNING)
