"""Where a password could leak, and the checks that it does not (shared by the test modules).

The forms are the package's own (:func:`~airflow_provider_make.client.redaction.secret_forms`)
and forms built here independently, so a form the package forgets still fails a test.
"""

from __future__ import annotations

import html
import json
import logging
import re
import traceback
from collections.abc import Iterable, Iterator
from urllib.parse import quote, quote_plus, urlencode

import pytest

from airflow_provider_make.client.redaction import secret_forms
from tests.conftest import PASSWORD


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def independent_forms(secret: str) -> set[str]:
    """The password's forms as a server may echo them and the HTTP libraries show them,
    built here without the package's help."""
    utf8 = secret.encode("utf-8")
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        quote_plus(secret),
        quote(secret, safe="@"),
        quote_plus(secret, safe="@"),
        urlencode({"pwd": secret}).removeprefix("pwd="),
        quote(quote(secret, safe=""), safe=""),
        quote_plus(quote_plus(secret, safe=""), safe=""),
        html.escape(secret),
        html.escape(secret, quote=False),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(utf8)[2:-1],
        str(utf8),
        repr(secret)[1:-1],
        utf8.hex(),
        utf8.decode("latin-1"),  # its UTF-8 bytes read as latin-1
        repr(secret.encode("latin-1", errors="replace"))[2:-1],
        secret.encode("ascii", errors="ignore").decode(),  # read as ASCII, other bytes dropped (httpx)
    }
    return {form for form in forms | {lower_hex(form) for form in forms} if len(form) >= 4}


def forms_of(secret: str) -> list[str]:
    """Every form of ``secret`` to look for, longest first."""
    return sorted(secret_forms(secret) | independent_forms(secret), key=len, reverse=True)


#: The forms of tests.conftest.PASSWORD, with distinctive pieces of it: a partial leak is a leak.
FORMS = sorted(
    {*forms_of(PASSWORD), "p@ss w&rd", "w&rd+1/", "p%40ss", "w%26rd", "%2B1%2F%C3%A9"}, key=len, reverse=True
)


def leaks(text: str, forms: Iterable[str] = FORMS) -> list[str]:
    return [form for form in forms if form in text]


def assert_clean(text: str, forms: Iterable[str] = FORMS) -> None:
    found = leaks(text, forms)
    assert not found, f"password form(s) {found} in: {text}"


def chain(error: BaseException) -> Iterator[BaseException]:
    """The exception and every cause and context, suppressed or not."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]


def exception_texts(error: BaseException) -> Iterable[str]:
    yield "".join(traceback.format_exception(error))
    for item in chain(error):
        yield str(item)
        yield repr(item)
        yield repr(item.args)
        yield repr(vars(item))
        yield "".join(traceback.format_exception_only(type(item), item))


def assert_exception_clean(error: BaseException, forms: Iterable[str] = FORMS) -> None:
    for text in exception_texts(error):
        assert_clean(text, forms)


def frame_locals(error: BaseException) -> Iterator[str]:
    """The repr of every local of every frame the traceback keeps (what Sentry and debuggers show)."""
    for item in chain(error):
        tb = item.__traceback__
        while tb is not None:
            for name, value in tb.tb_frame.f_locals.items():
                yield f"{tb.tb_frame.f_code.co_name}.{name}={value!r}"
            tb = tb.tb_next


@pytest.fixture
def http_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything logged, the HTTP libraries' own loggers included, down to DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_logs_clean(caplog: pytest.LogCaptureFixture, forms: Iterable[str] = FORMS) -> None:
    forms = list(forms)
    for record in caplog.records:
        assert_clean(record.getMessage(), forms)
        assert_clean(repr(record.args), forms)
        if record.exc_info and record.exc_info[1] is not None:
            assert_exception_clean(record.exc_info[1], forms)
    assert_clean(caplog.text, forms)
