"""airflow_provider_make/exceptions.py: the Airflow classes, declared in source, importable and
picklable in any process, as docs/result_codes.rst lists them."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_make import exceptions
from airflow_provider_make.client.errors import (
    Action,
    MakeAuthError,
    MakeError,
    MakeTransportError,
    action_of,
)
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.exceptions import to_airflow_exception
from tests.test_errors import EXAMPLES, IDS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "result_codes.rst").read_text()
#: Every exception class the result-code page names.
DOCUMENTED = sorted(set(re.findall(r"``((?:Airflow)?Make\w*Error)``", DOC)))
#: What is done without Airflow's retries.
FAILS = {Action.FIX_REQUEST, Action.FIX_ACCOUNT, Action.UNKNOWN, Action.LOST}


def python(script: str, *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_page_lists_the_classes() -> None:
    assert "AirflowMakeTransportError" in DOCUMENTED
    assert "AirflowMakeUnsafeToRetryError" in DOCUMENTED
    assert len(DOCUMENTED) >= 20


def test_every_documented_class_imports_in_a_fresh_process() -> None:
    names = ", ".join(DOCUMENTED)
    script = f"from airflow_provider_make.exceptions import {names}\nprint('imported', {len(DOCUMENTED)})"

    assert python(script).split() == ["imported", str(len(DOCUMENTED))]


def test_every_documented_class_is_in_the_module_and_its_all() -> None:
    for name in DOCUMENTED:
        assert isinstance(getattr(exceptions, name), type), name
        assert name in exceptions.__all__, name


#: Process 1 converts each example and pickles it; process 2 (which never raised any of
#: them) unpickles them and reports what it got.
PICKLE = """
import base64, pickle, sys
from airflow_provider_make.exceptions import to_airflow_exception
from tests.test_errors import EXAMPLES
print(base64.b64encode(pickle.dumps([to_airflow_exception(error) for error, _ in EXAMPLES])).decode())
"""
UNPICKLE = """
import base64, json, pickle, sys
from airflow_provider_make.client.errors import action_of
from airflow_provider_make.compat import AirflowFailException
errors = pickle.loads(base64.b64decode(sys.stdin.read()))
fails = [isinstance(e, AirflowFailException) for e in errors]
print(json.dumps([
    [type(e).__module__, type(e).__name__, str(e), vars(e), action_of(e).value, fail]
    for e, fail in zip(errors, fails)
]))
"""


def test_an_error_pickled_in_one_process_unpickles_in_another() -> None:
    pickled = python(PICKLE).strip()
    done = subprocess.run(
        [sys.executable, "-c", UNPICKLE],
        cwd=ROOT,
        input=pickled,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    received = json.loads(done.stdout)

    expected = []
    for error, action in EXAMPLES:
        converted = to_airflow_exception(error)
        expected.append(
            [
                "airflow_provider_make.exceptions",
                type(converted).__name__,
                str(error),
                vars(error),
                action.value,
                action in FAILS,
            ]
        )
    assert received == expected
    assert base64.b64decode(pickled)  # really went through bytes


@pytest.mark.parametrize(("error", "action"), EXAMPLES, ids=IDS)
def test_the_airflow_class_follows_action_of(error: MakeError, action: Action) -> None:
    converted = to_airflow_exception(error)

    assert isinstance(converted, type(error))  # ``except MakeAuthError`` still catches it
    assert isinstance(converted, AirflowException)
    assert isinstance(converted, AirflowFailException) is (action in FAILS)
    assert action_of(converted) is action
    assert vars(converted) == vars(error)
    assert converted.args == error.args
    assert type(converted).__module__ == "airflow_provider_make.exceptions"
    assert to_airflow_exception(converted) is converted


def test_a_send_that_may_have_been_accepted_is_unsafe_to_retry() -> None:
    converted = to_airflow_exception(MakeTransportError("dropped", may_have_been_accepted=True))

    assert type(converted) is exceptions.AirflowMakeUnsafeToRetryError
    assert isinstance(converted, AirflowFailException)


def test_except_make_auth_error_catches_the_airflow_form() -> None:
    with pytest.raises(MakeAuthError) as caught:
        raise to_airflow_exception(MakeAuthError("wrong password", result_code=101))

    assert type(caught.value) is exceptions.AirflowMakeAuthError
    assert caught.value.result_code == 101


def test_the_page_s_table_of_exceptions_is_the_module_s() -> None:
    """Each row: the class, the client class it extends, its Airflow base, its action_of."""
    rows = re.findall(
        r"^``(AirflowMake\w+)``\s+``(Make\w+)``.*?``(Airflow\w*Exception)``\s+``(\w+)``", DOC, re.M
    )
    assert len(rows) == 12
    bases = {"AirflowFailException": AirflowFailException, "AirflowException": AirflowException}
    examples = {type(to_airflow_exception(error)).__name__: action for error, action in EXAMPLES}
    for name, client, base, action in rows:
        cls = getattr(exceptions, name)
        assert issubclass(cls, getattr(exceptions, client)), name
        assert issubclass(cls, bases[base]), name
        assert (base == "AirflowFailException") is issubclass(cls, AirflowFailException), name
        assert examples[name].value == action, name
