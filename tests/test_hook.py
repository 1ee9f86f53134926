"""MakeHook: the connection read lazily, its settings, masking, an honest test_connection, the
reads, and every bad argument refused before any request, in-process against the sandbox."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import quote, quote_plus

import pytest

from airflow_provider_make.client.errors import (
    MakeConfigurationError,
    MakeError,
    MakeTrackingUnknownError,
    MakeValidationError,
)
from airflow_provider_make.client.settings import DEFAULT_BASE_URL
from airflow_provider_make.client.tracking import SmsPlusTracking
from airflow_provider_make.compat import AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from airflow_provider_make.sandbox import Account, SandboxServer
from tests.conftest import LOGIN, PASSWORD, Sandbox

CALLER = "+33612345678"
CALLEE = "+33687654321"


def _conn(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps({"conn_type": "make", **fields}))


def test_constructor_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_MAKE_DEFAULT", raising=False)
    hook = MakeHook()  # no connection exists: only first use may fail
    assert hook.make_conn_id == "make_default"
    assert MakeHook.conn_type == "make"
    assert MakeHook.conn_name_attr == "make_conn_id"
    assert MakeHook.default_conn_name == "make_default"


def test_settings_from_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(
        monkeypatch,
        login=LOGIN,
        password=PASSWORD,
        extra={"default_region": "fr", "timeout": 7, "endpoints": {"ring_plus": "apimakeringplus.php"}},
    )
    settings = MakeHook().settings
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.default_region == "FR"
    assert (settings.connect_timeout, settings.read_timeout, settings.total_timeout) == (7.0, 7.0, 14.0)
    assert settings.path_for("ring_plus", "apimakingplus.php") == "apimakeringplus.php"


def test_a_plain_http_host_that_is_not_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, host="http://makesms.fr", login=LOGIN, password=PASSWORD)
    with pytest.raises(AirflowFailException, match=r"plain http:// for makesms\.fr"):
        MakeHook().get_credits()


def test_the_password_and_its_encodings_are_registered_with_the_masker(make_default: Sandbox) -> None:
    from airflow.sdk._shared.secrets_masker import redact

    MakeHook().get_credits()
    for form in (PASSWORD, quote_plus(PASSWORD, safe=""), quote(PASSWORD, safe="")):
        assert form not in str(redact(f"GET /apicredits.php?pwd={form} HTTP/1.1"))


def test_get_credits_is_an_int(make_default: Sandbox) -> None:
    assert MakeHook().get_credits() == 100_000
    [request] = make_default.requests("/apicredits.php")
    assert request["query"] == "login=ops@example.com&pwd=p%40ss+w%26rd%2B1%2F%C3%A9"


def test_one_session_is_reused(make_default: Sandbox) -> None:
    hook = MakeHook()
    hook.get_credits()
    session = hook.client.session
    hook.get_credits()
    assert hook.client.session is session


def test_test_connection_reports_the_credits(make_default: Sandbox) -> None:
    ok, message = MakeHook().test_connection()
    assert ok is True
    assert message == f"Connected to the make API at {make_default.url}: account {LOGIN} has 100000 credits."


def test_test_connection_is_honest_about_zero_credits(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(password="wrong"))
    ok, message = MakeHook().test_connection()
    assert ok is False
    assert "0 credits" in message
    assert "wrong e-mail or password" in message
    assert "empty account" in message


def test_test_connection_says_when_the_api_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, host="http://127.0.0.1:9", login=LOGIN, password=PASSWORD)
    ok, message = MakeHook().test_connection()
    assert ok is False
    assert message.startswith("credits: could not connect to the API (http://127.0.0.1:9/)")
    assert "%40" not in message


def test_test_connection_says_when_the_base_url_is_wrong(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _conn(monkeypatch, host=api.url + "not-the-api/", login=LOGIN, password=PASSWORD)
    ok, message = MakeHook().test_connection()
    assert ok is False
    assert "HTTP 404" in message


def test_tracking_url_has_no_password(make_default: Sandbox) -> None:
    url = MakeHook().tracking_url("abc123")
    assert url == f"{make_default.url}apilog.php?id=abc123"


def test_the_client_layer_does_not_import_airflow() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import airflow_provider_make.client.sync_driver, airflow_provider_make.client.async_driver\n"
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- reads


def test_poll_tracking_waits_for_the_follow_up(slow_api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", slow_api.conn_json())
    hook = MakeHook()
    try:
        sent = hook.sms_plus(CALLER, CALLEE, "Bonjour")
        assert hook.poll_tracking(sent.id) is None  # 112: too early
        slow_api.advance(10.5)
        assert isinstance(hook.poll_tracking(sent.id), SmsPlusTracking)
        assert hook.poll_tracking(sent.id, wait_for_follow_up=True) is None
        slow_api.advance(300)
        done = hook.poll_tracking(sent.id, wait_for_follow_up=True)
        assert done is not None
        assert done.follow_up_sent_at is not None
    finally:
        hook.close()


def test_poll_tracking_looks_through_a_service_failure_and_logs_it(
    make_default: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = MakeHook()
    sent = hook.sms_plus(CALLER, CALLEE, "Bonjour")
    make_default.advance(20)
    make_default.fault("code:111", path="/apilog.php")
    assert hook.poll_tracking(sent.id) is None
    logged = "".join(capsys.readouterr())  # Airflow's structlog writes to the console
    assert f"Looking at the tracking log of {sent.id} failed: tracking failed with result code 111" in logged
    assert isinstance(hook.poll_tracking(sent.id), SmsPlusTracking)
    assert len(make_default.requests("/apilog.php")) == 2


def test_poll_tracking_of_an_unknown_id_fails_the_task(make_default: Sandbox) -> None:
    with pytest.raises(AirflowFailException, match="result code 110") as caught:
        MakeHook().poll_tracking("unknownid12345")
    assert isinstance(caught.value, MakeTrackingUnknownError)


@pytest.mark.parametrize("flag", ["yes", 1, None, [True]])
def test_poll_tracking_refuses_a_wait_for_follow_up_that_is_not_a_bool(
    make_default: Sandbox, flag: Any
) -> None:
    with pytest.raises(MakeValidationError, match=r"^wait_for_follow_up: expected True or False") as caught:
        MakeHook().poll_tracking("abc123", wait_for_follow_up=flag)
    assert isinstance(caught.value, AirflowFailException)
    assert make_default.requests() == []


@pytest.mark.parametrize("tracking_id", ["", "   ", "abc def", None])
def test_tracking_url_refuses_a_bad_id_with_the_projects_airflow_error(
    make_default: Sandbox, tracking_id: Any
) -> None:
    with pytest.raises(MakeValidationError, match=r"^tracking_id: ") as caught:
        MakeHook().tracking_url(tracking_id)
    assert isinstance(caught.value, AirflowFailException)


@pytest.fixture
def slow_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox 5 ms away, so that concurrent requests overlap, as on a real network."""
    accounts = [Account(LOGIN, PASSWORD, 100_000)]
    with SandboxServer(port=0, speed=50.0, accounts=accounts, latency=0.005) as server:
        sandbox = Sandbox(server)
        monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", sandbox.conn_json())
        yield sandbox


def test_a_thousand_concurrent_reads_in_one_loop_all_succeed(slow_network: Sandbox) -> None:
    """The loop keeps its requests in flight below the pool's size: no PoolTimeout at 1,000."""
    hook = MakeHook()
    tracking_id = hook.sms_plus(CALLER, CALLEE, "Bonjour").id
    slow_network.advance(20)

    async def many() -> list[object]:
        return await asyncio.gather(*(hook.aget_tracking(tracking_id) for _ in range(1000)))

    results = asyncio.run(many())
    assert len(results) == 1000
    assert all(getattr(tracking, "id", None) == tracking_id for tracking in results)
    assert len(slow_network.requests("/apilog.php")) == 1000
    # Never more requests at once than the loop's bound (httpx alone would open 100).
    assert slow_network._call("health")["max_in_flight"] <= 16


# ----------------------------------------------------------------------------- bad input
# Every bad argument is refused by the hook, naming it, before any request: a
# MakeValidationError (or, for the connection's extras, a MakeConfigurationError) that is
# also an AirflowFailException (retrying cannot fix an argument), and the sandbox received
# nothing. What escaped before: a bare ValueError for integers over 4,300 digits, a
# RecursionError for deeply nested lists, an endless loop for endless iterables,
# AttributeError/TypeError for malformed extras, and inputs that were sent when they should
# not be (-33612345678, a 22,000-character text) or refused when they are right
# (default_region of a country whose trunk prefix is not 0).

T = TypeVar("T")

PAIR = (CALLER, CALLEE)
NATIONAL_CALLER = "687345678"  # makeRingun numbers are national, prefix 33
NATIONAL_CALLEE = "687654321"

#: Over Python's 4,300-digit limit for int <-> str conversion.
HUGE: Any = 10**5000
HUGE_TEXT: Any = "1" + "0" * 5000  # the same number as a string, built without str(HUGE)

MAX_PAIRS = 10
MAX_CALLEES = 100
#: Items an endless iterable may yield before the test stops it (memory guard).
GUARD = 10_000


def deep(depth: int = 2000) -> Any:
    """A list nested ``depth`` deep: ``[[[...[]...]]]``."""
    nested: list[Any] = []
    for _ in range(depth):
        nested = [nested]
    return nested


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:300]}"


def check_refused(error: BaseException, argument: str) -> None:
    """A validation refusal naming ``argument`` (or an element of it, like ``callees[3]``)."""
    assert isinstance(error, MakeValidationError), describe(error)
    assert isinstance(error, MakeError), describe(error)
    assert isinstance(error, AirflowFailException), describe(error)
    assert error.argument is not None, describe(error)
    assert error.argument.startswith(argument), (error.argument, describe(error))
    assert argument in str(error), describe(error)


@pytest.fixture
def hook(make_default: Sandbox) -> Iterator[MakeHook]:
    made = MakeHook(make_conn_id="make_default")
    yield made
    made.close()


@dataclass(frozen=True)
class Case:
    """One refused call through the hook, and the argument its error must name."""

    id: str
    call: Callable[[MakeHook], object]
    argument: str


def run_cases(cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[case.id for case in cases])


def assert_refused_before_sending(hook: MakeHook, api: Sandbox, case: Case) -> MakeValidationError:
    with pytest.raises(Exception) as caught:
        case.call(hook)
    check_refused(caught.value, case.argument)
    assert api.requests() == []
    assert isinstance(caught.value, MakeValidationError)
    return caught.value


# ------------------------------------------------------------- argument kinds

#: Each kind of argument: an id, the name its error must start with, how to pass a value
#: through the hook, whether None is a valid value for it, and whether it is a scalar
#: (a number or a string, not a list).
ARGUMENT_KINDS: list[tuple[str, str, Callable[[MakeHook, Any], object], bool, bool]] = [
    ("caller", "caller", lambda h, v: h.ring(v, CALLEE), False, True),
    ("recipient", "recipient", lambda h, v: h.sms_plus(CALLER, v, "hi"), False, True),
    ("delay", "delay_seconds", lambda h, v: h.ring(CALLER, CALLEE, delay_seconds=v), True, True),
    (
        "delay-sms-plus",
        "delay_seconds",
        lambda h, v: h.sms_plus(CALLER, CALLEE, "hi", delay_seconds=v),
        True,
        True,
    ),
    (
        "duration",
        "max_duration_minutes",
        lambda h, v: h.call_plus(CALLER, CALLEE, max_duration_minutes=v, recording_notice=True),
        False,
        True,
    ),
    ("catalog", "catalog_code", lambda h, v: h.sms(CALLER, CALLEE, v), False, True),
    ("message", "message", lambda h, v: h.sms_plus(CALLER, CALLEE, v), False, False),
    ("tracking", "tracking_id", lambda h, v: h.get_tracking(v), False, True),
    ("prefix", "prefix", lambda h, v: h.ringun(v, NATIONAL_CALLER, [NATIONAL_CALLEE]), False, True),
    ("ringun-caller", "caller", lambda h, v: h.ringun("33", v, [NATIONAL_CALLEE]), False, True),
    ("pairs", "pairs", lambda h, v: h.ring_plus(v), False, False),
    ("pair-element", "pairs", lambda h, v: h.ring_plus([PAIR, (CALLER, v)]), False, True),
    ("callees", "callees", lambda h, v: h.ringun("33", NATIONAL_CALLER, v), False, False),
    (
        "callee-element",
        "callees",
        lambda h, v: h.ringun("33", NATIONAL_CALLER, [NATIONAL_CALLEE, v]),
        False,
        True,
    ),
]


def passing(
    call: Callable[[MakeHook, Any], object], value: Callable[[], Any]
) -> Callable[[MakeHook], object]:
    """``call`` with ``value()``, built afresh for each call."""
    return lambda hook: call(hook, value())


def cases_for(value: Callable[[], Any], form: str, *, scalars_only: bool = False) -> list[Case]:
    """One case per argument kind, passing ``value()``."""
    return [
        Case(f"{kind}-{form}", passing(call, value), argument)
        for kind, argument, call, _, scalar in ARGUMENT_KINDS
        if scalar or not scalars_only
    ]


# ------------------------------------------------------------- integers over 4,300 digits

HUGE_CASES = cases_for(lambda: HUGE, "int", scalars_only=True) + cases_for(
    lambda: HUGE_TEXT, "str", scalars_only=True
)


@run_cases(HUGE_CASES)
def test_integer_over_4300_digits_is_a_validation_error(
    hook: MakeHook, make_default: Sandbox, case: Case
) -> None:
    assert_refused_before_sending(hook, make_default, case)


# ------------------------------------------------------------- negative and huge numbers

OUT_OF_RANGE_CASES = [
    Case("delay-minus-1", lambda h: h.ring(CALLER, CALLEE, delay_seconds=-1), "delay_seconds"),
    Case(
        "delay-minus-1-text", lambda h: h.ring(CALLER, CALLEE, delay_seconds=cast(Any, "-1")), "delay_seconds"
    ),
    Case("delay-7201", lambda h: h.call(CALLER, CALLEE, delay_seconds=7201), "delay_seconds"),
    Case("delay-1e30-ring", lambda h: h.ring(CALLER, CALLEE, delay_seconds=10**30), "delay_seconds"),
    Case("delay-1e30-ring-plus", lambda h: h.ring_plus([PAIR, PAIR], delay_seconds=10**30), "delay_seconds"),
    Case(
        "delay-1e30-ringun",
        lambda h: h.ringun("33", NATIONAL_CALLER, [NATIONAL_CALLEE], delay_seconds=10**30),
        "delay_seconds",
    ),
    Case("delay-1e30-call", lambda h: h.call(CALLER, CALLEE, delay_seconds=10**30), "delay_seconds"),
    Case(
        "delay-1e30-call-plus",
        lambda h: h.call_plus(
            CALLER, CALLEE, max_duration_minutes=1, recording_notice=True, delay_seconds=10**30
        ),
        "delay_seconds",
    ),
    Case("delay-1e30-sms", lambda h: h.sms(CALLER, CALLEE, "123", delay_seconds=10**30), "delay_seconds"),
    Case(
        "delay-1e30-sms-plus",
        lambda h: h.sms_plus(CALLER, CALLEE, "hi", delay_seconds=10**30),
        "delay_seconds",
    ),
    Case(
        "duration-0",
        lambda h: h.call_plus(CALLER, CALLEE, max_duration_minutes=0, recording_notice=True),
        "max_duration_minutes",
    ),
    Case(
        "duration-11",
        lambda h: h.call_plus(CALLER, CALLEE, max_duration_minutes=11, recording_notice=True),
        "max_duration_minutes",
    ),
    Case(
        "duration-1e30",
        lambda h: h.call_plus(CALLER, CALLEE, max_duration_minutes=10**30, recording_notice=True),
        "max_duration_minutes",
    ),
]


@run_cases(OUT_OF_RANGE_CASES)
def test_negative_or_huge_number_is_refused(hook: MakeHook, make_default: Sandbox, case: Case) -> None:
    assert_refused_before_sending(hook, make_default, case)


# ------------------------------------------------------------- lists nested 2,000 deep

NESTED_CASES = [
    *cases_for(deep, "nested"),
    Case("pairs-second-pair-nested", lambda h: h.ring_plus([PAIR, deep()]), "pairs"),
]


@run_cases(NESTED_CASES)
def test_deeply_nested_list_is_a_validation_error(hook: MakeHook, make_default: Sandbox, case: Case) -> None:
    assert_refused_before_sending(hook, make_default, case)


# ------------------------------------------------------------- endless iterables


class OverconsumedError(Exception):
    """Raised by :class:`Counted` once the code under test took ``GUARD`` items."""


class Counted(Iterator[T]):
    """An iterator that counts the items taken from it, and stops a runaway consumer."""

    def __init__(self, source: Iterator[T]) -> None:
        self.source = source
        self.taken = 0

    def __iter__(self) -> Counted[T]:
        return self

    def __next__(self) -> T:
        if self.taken >= GUARD:
            raise OverconsumedError(
                f"{GUARD} items taken from an endless iterable: the consumer does not stop"
            )
        item = next(self.source)
        self.taken += 1
        return item


def distinct_callees() -> Iterator[str]:
    """Endless distinct French national numbers: 687600000, 687600001, ..."""
    return (f"6876{index:05d}" for index in itertools.count())


def says_too_many(text: str, maximum: int) -> bool:
    """The message says there are too many: in those words, or by giving the maximum."""
    return re.search(rf"too many|(?<![0-9]){maximum}(?![0-9])", text, re.IGNORECASE) is not None


@pytest.mark.timeout(10)
def test_endless_pairs_are_refused_after_at_most_max_plus_one(hook: MakeHook, make_default: Sandbox) -> None:
    pairs = Counted(itertools.repeat(PAIR))

    with pytest.raises(Exception) as caught:
        hook.ring_plus(pairs)

    check_refused(caught.value, "pairs")
    assert says_too_many(str(caught.value), MAX_PAIRS), str(caught.value)
    assert pairs.taken <= MAX_PAIRS + 1
    assert make_default.requests() == []


@pytest.mark.timeout(10)
def test_endless_callees_are_refused_after_at_most_max_plus_one(
    hook: MakeHook, make_default: Sandbox
) -> None:
    callees = Counted(distinct_callees())

    with pytest.raises(Exception) as caught:
        hook.ringun("33", NATIONAL_CALLER, callees)

    check_refused(caught.value, "callees")
    assert says_too_many(str(caught.value), MAX_CALLEES), str(caught.value)
    assert callees.taken <= MAX_CALLEES + 1
    assert make_default.requests() == []


@pytest.mark.timeout(10)
def test_iterators_of_the_maximum_length_are_still_sent(hook: MakeHook, make_default: Sandbox) -> None:
    """The counterpart: bounding the consumption must not refuse a one-shot iterator that fits."""
    hook.ring_plus(Counted(itertools.repeat(PAIR, MAX_PAIRS)))
    hook.ringun("33", NATIONAL_CALLER, Counted(itertools.islice(distinct_callees(), MAX_CALLEES)))

    ring_plus, ringun = make_default.sends()
    assert "from9" in ring_plus["params"]
    assert len(ringun["params"]["list"].split("+")) == MAX_CALLEES


# ------------------------------------------------------------- wrong types

WRONG_TYPES: dict[str, Any] = {
    "dict": {"a": 1},
    "set": {1, 2},
    "bytes": b"33612345678",
    "float": 3.5,
    "none": None,
    "true": True,
}


def _same(value: Any) -> Any:
    return value


WRONG_TYPE_CASES = [
    Case(f"{kind}-{type_name}", passing(call, functools.partial(_same, value)), argument)
    for kind, argument, call, none_allowed, _ in ARGUMENT_KINDS
    for type_name, value in WRONG_TYPES.items()
    if not (value is None and none_allowed)
]


@run_cases(WRONG_TYPE_CASES)
def test_wrong_type_is_refused(hook: MakeHook, make_default: Sandbox, case: Case) -> None:
    assert_refused_before_sending(hook, make_default, case)


# ------------------------------------------------------------- a minus sign before a number

MINUS_CASES = [
    Case("caller", lambda h: h.ring("-33612345678", CALLEE), "caller"),
    Case("callee", lambda h: h.call(CALLER, "-33687654321"), "callee"),
    Case("recipient", lambda h: h.sms_plus(CALLER, "-33687654321", "hi"), "recipient"),
    Case("sender", lambda h: h.sms("-33612345678", CALLEE, "123"), "sender"),
    Case("pair-element", lambda h: h.ring_plus([PAIR, ("-33612345678", CALLEE)]), "pairs"),
    Case("ringun-caller", lambda h: h.ringun("33", "-687345678", [NATIONAL_CALLEE]), "caller"),
    Case("ringun-callee", lambda h: h.ringun("33", NATIONAL_CALLER, ["-687654321"]), "callees"),
]


@run_cases(MINUS_CASES)
def test_number_with_a_minus_sign_is_refused(hook: MakeHook, make_default: Sandbox, case: Case) -> None:
    assert_refused_before_sending(hook, make_default, case)


# ------------------------------------------------------------- makeSms+ text length


def test_sms_plus_text_of_22000_characters_is_refused_with_the_limit(
    hook: MakeHook, make_default: Sandbox
) -> None:
    case = Case("22000", lambda h: h.sms_plus(CALLER, CALLEE, "a" * 22_000), "message")

    error = assert_refused_before_sending(hook, make_default, case)

    assert error.argument == "message"
    numbers = [int(found) for found in re.findall(r"[0-9]+", str(error).replace(",", ""))]
    # The limit is the rewrite's choice (around 1,000); a 300-character text must pass.
    assert any(300 <= number < 22_000 for number in numbers), f"no length limit in: {error}"


def test_sms_plus_text_of_300_characters_is_sent(hook: MakeHook, make_default: Sandbox) -> None:
    hook.sms_plus(CALLER, CALLEE, "a" * 300)

    (sent,) = make_default.sends()
    assert sent["params"]["msg"] == "a" * 300


# ------------------------------------------------------------- default_region of every country


@pytest.mark.parametrize(
    ("region", "written", "expected"),
    [
        ("US", "650 253 0000", "16502530000"),  # no trunk prefix: was read as +65
        ("FR", "06 12 34 56 78", "33612345678"),
        ("GB", "07400 123456", "447400123456"),
        ("RU", "8 912 345 67 89", "79123456789"),  # trunk prefix 8
    ],
)
def test_default_region_reads_national_numbers_of_its_country(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, region: str, written: str, expected: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(default_region=region))
    hook = MakeHook(make_conn_id="make_default")
    try:
        hook.sms_plus(sender="+33612345678", recipient=written, message="hi")
    finally:
        hook.close()

    (sent,) = api.sends()
    assert sent["params"]["from"] == "33612345678"
    assert sent["params"]["to"] == expected
    assert f"&to={expected}&" in sent["query"]


# ------------------------------------------------------------- non-geographic ringun prefixes


@pytest.mark.parametrize("prefix", ["800", "870", "882", "883"])
def test_non_geographic_ringun_prefix_is_refused_as_such(
    hook: MakeHook, make_default: Sandbox, prefix: str
) -> None:
    case = Case(prefix, lambda h: h.ringun(prefix, "12345678", ["12345679"]), "prefix")

    error = assert_refused_before_sending(hook, make_default, case)

    assert error.argument == "prefix"
    assert prefix in str(error)
    assert re.search(r"non-geographic|not a country", str(error), re.IGNORECASE), str(error)
    assert "default region" not in str(error)


# ------------------------------------------------------------- malformed connection extras


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"endpoints": ["ring"]}, "endpoints"),
        ({"endpoints": 5}, "endpoints"),
        ({"endpoints": {"ring": 5}}, "endpoints"),
        ({"default_region": 33}, "default_region"),
        ({"connect_timeout": "abc"}, "connect_timeout"),
        ({"connect_timeout": 10**400}, "connect_timeout"),  # float() overflows
        ({"timeout": [1]}, "timeout"),
        ({"total_timeout": -1}, "total_timeout"),
    ],
    ids=[
        "endpoints-list",
        "endpoints-int",
        "endpoints-path-int",
        "default-region-int",
        "connect-timeout-text",
        "connect-timeout-huge",
        "timeout-list",
        "total-timeout-negative",
    ],
)
def test_malformed_connection_extra_is_a_configuration_error(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], field: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(**extra))
    hook = MakeHook(make_conn_id="make_default")
    try:
        with pytest.raises(Exception) as caught:
            hook.ring(CALLER, CALLEE)
    finally:
        hook.close()

    error = caught.value
    assert isinstance(error, MakeConfigurationError), describe(error)
    assert isinstance(error, AirflowFailException), describe(error)
    # The field itself, not a longer name containing it ("timeout" is not "connect_timeout").
    assert re.search(rf"(?<![A-Za-z0-9_]){field}(?![A-Za-z0-9_])", str(error)), describe(error)
    assert api.requests() == []
