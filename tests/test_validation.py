"""Every argument check, through the client and through the hook, over the real sandbox.

A refused argument must raise :class:`MakeValidationError` (a ``ValueError``) naming the
argument, with a plain-English message, and nothing may reach the API. Through the hook
the same error is also an ``AirflowFailException``: retrying cannot fix an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.compat import AirflowFailException
from airflow_provider_make.hooks.make import MakeHook
from tests.kinds import KindClient

CALLER = "33612345678"
CALLEE = "33687654321"
PAIR = (CALLER, CALLEE)


@dataclass(frozen=True)
class Case:
    """One refused call: what to call, the argument it must name, phrases the message holds."""

    id: str
    call: Callable[[Any], Any]
    argument: str
    phrases: tuple[str, ...]
    absent: tuple[str, ...] = ()  # what the message must not say (a cause the user did not write)


def _callees(count: int) -> list[str]:
    return [f"6876{index:05d}" for index in range(count)]


CASES = [
    # phone numbers
    Case(
        "letters",
        lambda t: t.ring("06 12 AB 56 78", CALLEE),
        "caller",
        ("'06 12 AB 56 78'", "not a phone number"),
    ),
    Case("letters-only", lambda t: t.call(CALLER, "john"), "callee", ("'john'", "not a phone number")),
    Case(
        "too-short",
        lambda t: t.ring(CALLER, "+33 6 12"),
        "callee",
        ("for country code +33 (read from its leading '+')", "too short"),
    ),
    Case(
        "too-short-after-00",
        lambda t: t.ring(CALLER, "0044 12"),
        "callee",
        ("for country code +44 (read from its leading '00')", "too short"),
    ),
    Case(
        "too-short-sms",
        lambda t: t.sms("336", CALLEE, "123"),
        "sender",
        ("'336'", "too short", "read country code first", "default_region"),
        ("country code +",),
    ),
    Case(
        "bare-digits-no-country",
        lambda t: t.sms_plus(CALLER, "12345", "hi"),
        "recipient",
        ("'12345' is not a valid phone number", "read country code first", "with '+' and its country code"),
        ("+1", "country code +"),
    ),
    Case(
        "bare-digits-unknown-country",
        lambda t: t.sms_plus(CALLER, "999123456", "hi"),
        "recipient",
        ("its first digits are no country code",),
        ("+999",),
    ),
    Case(
        "national-without-region",
        lambda t: t.sms_plus(CALLER, "06 87 65 43 21", "hi"),
        "recipient",
        ("'06 87 65 43 21'", "no country code", "default_region"),
    ),
    Case("empty-phone", lambda t: t.ring("", CALLEE), "caller", ("phone number", "empty")),
    Case("phone-not-text", lambda t: t.ring(None, CALLEE), "caller", ("phone number", "NoneType")),
    # delay
    Case(
        "delay-negative",
        lambda t: t.ring(CALLER, CALLEE, delay_seconds=-1),
        "delay_seconds",
        ("0 to 7200", "-1"),
    ),
    Case(
        "delay-too-long",
        lambda t: t.call(CALLER, CALLEE, delay_seconds=7201),
        "delay_seconds",
        ("0 to 7200", "7201"),
    ),
    Case(
        "delay-fraction",
        lambda t: t.sms(CALLER, CALLEE, "123", delay_seconds="3.5"),
        "delay_seconds",
        ("whole number", "'3.5'"),
    ),
    Case(
        "delay-bool",
        lambda t: t.ring_plus([PAIR, PAIR], delay_seconds=True),
        "delay_seconds",
        ("whole number", "True"),
    ),
    Case(
        "delay-float",
        lambda t: t.sms_plus(CALLER, CALLEE, "hi", delay_seconds=2.0),
        "delay_seconds",
        ("whole number",),
    ),
    # makeCall+
    Case(
        "duration-zero",
        lambda t: t.call_plus(CALLER, CALLEE, max_duration_minutes=0, recording_notice=True),
        "max_duration_minutes",
        ("1 to 10", "minutes", "0"),
    ),
    Case(
        "duration-eleven",
        lambda t: t.call_plus(CALLER, CALLEE, max_duration_minutes=11, recording_notice=True),
        "max_duration_minutes",
        ("1 to 10", "minutes", "11"),
    ),
    Case(
        "notice-false",
        lambda t: t.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice=False),
        "recording_notice",
        ("recorded", "recording_notice=True", "False"),
    ),
    Case(
        "notice-yes",
        lambda t: t.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice="yes"),
        "recording_notice",
        ("recorded", "'yes'"),
    ),
    Case(
        "notice-one",
        lambda t: t.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice=1),
        "recording_notice",
        ("recorded", "got 1"),
    ),
    # makeRing+
    Case("pairs-one", lambda t: t.ring_plus([PAIR]), "pairs", ("2 to 10", "got 1")),
    Case("pairs-eleven", lambda t: t.ring_plus([PAIR] * 11), "pairs", ("2 to 10", "more than 10")),
    Case(
        "pairs-not-a-list",
        lambda t: t.ring_plus("33612345678"),
        "pairs",
        ("expected a list", "render_template_as_native_obj"),
    ),
    Case("pair-malformed", lambda t: t.ring_plus([PAIR, (CALLER,)]), "pairs[1]", ("(caller, callee) pair",)),
    Case(
        "pair-three",
        lambda t: t.ring_plus([(CALLER, CALLEE, CALLEE), PAIR]),
        "pairs[0]",
        ("(caller, callee) pair",),
    ),
    Case(
        "pair-bad-number",
        lambda t: t.ring_plus([PAIR, (CALLER, "abc")]),
        "pairs[1] callee",
        ("'abc'", "not a phone number"),
    ),
    # makeRingun
    Case("callees-none", lambda t: t.ringun("33", "687345678", []), "callees", ("1 to 100 callees", "got 0")),
    Case(
        "callees-101",
        lambda t: t.ringun("33", "687345678", _callees(101)),
        "callees",
        ("1 to 100 callees", "more than 100"),
    ),
    Case(
        "callee-duplicate",
        lambda t: t.ringun("33", "687345678", ["687654321", "687654322", "06 87 65 43 21"]),
        "callees[2]",
        ("already callees[0]", "duplicates"),
    ),
    Case(
        "prefix-999",
        lambda t: t.ringun("999", "687345678", ["687654321"]),
        "prefix",
        ("'999'", "country calling code"),
    ),
    Case(
        "prefix-abc",
        lambda t: t.ringun("abc", "687345678", ["687654321"]),
        "prefix",
        ("'abc'", "country calling code"),
    ),
    Case(
        "callee-other-country",
        lambda t: t.ringun("33", "687345678", ["687654321", "+44 7911 123456"]),
        "callees[1]",
        ("country code +44", "prefix is 33"),
    ),
    Case(
        "caller-other-country",
        lambda t: t.ringun("33", "+1 202 555 0143", ["687654321"]),
        "caller",
        ("country code +1", "prefix is 33"),
    ),
    # makeSms
    Case(
        "catalog-letters",
        lambda t: t.sms(CALLER, CALLEE, "abc"),
        "catalog_code",
        ("catalog code", "digits", "'abc'"),
    ),
    Case("catalog-empty", lambda t: t.sms(CALLER, CALLEE, ""), "catalog_code", ("catalog code", "empty")),
    # makeSms+
    Case("sms-empty", lambda t: t.sms_plus(CALLER, CALLEE, ""), "message", ("SMS text", "empty")),
    Case("sms-blank", lambda t: t.sms_plus(CALLER, CALLEE, "   "), "message", ("SMS text", "empty")),
    Case("sms-not-text", lambda t: t.sms_plus(CALLER, CALLEE, b"hi"), "message", ("SMS text", "bytes")),
    Case(
        "sms-euro",
        lambda t: t.sms_plus(CALLER, CALLEE, "Prix: 5€"),
        "message",
        ("GSM 03.38", "'€' (U+20AC)", "extension table", "position 8"),
    ),
    Case(
        "sms-accent",
        lambda t: t.sms_plus(CALLER, CALLEE, "Tu es prête"),
        "message",
        ("'ê' (U+00EA) at position 9", "transliterate=True"),
    ),
    Case("sms-tab", lambda t: t.sms_plus(CALLER, CALLEE, "a\tb"), "message", ("U+0009 at position 2",)),
    Case(
        "sms-three-bad",
        lambda t: t.sms_plus(CALLER, CALLEE, "a€bêc\td[e]"),
        "message",
        (
            "5 character(s)",
            "'€' (U+20AC), from the GSM extension table at position 2",
            "'ê' (U+00EA) at position 4",
            "U+0009 at position 6",
            "'[' (U+005B), from the GSM extension table at position 8",
            "']' (U+005D), from the GSM extension table at position 10",
        ),
    ),
    Case(
        "sms-transliterate-leaves-euro",
        lambda t: t.sms_plus(CALLER, CALLEE, "ê€", transliterate=True),
        "message",
        ("'€' (U+20AC)", "position 2", "only in the GSM extension table", "remove or replace"),
        ("transliterate=True",),
    ),
    Case(
        "sms-braces",
        lambda t: t.sms_plus(CALLER, CALLEE, "Code {X}"),
        "message",
        (
            "'{' (U+007B), '}' (U+007D): only in the GSM extension table",
            "not in the basic set makeSms+ takes",
            "remove or replace them",
        ),
        ("transliterate",),
    ),
    Case(
        "sms-emoji",
        lambda t: t.sms_plus(CALLER, CALLEE, "Bravo \U0001f600"),
        "message",
        ("'\U0001f600' (U+1F600): not in the GSM alphabet; remove or replace them",),
        ("transliterate",),
    ),
    Case(
        "sms-accent-and-brace",
        lambda t: t.sms_plus(CALLER, CALLEE, "prête {"),
        "message",
        (
            "transliterate=True replaces 'ê' (U+00EA) with GSM look-alikes",
            "'{' (U+007B): only in the GSM extension table",
        ),
    ),
    # tracking
    Case("tracking-space", lambda t: t.get_tracking("abc def"), "tracking_id", ("tracking id", "'abc def'")),
    Case(
        "tracking-slash",
        lambda t: t.get_tracking("abc/../x"),
        "tracking_id",
        ("tracking id", "letters and digits"),
    ),
    Case("tracking-empty", lambda t: t.get_tracking(""), "tracking_id", ("tracking id", "empty")),
]


def check_refusal(error: MakeValidationError, case: Case) -> None:
    assert isinstance(error, MakeValidationError)
    assert isinstance(error, ValueError)
    assert error.argument == case.argument
    assert error.result_code is None
    message = str(error)
    assert message.startswith(f"{case.argument}: ")
    for phrase in case.phrases:
        assert phrase in message, (phrase, message)
    for phrase in case.absent:
        assert phrase not in message, (phrase, message)
    assert "http" not in message  # never a URL


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_client_refuses_before_sending(api, client, case):
    with pytest.raises(MakeValidationError) as caught:
        case.call(client)

    check_refusal(caught.value, case)
    assert api.requests() == []


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hook_refuses_before_sending(make_default, case):
    hook = MakeHook()
    try:
        with pytest.raises(AirflowFailException) as caught:
            case.call(hook)
    finally:
        hook.close()

    assert isinstance(caught.value, MakeValidationError)
    check_refusal(caught.value, case)
    assert make_default.requests() == []


def test_the_same_arguments_are_accepted_when_valid(api, client):
    """The counterpart of the refusals: boundaries that must pass do pass."""
    client.ring(CALLER, CALLEE, delay_seconds=0)
    client.ring(CALLER, CALLEE, delay_seconds=7200)
    client.ring(CALLER, CALLEE, delay_seconds=" 12 ")
    client.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice=True)
    client.call_plus(CALLER, CALLEE, max_duration_minutes="10", recording_notice=True)
    client.ring_plus([PAIR] * 2)
    client.ring_plus([PAIR] * 10)
    client.ringun("33", "687345678", _callees(100))
    client.sms(CALLER, CALLEE, 123)
    client.sms_plus(CALLER, CALLEE, "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./¡ÄÖÑÜ§¿äöñüà")

    assert len(api.sends()) == 10
    params = [r["params"] for r in api.sends()]
    assert [p.get("insec") for p in params[:3]] == ["0", "7200", "12"]
    assert params[4]["duration"] == "10"
    assert len(params[7]["list"].split("+")) == 100


def test_national_number_refused_without_default_region(api, client):
    with pytest.raises(MakeValidationError) as caught:
        client.ring("06 12 34 56 78", CALLEE)

    assert caught.value.argument == "caller"
    assert "country code" in str(caught.value)
    assert api.requests() == []


def test_national_number_accepted_with_default_region_in_settings(api):
    settings = ClientSettings("ops@example.com", "p@ss w&rd+1/é", base_url=api.url, default_region="FR")
    with KindClient(settings) as client:
        client.ring("06 12 34 56 78", "06.87.65.43.21")
        client.ring_plus([("0612345678", "0687654321"), ("+33612345679", "0687654322")])

    ring, ring_plus = api.sends()
    assert ring["params"]["from"] == "33612345678"
    assert ring["params"]["to"] == "33687654321"
    assert ring["query"].endswith("&from=33612345678&to=33687654321")
    assert ring_plus["query"].endswith("&from0=33612345678&to0=33687654321&from1=33612345679&to1=33687654322")


def test_national_number_accepted_with_default_region_on_the_connection(api, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(default_region="FR"))
    hook = MakeHook()
    try:
        hook.sms_plus("06 12 34 56 78", "0687654321", "hi")
    finally:
        hook.close()

    (sent,) = api.sends()
    assert sent["params"]["from"] == "33612345678"
    assert sent["params"]["to"] == "33687654321"


def test_default_region_does_not_apply_to_a_foreign_national_number(api):
    settings = ClientSettings("ops@example.com", "p@ss w&rd+1/é", base_url=api.url, default_region="FR")
    with KindClient(settings) as client, pytest.raises(MakeValidationError) as caught:
        client.ring("020 7946 0018", CALLEE)  # a London number, read as French

    assert caught.value.argument == "caller"
    assert api.requests() == []


def test_transliterate_lets_accents_and_quotes_through(api, client):
    client.sms_plus(CALLER, CALLEE, "Tu es prête ? C’est l’heure", transliterate=True)

    (sent,) = api.sends()
    assert sent["params"]["msg"] == "Tu es prete ? C'est l'heure"
    assert sent["query"].endswith("&msg=Tu+es+prete+%3F+C%27est+l%27heure")


def test_transliterate_through_the_hook(make_default):
    hook = MakeHook()
    try:
        hook.sms_plus(CALLER, CALLEE, "Fête à l’école", transliterate=True)
    finally:
        hook.close()

    (sent,) = make_default.sends()
    assert sent["params"]["msg"] == "Fete à l'école"


def test_without_transliterate_the_typographic_quote_is_refused(api, client):
    with pytest.raises(MakeValidationError) as caught:
        client.sms_plus(CALLER, CALLEE, "C’est")

    assert "'’' (U+2019) at position 2" in str(caught.value)
    assert api.requests() == []


def test_more_than_ten_bad_characters_are_summarised(api, client):
    with pytest.raises(MakeValidationError) as caught:
        client.sms_plus(CALLER, CALLEE, "€" * 12)

    message = str(caught.value)
    assert "12 character(s)" in message
    assert "position 10" in message
    assert "position 11" not in message
    assert "and 2 more" in message
    assert api.requests() == []


def test_transliterate_reports_positions_in_the_users_text(api, client):
    with pytest.raises(MakeValidationError) as caught:
        client.sms_plus(CALLER, CALLEE, "œuf €", transliterate=True)  # '€' is the 5th character

    assert "'€' (U+20AC), from the GSM extension table at position 5" in str(caught.value)
    assert api.requests() == []


def test_bare_digits_of_another_country_than_the_default_one_are_refused(api):
    """687345678 is a French national number without its 0, but also +687 (New Caledonia)."""
    from airflow_provider_make.client.settings import ClientSettings
    from tests.conftest import LOGIN, PASSWORD
    from tests.kinds import KindClient

    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url, default_region="FR")) as french:
        with pytest.raises(
            MakeValidationError, match=r"is ambiguous: a FR number \(\+33687345678\) or a \+687 one"
        ):
            french.sms("687345678", "33687654321", "123")
        assert french.sms("0687345678", "33687654321", "123").result_code == 28
    [sent] = api.sends()
    assert "from=33687345678&" in sent["query"]


@pytest.mark.parametrize(
    ("region", "written", "phrase"),
    [
        (
            "US",
            "12345",
            "'12345' is not a valid phone number for country code +1 (read as a national number of "
            "US, the connection's default_region): it is too short",
        ),
        (
            "FR",
            "06 12",
            "for country code +33 (read as a national number of FR, the connection's default_region)",
        ),
        (
            "FR",
            "0044 12",
            "for country code +44 (read from its international prefix, dialled from FR, the "
            "connection's default_region)",
        ),
    ],
)
def test_a_refused_number_says_the_country_came_from_the_default_region(api, region, written, phrase):
    settings = ClientSettings("ops@example.com", "p@ss w&rd+1/é", base_url=api.url, default_region=region)
    with KindClient(settings) as client, pytest.raises(MakeValidationError) as caught:
        client.sms_plus(CALLER, written, "hi")

    assert caught.value.argument == "recipient"
    assert phrase in str(caught.value)
    assert api.requests() == []


def test_a_ringun_number_refused_says_the_country_is_the_prefix(api, client):
    with pytest.raises(MakeValidationError) as caught:
        client.ringun("33", "687345678", ["612"])

    assert (
        "'612' is not a valid phone number for country code +33 (the country of the prefix argument)"
        in str(caught.value)
    )
    assert api.requests() == []
