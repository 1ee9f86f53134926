"""What goes on the wire for each request kind, compared with the vendor document's examples.

Every request is sent by the real :class:`MakeClient` to the sandbox over HTTP; the tests
read back what the sandbox received (path and raw query string) and compare it character
for character with the example URLs of ``make-api-v1.7.txt``. To make that possible the
account is the document's own (``john@gmail.com`` / ``marilyn``), created in the sandbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from airflow_provider_make.client.answers import SendResult
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.client.settings import ClientSettings
from tests.kinds import KindClient

DOC_LOGIN = "john@gmail.com"
DOC_PASSWORD = "marilyn"
DOC_CREDITS = 1000
CALLER = "33612345678"
CALLEE = "33687654321"
RING_PLUS_PAIRS = [
    ("33612345678", "33687654321"),
    ("33612345679", "33687654322"),
    ("33612345670", "33687654323"),
    ("33612345671", "33687654324"),
]

# The document's example URLs, copied verbatim from make-api-v1.7.txt.
DOC_URLS = {
    "ring": "https://makesms.fr/apimaking.php?login=john@gmail.com&pwd=marilyn&from=33612345678&to=33687654321",
    "ring_plus": (
        "https://makesms.fr/apimakingplus.php?login=john@gmail.com&pwd=marilyn&from0=33612345678"
        "&to0=33687654321&from1=33612345679&to1=33687654322&from2=33612345670&to2=33687654323"
        "&from3=33612345671&to3=33687654324"
    ),
    "ringun": (
        "https://makesms.fr/apimakingun.php?login=john@gmail.com&pwd=marilyn&prefix=33&from=687345678"
        "&list=687654321+687654322"
    ),
    "call": "https://makesms.fr/apimakecall.php?login=john@gmail.com&pwd=marilyn&from=33612345678&to=33687654321",
    "call_plus": (
        "https://makesms.fr/apimakecallplus.php?login=john@gmail.com&pwd=marilyn&from=33612345678"
        "&to=33687654321&duration=1&engage=1"
    ),
    "sms": (
        "https://makesms.fr/apimakesms.php?login=john@gmail.com&pwd=marilyn&from=33612345678"
        "&to=33687654321&txt=123"
    ),
    "sms_plus": (
        "https://makesms.fr/apimakesmsplus.php?login=john@gmail.com&pwd=marilyn&from=33612345678"
        "&to=33687654321&msg=Bonjour+comment+ca+va+%3F"
    ),
    "credits": "https://makesms.fr/apicredits.php?login=john@gmail.com&pwd=marilyn",
}

# The costs of the document's example answers (the sandbox charges the same).
DOC_COSTS = {"ring": 5, "ring_plus": 20, "ringun": 10, "call": 5, "call_plus": 20, "sms": 5, "sms_plus": 10}

Send = Callable[..., SendResult]

# Each kind, called with the document's example arguments; ``delay`` is passed through.
SENDS: dict[str, Callable[[KindClient, int | None], SendResult]] = {
    "ring": lambda c, d: c.ring(CALLER, CALLEE, delay_seconds=d),
    "ring_plus": lambda c, d: c.ring_plus(RING_PLUS_PAIRS, delay_seconds=d),
    "ringun": lambda c, d: c.ringun("33", "687345678", ["687654321", "687654322"], delay_seconds=d),
    "call": lambda c, d: c.call(CALLER, CALLEE, delay_seconds=d),
    "call_plus": lambda c, d: c.call_plus(
        CALLER, CALLEE, max_duration_minutes=1, recording_notice=True, delay_seconds=d
    ),
    "sms": lambda c, d: c.sms(CALLER, CALLEE, "123", delay_seconds=d),
    "sms_plus": lambda c, d: c.sms_plus(CALLER, CALLEE, "Bonjour comment ca va ?", delay_seconds=d),
}

KINDS = {
    "ring": RequestKind.RING,
    "ring_plus": RequestKind.RING_PLUS,
    "ringun": RequestKind.RINGUN,
    "call": RequestKind.CALL,
    "call_plus": RequestKind.CALL_PLUS,
    "sms": RequestKind.SMS,
    "sms_plus": RequestKind.SMS_PLUS,
}

# The document's result-code table: (without a delay, with a delay).
SUCCESS_CODES = {
    "ring": (18, 19),
    "ring_plus": (78, 78),
    "ringun": (681, 691),
    "call": (8, 9),
    "call_plus": (58, 59),
    "sms": (28, 29),
    "sms_plus": (38, 39),
}


def doc_path_and_query(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path, parts.query


@pytest.fixture
def doc_client(api) -> Iterator[KindClient]:
    """A client logged in with the document's example account."""
    api.account(DOC_LOGIN, DOC_PASSWORD, DOC_CREDITS)
    with KindClient(ClientSettings(DOC_LOGIN, DOC_PASSWORD, base_url=api.url)) as made:
        yield made


def only_request(api) -> dict:
    received = api.requests()
    assert len(received) == 1, received
    return received[0]


@pytest.mark.parametrize("name", list(SENDS))
def test_send_matches_the_documents_example_url(api, doc_client, name):
    result = SENDS[name](doc_client, None)

    received = only_request(api)
    path, query = doc_path_and_query(DOC_URLS[name])
    assert received["path"] == path
    assert received["query"] == query
    assert result.result_code == SUCCESS_CODES[name][0]


@pytest.mark.parametrize("name", list(SENDS))
def test_send_returns_a_typed_result(api, doc_client, name):
    result = SENDS[name](doc_client, None)

    assert isinstance(result, SendResult)
    assert result.kind is KINDS[name]
    assert type(result.cost) is int
    assert type(result.credits) is int
    assert type(result.result_code) is int
    assert isinstance(result.id, str)
    assert result.id
    assert result.cost == DOC_COSTS[name]
    assert result.credits == DOC_CREDITS - DOC_COSTS[name] == api.credits_of(DOC_LOGIN)
    assert only_request(api)["id"] == result.id


@pytest.mark.parametrize("name", list(SENDS))
@pytest.mark.parametrize("delay", [None, 0, 30])
def test_success_codes_with_and_without_delay(api, doc_client, name, delay):
    result = SENDS[name](doc_client, delay)

    without, with_delay = SUCCESS_CODES[name]
    assert result.result_code == (without if delay is None else with_delay)
    params = only_request(api)["params"]
    if delay is None:
        # Left out, the delay saved on the account applies (history 1.5).
        assert "insec" not in params
    else:
        assert params["insec"] == str(delay)


@pytest.mark.parametrize("name", ["ring", "ring_plus", "ringun", "call", "sms", "sms_plus"])
def test_delay_is_insec_appended_last(api, doc_client, name):
    SENDS[name](doc_client, 30)

    _, query = doc_path_and_query(DOC_URLS[name])
    assert only_request(api)["query"] == query + "&insec=30"


def test_ring_never_sends_nsec(api, doc_client):
    # Spec decision 1: the template's `nsec` is a typo; `insec` everywhere.
    doc_client.ring(CALLER, CALLEE)
    doc_client.ring(CALLER, CALLEE, delay_seconds=0)
    doc_client.ring(CALLER, CALLEE, delay_seconds=7200)

    received = api.requests("/apimaking.php")
    assert len(received) == 3
    for request in received:
        assert "nsec" not in request["params"]
        assert not re.search(r"(^|&)nsec=", request["query"])
    assert [r["params"].get("insec") for r in received] == [None, "0", "7200"]
    assert received[1]["query"].endswith("&to=33687654321&insec=0")


def test_call_plus_puts_insec_between_to_and_duration(api, doc_client):
    # The template's order: from, to, insec, duration, engage.
    result = doc_client.call_plus(
        CALLER, CALLEE, max_duration_minutes=10, recording_notice=True, delay_seconds=90
    )

    assert only_request(api)["query"] == (
        "login=john@gmail.com&pwd=marilyn&from=33612345678&to=33687654321&insec=90&duration=10&engage=1"
    )
    assert result.result_code == 59


def test_call_plus_always_sends_engage_1(api, doc_client):
    doc_client.call_plus(CALLER, CALLEE, max_duration_minutes=3, recording_notice=True)

    params = only_request(api)["params"]
    assert params["engage"] == "1"
    assert params["duration"] == "3"


def test_ring_plus_default_path_is_apimakingplus(api, doc_client):
    doc_client.ring_plus(RING_PLUS_PAIRS[:2])

    received = only_request(api)
    assert received["path"] == "/apimakingplus.php"
    assert received["query"] == (
        "login=john@gmail.com&pwd=marilyn&from0=33612345678&to0=33687654321&from1=33612345679&to1=33687654322"
    )


def test_ring_plus_path_override_in_client_settings(api):
    api.account(DOC_LOGIN, DOC_PASSWORD, DOC_CREDITS)
    settings = ClientSettings(
        DOC_LOGIN, DOC_PASSWORD, base_url=api.url, endpoints={"ring_plus": "apimakeringplus.php"}
    )
    with KindClient(settings) as client:
        result = client.ring_plus(RING_PLUS_PAIRS)

    received = only_request(api)
    assert received["path"] == "/apimakeringplus.php"
    assert received["query"] == doc_path_and_query(DOC_URLS["ring_plus"])[1]
    assert result.result_code == 78


def test_ring_plus_path_override_from_the_connection(api, monkeypatch):
    from airflow_provider_make.hooks.make import MakeHook

    monkeypatch.setenv(
        "AIRFLOW_CONN_MAKE_DEFAULT",
        api.conn_json(DOC_LOGIN, DOC_PASSWORD, endpoints={"ring_plus": "apimakeringplus.php"}),
    )
    api.account(DOC_LOGIN, DOC_PASSWORD, DOC_CREDITS)
    hook = MakeHook()
    try:
        hook.ring_plus(RING_PLUS_PAIRS)
        hook.ring(CALLER, CALLEE)  # other kinds keep their default path
    finally:
        hook.close()

    assert [r["path"] for r in api.requests()] == ["/apimakeringplus.php", "/apimaking.php"]
    assert api.requests()[0]["query"] == doc_path_and_query(DOC_URLS["ring_plus"])[1]


def test_ringun_joins_callees_with_a_literal_plus(api, doc_client):
    callees = ["687654321", "687654322", "687654323"]
    doc_client.ringun("33", "687345678", callees)

    query = only_request(api)["query"]
    assert "list=687654321+687654322+687654323" in query
    assert "%2B" not in query.upper()


def test_ringun_prefix_and_numbers_are_national_on_the_wire(api, doc_client):
    # Users may write the caller and callees with the country code or a national 0.
    doc_client.ringun("+33", "+33 6 87 34 56 78", ["06 87 65 43 21", "0033687654322"])

    assert only_request(api)["query"] == doc_path_and_query(DOC_URLS["ringun"])[1]


@pytest.mark.parametrize(
    ("caller", "callee"),
    [
        ("+33 6 12 34 56 78", "+33 6 87 65 43 21"),
        ("0033612345678", "0033687654321"),
        ("+33 (0)6 12 34 56 78", "0033 6.87.65.43.21"),
        (33612345678, 33687654321),
    ],
)
def test_phone_numbers_are_normalised_on_the_wire(api, doc_client, caller, callee):
    doc_client.ring(caller, callee)

    received = only_request(api)
    assert received["query"] == doc_path_and_query(DOC_URLS["ring"])[1]
    assert received["params"]["from"] == "33612345678"
    assert received["params"]["to"] == "33687654321"


def test_sms_plus_message_is_url_encoded_like_the_document(api, doc_client):
    doc_client.sms_plus("+33 6 12 34 56 78", "0033687654321", "Bonjour comment ca va ?")

    assert only_request(api)["query"].endswith("&msg=Bonjour+comment+ca+va+%3F")


def test_sms_plus_encodes_reserved_characters(api, doc_client):
    message = "50% & +1 = ok? l'@mi/#"
    doc_client.sms_plus(CALLER, CALLEE, message)

    received = only_request(api)
    assert received["params"]["msg"] == message
    assert received["query"].endswith("&msg=50%25+%26+%2B1+%3D+ok%3F+l%27%40mi%2F%23")


def test_sms_sends_the_catalog_code_as_txt(api, doc_client):
    doc_client.sms(CALLER, CALLEE, 900)

    assert only_request(api)["query"].endswith("&to=33687654321&txt=900")


def test_tracking_sends_the_id_only_without_credentials(api, doc_client):
    sent = doc_client.sms(CALLER, CALLEE, "123")
    api.advance(11)
    doc_client.get_tracking(sent.id)

    received = api.requests("/apilog.php")
    assert len(received) == 1
    assert received[0]["query"] == f"id={sent.id}"
    assert "login" not in received[0]["params"]
    assert "pwd" not in received[0]["params"]
    assert DOC_PASSWORD not in received[0]["query"]


def test_credits_matches_the_documents_example_url(api, doc_client):
    balance = doc_client.get_credits()

    received = only_request(api)
    path, query = doc_path_and_query(DOC_URLS["credits"])
    assert received["path"] == path
    assert received["query"] == query
    assert type(balance) is int
    assert balance == DOC_CREDITS


def test_login_and_password_are_encoded_but_at_sign_is_kept(api, client):
    # The fixture account's password has every character URL-encoding changes.
    client.get_credits()

    assert only_request(api)["query"] == "login=ops@example.com&pwd=p%40ss+w%26rd%2B1%2F%C3%A9"
    assert only_request(api)["params"]["pwd"] == "p@ss w&rd+1/é"


def test_each_send_is_sent_once(api, doc_client):
    for name, send in SENDS.items():
        send(doc_client, None)
        assert len(api.sends()) == list(SENDS).index(name) + 1
    assert [r["path"] for r in api.sends()] == [doc_path_and_query(DOC_URLS[n])[0] for n in SENDS]


def test_connection_port_is_added_to_the_host(api, monkeypatch):
    from airflow_provider_make.hooks.make import MakeHook

    conn = {"conn_type": "make", "host": "http://127.0.0.1/", "port": api.server.port}
    conn |= {"login": DOC_LOGIN, "password": DOC_PASSWORD}
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))
    api.account(DOC_LOGIN, DOC_PASSWORD, DOC_CREDITS)
    hook = MakeHook()
    try:
        assert hook.get_credits() == DOC_CREDITS
    finally:
        hook.close()

    assert only_request(api)["query"] == doc_path_and_query(DOC_URLS["credits"])[1]


def test_connection_port_goes_after_the_host_not_after_the_path(monkeypatch):
    from airflow_provider_make.hooks.make import MakeHook

    conn = {"conn_type": "make", "host": "https://makesms.fr/api/", "port": 8443}
    conn |= {"login": DOC_LOGIN, "password": DOC_PASSWORD}
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", json.dumps(conn))

    assert MakeHook().settings.base_url == "https://makesms.fr:8443/api/"
