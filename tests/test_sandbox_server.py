"""The make sandbox answers like the make API v1.7, over real HTTP.

These tests talk to :class:`SandboxServer` with ``urllib.request`` on purpose, not with
the project's client: the sandbox is what the client is tested against, so it must be
checked independently. Time-dependent behaviour is tested on a speed-1 server whose
clock the test moves forward (``POST /_sandbox/clock``), which is deterministic, and
once on a fast server (speed 1000) with a short real wait.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from airflow_provider_make.sandbox import Account, SandboxServer

LOGIN = "john@gmail.com"
PWD = "marilyn"
AUTH = urlencode({"login": LOGIN, "pwd": PWD})
CALLER = "33612345678"
CALLEE = "33687654321"
NO_ANSWER = "33687650000"  # ends in 0000: never answers
ROOT = Path(__file__).resolve().parent.parent

RING_FIELDS = ["result", "make", "id", "date_created", "from", "to", "insec"]
CALL_DATES = ["date_ringA", "date_ringB", "date_answerA", "date_answerB", "date_hangup", "date_hangupB"]


# -- helpers ----------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, data: bytes | None = None, method: str | None = None) -> Reply:
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type", ""), error.read())


def fields(body: str) -> dict[str, str]:
    """The children of <response> in order (dicts keep insertion order)."""
    root = ET.fromstring(body)  # noqa: S314 (our own sandbox's answer, not untrusted input)
    assert root.tag == "response"
    return {child.tag: child.text or "" for child in root}


def api(server: SandboxServer, path: str, query: str) -> dict[str, str]:
    reply = fetch(f"{server.url}{path}?{query}")
    assert reply.status == 200
    assert reply.content_type == "text/xml; charset=utf-8"
    assert reply.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n')
    return fields(reply.text)


def control(server: SandboxServer, name: str, payload: object | None = None) -> tuple[int, object]:
    data = None if payload is None else json.dumps(payload).encode()
    reply = fetch(f"{server.url}_sandbox/{name}", data=data, method="GET" if data is None else "POST")
    assert reply.content_type == "application/json"
    return reply.status, json.loads(reply.body)


def post(server: SandboxServer, name: str, payload: object = None) -> object:
    status, answer = control(server, name, {} if payload is None else payload)
    assert status == 200, answer
    return answer


def advance(server: SandboxServer, seconds: float) -> None:
    post(server, "clock", {"advance": seconds})


def requests_log(server: SandboxServer) -> list[dict[str, object]]:
    status, entries = control(server, "requests")
    assert status == 200
    assert isinstance(entries, list)
    return entries


def code_of(server: SandboxServer, path: str, query: str) -> int:
    return int(api(server, path, query)["result_code"])


def send(server: SandboxServer, path: str, query: str) -> str:
    answer = api(server, path, f"{AUTH}&{query}")
    assert answer["result"] == "success", answer
    return answer["id"]


def track(server: SandboxServer, tracking_id: str) -> dict[str, str]:
    return api(server, "apilog.php", f"id={tracking_id}")


def hexdate(answer: dict[str, str], name: str) -> int:
    return int(answer[name], 16)


def offsets(answer: dict[str, str], names: list[str]) -> list[int | None]:
    """Each date relative to date_created + insec, None for 0."""
    start = hexdate(answer, "date_created") + int(answer["insec"])
    return [None if answer[name] == "0" else hexdate(answer, name) - start for name in names]


@pytest.fixture(scope="module")
def _slow_server() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1.0, accounts=[Account(LOGIN, PWD, 1000)]) as server:
        yield server


@pytest.fixture(scope="module")
def _fast_server() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000.0, accounts=[Account(LOGIN, PWD, 1000)]) as server:
        yield server


@pytest.fixture
def server(_slow_server: SandboxServer) -> SandboxServer:
    """A real-time sandbox whose clock the test moves, freshly reset."""
    post(_slow_server, "reset")
    return _slow_server


@pytest.fixture
def fast(_fast_server: SandboxServer) -> SandboxServer:
    """A sandbox running 1000 times faster than real time, freshly reset."""
    post(_fast_server, "reset")
    return _fast_server


# -- sends: success ---------------------------------------------------------------------------


def test_success_answer_has_the_documented_shape(server: SandboxServer) -> None:
    reply = fetch(f"{server.url}apimaking.php?{AUTH}&from={CALLER}&to={CALLEE}")
    assert reply.status == 200
    assert reply.content_type == "text/xml; charset=utf-8"
    tracking_id = fields(reply.text)["id"]
    assert re.fullmatch(r"[a-z0-9]{14}", tracking_id)
    assert reply.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <result>success</result>\n'
        f"  <cost>5</cost>\n  <credits>995</credits>\n  <id>{tracking_id}</id>\n"
        "  <result_code>18</result_code>\n</response>\n"
    )


SENDS = [
    ("apimaking.php", f"from={CALLER}&to={CALLEE}", 5, 18, 19),
    (
        "apimakingplus.php",
        f"from0={CALLER}&to0={CALLEE}&from1=33612345679&to1=33687654322&from2=33612345670&to2=33687654323",
        15,
        78,
        78,
    ),
    ("apimakeringplus.php", f"from0={CALLER}&to0={CALLEE}&from1=33612345679&to1=33687654322", 10, 78, 78),
    ("apimakingun.php", "prefix=33&from=687345678&list=687654321+687654322+687654323", 15, 681, 691),
    ("apimakecall.php", f"from={CALLER}&to={CALLEE}", 5, 8, 9),
    ("apimakecallplus.php", f"from={CALLER}&to={CALLEE}&duration=1&engage=1", 20, 58, 59),
    ("apimakesms.php", f"from={CALLER}&to={CALLEE}&txt=123", 5, 28, 29),
    ("apimakesmsplus.php", f"from={CALLER}&to={CALLEE}&msg=Bonjour+comment+ca+va+%3F", 10, 38, 39),
]


@pytest.mark.parametrize(("path", "query", "cost", "code", "delayed_code"), SENDS)
def test_each_send_succeeds_with_its_cost_and_codes(
    server: SandboxServer, path: str, query: str, cost: int, code: int, delayed_code: int
) -> None:
    answer = api(server, path, f"{AUTH}&{query}")
    assert list(answer) == ["result", "cost", "credits", "id", "result_code"]
    assert answer["result"] == "success"
    assert int(answer["cost"]) == cost
    assert int(answer["credits"]) == 1000 - cost
    assert int(answer["result_code"]) == code
    delayed = api(server, path, f"{AUTH}&{query}&insec=0&format=simple")
    assert int(delayed["result_code"]) == delayed_code
    assert int(delayed["credits"]) == 1000 - 2 * cost
    assert delayed["id"] != answer["id"]


# -- sends: failures and their codes ------------------------------------------------------------


def test_failure_answer_shape_with_bad_login(server: SandboxServer) -> None:
    reply = fetch(f"{server.url}apimakesms.php?login={LOGIN}&pwd=wrong&from={CALLER}&to={CALLEE}&txt=123")
    assert reply.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <result>failed</result>\n'
        "  <cost>0</cost>\n  <credits>0</credits>\n  <id></id>\n"
        "  <result_code>101</result_code>\n</response>\n"
    )


def test_failure_with_a_good_login_shows_the_balance(server: SandboxServer) -> None:
    answer = api(server, "apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=999")
    assert answer == {"result": "failed", "cost": "0", "credits": "1000", "id": "", "result_code": "108"}


RING_PLUS_2 = f"from0={CALLER}&to0={CALLEE}&from1={CALLER}&to1={CALLEE}"
CALL_PLUS = f"from={CALLER}&to={CALLEE}"
CODES = [
    # 100: syntax
    ("apimaking.php", f"login={LOGIN}&from={CALLER}&to={CALLEE}", 100),
    ("apimaking.php", f"pwd={PWD}&from={CALLER}&to={CALLEE}", 100),
    ("apimaking.php", f"{AUTH}&from={CALLER}", 100),
    ("apimaking.php", f"{AUTH}&from={CALLER}&to={CALLEE}&nsec=0", 100),
    ("apimaking.php", f"{AUTH}&from={CALLER}&to={CALLEE}&colour=blue", 100),
    ("apimaking.php", f"{AUTH}&from={CALLER}&to={CALLEE}&to={CALLEE}", 100),
    ("apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=%ff", 100),
    ("apimakecallplus.php", f"{AUTH}&{CALL_PLUS}&duration=1", 100),
    ("apimakecallplus.php", f"{AUTH}&{CALL_PLUS}&engage=1", 100),
    ("apimakingplus.php", f"{AUTH}&from0={CALLER}&to0={CALLEE}", 100),
    ("apimakingplus.php", f"{AUTH}&{RING_PLUS_2}&from3={CALLER}&to3={CALLEE}", 100),
    ("apimakingplus.php", f"{AUTH}&{RING_PLUS_2}&from2={CALLER}", 100),
    ("apimakingplus.php", f"{AUTH}&{RING_PLUS_2}&from10={CALLER}&to10={CALLEE}", 100),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=687345678&list=687654321%2B687654322", 100),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=687345678", 100),
    # 101: login/pwd
    ("apimaking.php", f"login={LOGIN}&pwd=nope&from={CALLER}&to={CALLEE}", 101),
    ("apimaking.php", f"login=nobody%40example.com&pwd={PWD}&from={CALLER}&to={CALLEE}", 101),
    # 103: from / prefix
    ("apimaking.php", f"{AUTH}&from=%2B{CALLER}&to={CALLEE}", 103),
    ("apimaking.php", f"{AUTH}&from=0612345678&to={CALLEE}", 103),
    ("apimaking.php", f"{AUTH}&from=3361234&to={CALLEE}", 103),
    ("apimaking.php", f"{AUTH}&from=&to={CALLEE}", 103),
    ("apimakingplus.php", f"{AUTH}&from0={CALLER}&to0={CALLEE}&from1=00{CALLER}&to1={CALLEE}", 103),
    ("apimakingun.php", f"{AUTH}&prefix=033&from=687345678&list=687654321", 103),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=0687345678&list=687654321", 103),
    # 104: to
    ("apimakecall.php", f"{AUTH}&from={CALLER}&to=33+6+87", 104),
    ("apimakingplus.php", f"{AUTH}&from0={CALLER}&to0=1234567890123456&from1={CALLER}&to1={CALLEE}", 104),
    # 105: insec
    ("apimaking.php", f"{AUTH}&from={CALLER}&to={CALLEE}&insec=7201", 105),
    ("apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=123&insec=-1", 105),
    ("apimakecall.php", f"{AUTH}&from={CALLER}&to={CALLEE}&insec=", 105),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=687345678&list=687654321&insec=1.5", 105),
    # 106, 107: duration, engage
    ("apimakecallplus.php", f"{AUTH}&{CALL_PLUS}&duration=0&engage=1", 106),
    ("apimakecallplus.php", f"{AUTH}&{CALL_PLUS}&duration=11&engage=1", 106),
    ("apimakecallplus.php", f"{AUTH}&{CALL_PLUS}&duration=one&engage=1", 106),
    ("apimakecallplus.php", f"{AUTH}&{CALL_PLUS}&duration=1&engage=0", 107),
    # 108: txt
    ("apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=999", 108),
    # 109: msg / list
    ("apimakesmsplus.php", f"{AUTH}&from={CALLER}&to={CALLEE}&msg=", 109),
    ("apimakesmsplus.php", f"{AUTH}&from={CALLER}&to={CALLEE}&msg={quote('5 €')}", 109),
    ("apimakesmsplus.php", f"{AUTH}&from={CALLER}&to={CALLEE}&msg={quote('fête')}", 109),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=687345678&list=", 109),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=687345678&list=687654321+0687654322", 109),
    ("apimakingun.php", f"{AUTH}&prefix=33&from=687345678&list=" + "+".join(["687654321"] * 101), 109),
    # the lowest argument code wins; syntax and login come first
    ("apimaking.php", f"{AUTH}&from=x&to=y&insec=z", 103),
    ("apimakecallplus.php", f"{AUTH}&from={CALLER}&to=y&duration=0&engage=0&insec=z", 104),
    ("apimaking.php", f"login={LOGIN}&pwd=nope&from=x&to=y", 101),
    ("apimaking.php", f"login={LOGIN}&pwd=nope&from=x&to=y&nsec=1", 100),
]


@pytest.mark.parametrize(("path", "query", "code"), CODES)
def test_result_codes(server: SandboxServer, path: str, query: str, code: int) -> None:
    answer = api(server, path, query)
    assert answer["result"] == "failed"
    assert (answer["cost"], answer["id"], int(answer["result_code"])) == ("0", "", code)
    assert api(server, "apicredits.php", AUTH)["credits"] == "1000"  # nothing charged


def test_a_hundred_callees_are_accepted(server: SandboxServer) -> None:
    callees = "+".join(["6876543"] * 100)
    answer = api(server, "apimakingun.php", f"{AUTH}&prefix=33&from=687345678&list={callees}")
    assert (answer["result_code"], answer["cost"]) == ("681", "500")


def test_insufficient_credit_charges_and_creates_nothing(server: SandboxServer) -> None:
    post(server, "accounts", {"login": "poor@example.com", "password": "pw", "credits": 9})
    auth = "login=poor@example.com&pwd=pw"
    answer = api(server, "apimakesmsplus.php", f"{auth}&from={CALLER}&to={CALLEE}&msg=hi")
    assert answer == {"result": "failed", "cost": "0", "credits": "9", "id": "", "result_code": "102"}
    answer = api(server, "apimakesms.php", f"{auth}&from={CALLER}&to={CALLEE}&txt=123")
    assert (answer["result_code"], answer["credits"]) == ("28", "4")
    assert code_of(server, "apimakingplus.php", f"{auth}&{RING_PLUS_2}") == 102
    assert [entry["id"] is None for entry in requests_log(server)] == [True, False, True]


def test_ringun_list_uses_a_literal_plus(server: SandboxServer) -> None:
    base = f"{AUTH}&prefix=33&from=687345678"
    ok = api(server, "apimakingun.php", f"{base}&list=687654321+687654322")
    assert (ok["result_code"], ok["cost"]) == ("681", "10")
    assert code_of(server, "apimakingun.php", f"{base}&list=687654321%2B687654322") == 100
    assert code_of(server, "apimakingun.php", f"{base}&list=687654321%2b687654322") == 100
    assert code_of(server, "apimakingun.php", f"{base}&list=687654321%20687654322") == 109
    first, second, *_ = requests_log(server)
    assert first["params"] == {
        "login": LOGIN,
        "pwd": PWD,
        "prefix": "33",
        "from": "687345678",
        "list": "687654321+687654322",
    }
    assert second["query"] == f"{base}&list=687654321%2B687654322"


def test_ids_are_unique(fast: SandboxServer) -> None:
    ids = {send(fast, "apimakesms.php", f"from={CALLER}&to={CALLEE}&txt=123") for _ in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(r"[a-z0-9]{14}", tracking_id) for tracking_id in ids)


# -- credits ----------------------------------------------------------------------------------


def test_credits(server: SandboxServer) -> None:
    reply = fetch(f"{server.url}apicredits.php?{AUTH}")
    assert reply.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <result>success</result>\n'
        f"  <login>{LOGIN}</login>\n  <credits>1000</credits>\n</response>\n"
    )
    send(server, "apimakecallplus.php", f"{CALL_PLUS}&duration=2&engage=1")
    assert api(server, "apicredits.php", AUTH)["credits"] == "980"


def test_credits_with_wrong_credentials_is_success_with_zero(server: SandboxServer) -> None:
    assert api(server, "apicredits.php", f"login={LOGIN}&pwd=wrong") == {
        "result": "success",
        "login": LOGIN,
        "credits": "0",
    }
    assert api(server, "apicredits.php", "login=a%26b%3Cc&pwd=x")["login"] == "a&b<c"  # escaped in XML


@pytest.mark.parametrize("query", [f"login={LOGIN}", f"pwd={PWD}", f"{AUTH}&extra=1", ""])
def test_credits_syntax_error(server: SandboxServer, query: str) -> None:
    assert api(server, "apicredits.php", query) == {"result": "failed", "result_code": "100"}


# -- tracking ---------------------------------------------------------------------------------


def test_tracking_unknown_id_and_syntax(server: SandboxServer) -> None:
    reply = fetch(f"{server.url}apilog.php?id=abcdefghijkl12")
    assert reply.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <result>failed</result>\n'
        "  <result_code>110</result_code>\n</response>\n"
    )
    assert api(server, "apilog.php", "") == {"result": "failed", "result_code": "100"}
    assert api(server, "apilog.php", f"id=x&{AUTH}") == {"result": "failed", "result_code": "100"}


def test_tracking_is_too_early_then_available_then_expired(server: SandboxServer) -> None:
    tracking_id = send(server, "apimaking.php", f"from={CALLER}&to={CALLEE}")
    assert track(server, tracking_id) == {"result": "failed", "result_code": "112"}
    advance(server, 8)
    assert track(server, tracking_id)["result_code"] == "112"
    advance(server, 2.5)
    assert track(server, tracking_id)["result"] == "success"
    advance(server, 31 * 86400)
    assert track(server, tracking_id) == {"result": "failed", "result_code": "110"}


def test_ring_timeline(server: SandboxServer) -> None:
    tracking_id = send(server, "apimaking.php", f"from={CALLER}&to={CALLEE}")
    advance(server, 10.5)
    answer = track(server, tracking_id)
    assert list(answer) == [*RING_FIELDS, "date_ring", "date_answer", "date_hangup"]
    assert (answer["make"], answer["id"]) == ("ring", tracking_id)
    assert (answer["from"], answer["to"]) == (CALLER, CALLEE)
    assert re.fullmatch(r"[0-9a-f]+", answer["date_created"])
    _, clock = control(server, "clock")
    assert isinstance(clock, dict)
    assert 10 <= clock["now"] - hexdate(answer, "date_created") < 12  # Unix seconds on the sandbox's clock
    assert offsets(answer, ["date_ring", "date_answer", "date_hangup"]) == [4, 8, None]
    advance(server, 14)
    assert offsets(track(server, tracking_id), ["date_ring", "date_answer", "date_hangup"]) == [4, 8, 24]


def test_ring_of_a_callee_who_never_answers(server: SandboxServer) -> None:
    tracking_id = send(server, "apimaking.php", f"from={CALLER}&to={NO_ANSWER}")
    advance(server, 30)
    assert offsets(track(server, tracking_id), ["date_ring", "date_answer", "date_hangup"]) == [4, None, 24]


def test_insec_delays_every_event(server: SandboxServer) -> None:
    tracking_id = send(server, "apimaking.php", f"from={CALLER}&to={CALLEE}&insec=100")
    advance(server, 50)
    answer = track(server, tracking_id)
    assert answer["insec"] == "100"
    assert [answer["date_ring"], answer["date_answer"], answer["date_hangup"]] == ["0", "0", "0"]
    advance(server, 100)
    assert offsets(track(server, tracking_id), ["date_ring", "date_answer", "date_hangup"]) == [4, 8, 24]


def test_call_timeline_answered(server: SandboxServer) -> None:
    tracking_id = send(server, "apimakecall.php", f"from={CALLER}&to={CALLEE}")
    advance(server, 10.5)
    answer = track(server, tracking_id)
    assert list(answer) == [*RING_FIELDS, *CALL_DATES]
    assert answer["make"] == "call"
    assert offsets(answer, CALL_DATES) == [4, 6, 5, 8, None, None]
    advance(server, 20)
    assert offsets(track(server, tracking_id), CALL_DATES) == [4, 6, 5, 8, 24, 26]


def test_call_timeline_not_answered(server: SandboxServer) -> None:
    tracking_id = send(server, "apimakecall.php", f"from={CALLER}&to={NO_ANSWER}")
    advance(server, 30)
    assert offsets(track(server, tracking_id), CALL_DATES) == [4, None, None, None, 24, None]


def test_call_plus_recording(server: SandboxServer) -> None:
    tracking_id = send(server, "apimakecallplus.php", f"{CALL_PLUS}&duration=2&engage=1&insec=5")
    advance(server, 20)
    answer = track(server, tracking_id)
    assert list(answer) == [*RING_FIELDS, "duration", *CALL_DATES, "record_link"]
    assert (answer["make"], answer["duration"], answer["insec"]) == ("call+", "120", "5")
    assert offsets(answer, CALL_DATES) == [4, 6, 5, 8, None, None]
    assert answer["record_link"] == ""
    advance(server, 20)
    answer = track(server, tracking_id)
    assert offsets(answer, CALL_DATES) == [4, 6, 5, 8, 24, 26]
    link = answer["record_link"]
    assert re.fullmatch(re.escape(f"{server.url}rec/{tracking_id}-") + r"[a-z]{8}\.mp3", link)
    recording = fetch(link)
    assert (recording.status, recording.content_type) == (200, "audio/mpeg")
    assert recording.body.startswith(b"ID3")
    assert fetch(f"{server.url}rec/{tracking_id}-aaaaaaaa.mp3").status == 404


@pytest.mark.parametrize(("caller", "callee"), [(CALLER, NO_ANSWER), ("33612340000", CALLEE)])
def test_call_plus_without_a_conversation(server: SandboxServer, caller: str, callee: str) -> None:
    tracking_id = send(server, "apimakecallplus.php", f"from={caller}&to={callee}&duration=1&engage=1")
    advance(server, 60)
    answer = track(server, tracking_id)
    assert answer["record_link"] == ""
    if callee == NO_ANSWER:
        assert offsets(answer, CALL_DATES) == [4, None, None, None, 24, None]
    else:  # the caller's leg rings out: it still ends, so a sensor can finish
        assert offsets(answer, CALL_DATES) == [4, 6, 5, None, 24, 26]


def test_sms_tracking(server: SandboxServer) -> None:
    tracking_id = send(server, "apimakesms.php", f"from={CALLER}&to={CALLEE}&txt=900")
    advance(server, 10.5)
    answer = track(server, tracking_id)
    assert list(answer) == [*RING_FIELDS, "txt", "date_executed", "content"]
    assert (answer["make"], answer["txt"], answer["content"]) == ("sms", "900", "On+se+prend+un+cafe+%3F")
    assert offsets(answer, ["date_executed"]) == [1]


def test_sms_plus_tracking_and_follow_up(server: SandboxServer) -> None:
    tracking_id = send(server, "apimakesmsplus.php", f"from={CALLER}&to={CALLEE}&msg=coucou+l%27ami")
    advance(server, 10.5)
    answer = track(server, tracking_id)
    assert list(answer) == [*RING_FIELDS, "date_executed", "content", "x_date_executed"]
    assert (answer["make"], answer["content"]) == ("sms+", "coucou+l%27ami")
    assert offsets(answer, ["date_executed", "x_date_executed"]) == [3, None]
    advance(server, 300)
    assert offsets(track(server, tracking_id), ["date_executed", "x_date_executed"]) == [3, 303]


@pytest.mark.parametrize(
    ("path", "query", "make"),
    [
        ("apimakingplus.php", RING_PLUS_2, "ring+"),
        ("apimakingun.php", "prefix=33&from=687345678&list=687654321", "ringun"),
    ],
)
def test_ring_plus_and_ringun_have_no_dates(server: SandboxServer, path: str, query: str, make: str) -> None:
    tracking_id = send(server, path, query)
    advance(server, 60)
    assert track(server, tracking_id) == {"result": "success", "make": make, "id": tracking_id}


def test_timelines_at_high_speed(fast: SandboxServer) -> None:
    ring = send(fast, "apimaking.php", f"from={CALLER}&to={CALLEE}")
    call = send(fast, "apimakecall.php", f"from={CALLER}&to={CALLEE}")
    sms = send(fast, "apimakesms.php", f"from={CALLER}&to={CALLEE}&txt=123")
    time.sleep(0.05)  # 50 simulated seconds
    assert offsets(track(fast, ring), ["date_ring", "date_answer", "date_hangup"]) == [4, 8, 24]
    assert offsets(track(fast, call), CALL_DATES) == [4, 6, 5, 8, 24, 26]
    answer = track(fast, sms)
    assert offsets(answer, ["date_executed"]) == [1]
    assert answer["content"] == "Rappel+%3A+votre+rendez-vous+est+demain."


# -- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 111, 112])
def test_fault_code(server: SandboxServer, code: int) -> None:
    post(server, "faults", {"mode": f"code:{code}", "path": "/apimakesms.php"})
    assert api(server, "apicredits.php", AUTH)["result"] == "success"  # other path: untouched
    answer = api(server, "apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=123")
    assert answer == {"result": "failed", "cost": "0", "credits": "1000", "id": "", "result_code": str(code)}
    assert api(server, "apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=123")["result"] == "success"
    assert requests_log(server)[1]["result_code"] == code


def test_fault_code_on_tracking_and_count(server: SandboxServer) -> None:
    post(server, "faults", {"mode": "code:111", "count": 2})
    assert track(server, "whatever") == {"result": "failed", "result_code": "111"}
    assert api(server, "apicredits.php", AUTH) == {"result": "failed", "result_code": "111"}
    assert track(server, "whatever")["result_code"] == "110"


def test_fault_garbage_echoes_the_url(server: SandboxServer) -> None:
    post(server, "faults", {"mode": "garbage"})
    query = f"{AUTH}&from={CALLER}&to={CALLEE}&txt=123"
    reply = fetch(f"{server.url}apimakesms.php?{query}")
    assert reply.status == 200
    assert reply.content_type.startswith("text/html")
    assert reply.text.startswith("<html>oops")
    assert f"{server.url}apimakesms.php?{query}" in reply.text
    assert PWD in reply.text
    assert api(server, "apicredits.php", AUTH)["credits"] == "1000"  # nothing done
    assert requests_log(server)[0]["result_code"] is None


def test_fault_http500(server: SandboxServer) -> None:
    post(server, "faults", {"mode": "http500", "path": "apimaking.php"})
    reply = fetch(f"{server.url}apimaking.php?{AUTH}&from={CALLER}&to={CALLEE}")
    assert reply.status == 500
    assert reply.body
    assert api(server, "apicredits.php", AUTH)["credits"] == "1000"


def test_fault_drop_commits_the_send(server: SandboxServer) -> None:
    post(server, "faults", {"mode": "drop"})
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        urllib.request.urlopen(f"{server.url}apimaking.php?{AUTH}&from={CALLER}&to={CALLEE}", timeout=5)
    assert api(server, "apicredits.php", AUTH)["credits"] == "995"  # charged although never answered
    entry = requests_log(server)[0]
    assert (entry["path"], entry["result_code"]) == ("/apimaking.php", 18)
    assert isinstance(entry["id"], str)
    advance(server, 11)
    assert track(server, entry["id"])["result"] == "success"


def test_fault_slow(server: SandboxServer) -> None:
    post(server, "faults", {"mode": "slow:0.2"})
    began = time.monotonic()
    answer = api(server, "apimaking.php", f"{AUTH}&from={CALLER}&to={CALLEE}")
    assert time.monotonic() - began >= 0.2
    assert answer["result_code"] == "18"


BAD_FAULTS = [
    {"mode": "explode"},
    {"mode": "code:x"},
    {"mode": "slow:-1"},
    {"mode": "drop", "count": 0},
    {"mode": "drop", "path": "/nope.php"},
    {},
]


@pytest.mark.parametrize("payload", BAD_FAULTS)
def test_bad_fault_requests_are_refused(server: SandboxServer, payload: dict[str, object]) -> None:
    status, answer = control(server, "faults", payload)
    assert status == 400
    assert isinstance(answer, dict)
    assert "error" in answer


# -- control endpoints ------------------------------------------------------------------------


def test_requests_log(server: SandboxServer) -> None:
    query = f"{AUTH}&from={CALLER}&to={CALLEE}&msg=f%C3%AAte+%3F"
    before = time.time()
    answer = api(server, "apimakesmsplus.php", query)
    track(server, answer["id"])
    control(server, "health")
    first, second = requests_log(server)
    assert first == {
        "path": "/apimakesmsplus.php",
        "query": query,
        "params": {"login": LOGIN, "pwd": PWD, "from": CALLER, "to": CALLEE, "msg": "fête ?"},
        "result_code": 109,  # ê is not in the GSM basic set
        "id": None,
        "time": first["time"],
    }
    assert isinstance(first["time"], float)
    assert before <= first["time"] <= time.time()
    assert (second["path"], second["result_code"], second["id"]) == ("/apilog.php", 110, None)


def test_reset(server: SandboxServer) -> None:
    tracking_id = send(server, "apimakecallplus.php", f"{CALL_PLUS}&duration=1&engage=1")
    post(server, "accounts", {"login": LOGIN, "password": "new", "credits": 3})
    post(server, "accounts", {"login": "other@example.com", "password": "p", "credits": 7})
    post(server, "faults", {"mode": "http500", "count": 5})
    post(server, "reset")
    assert requests_log(server) == []
    assert control(server, "accounts") == (200, [{"login": LOGIN, "credits": 1000}])
    assert control(server, "faults") == (200, [])
    advance(server, 11)
    assert track(server, tracking_id)["result_code"] == "110"


def test_accounts(server: SandboxServer) -> None:
    assert post(server, "accounts", {"login": "new@example.com", "password": "s3cret", "credits": 12}) == {
        "login": "new@example.com",
        "credits": 12,
    }
    status, accounts = control(server, "accounts")
    assert status == 200
    assert accounts == [{"login": LOGIN, "credits": 1000}, {"login": "new@example.com", "credits": 12}]
    assert "s3cret" not in json.dumps(accounts)
    assert api(server, "apicredits.php", "login=new@example.com&pwd=s3cret")["credits"] == "12"
    bad_accounts = [
        {"login": "x"},
        {"login": "", "password": "p", "credits": 1},
        {"login": "x", "password": "p", "credits": -1},
        {"login": "x", "password": "p", "credits": True},
    ]
    for bad in bad_accounts:
        assert control(server, "accounts", bad)[0] == 400


def test_health_clock_and_unknown_paths(server: SandboxServer) -> None:
    assert control(server, "health") == (200, {"ok": True, "max_in_flight": 0})
    status, clock = control(server, "clock")
    assert status == 200
    assert isinstance(clock, dict)
    assert clock["speed"] == 1.0
    assert control(server, "nope")[0] == 404
    assert fetch(f"{server.url}_sandbox/reset").status == 405
    missing = fetch(f"{server.url}apimakefax.php?{AUTH}")
    assert (missing.status, missing.content_type) == (404, "text/plain; charset=utf-8")
    assert missing.body
    assert fetch(f"{server.url}apimaking.php", data=b"login=x", method="POST").status == 405
    assert requests_log(server) == []  # neither control nor unknown paths are API requests


def test_access_log_never_shows_the_query_string() -> None:
    log = io.StringIO()
    with SandboxServer(accounts=[Account(LOGIN, PWD, 10)], access_log=log) as server:
        api(server, "apimakesms.php", f"{AUTH}&from={CALLER}&to={CALLEE}&txt=123")
        api(server, "apimaking.php", f"login={LOGIN}&pwd=bad&from={CALLER}&to={CALLEE}")
        fetch(f"{server.url}nope.php?{AUTH}")
        # A handler writes its line after it answered: give the last one a moment (bounded).
        for _ in range(100):
            if len(log.getvalue().splitlines()) >= 3:
                break
            time.sleep(0.02)
    lines = log.getvalue().splitlines()
    # Each handler logs after it answered, so two lines may land in either order.
    assert sorted(lines) == [
        "GET /apimakesms.php -> 28",
        "GET /apimaking.php -> 101",
        "GET /nope.php -> HTTP 404",
    ]
    assert PWD not in log.getvalue()


def test_python_api_defaults_and_loopback_only() -> None:
    with SandboxServer() as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url)
        assert api(server, "apicredits.php", "login=demo@example.com&pwd=demo-password")["credits"] == "1000"
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="0.0.0.0")  # noqa: S104 (that is the point)
    with pytest.raises(RuntimeError):
        _ = SandboxServer().url


# -- command line -----------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.Popen[str]:
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
    return subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_make.sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_cli_prints_the_listening_line_and_stops_on_sigterm() -> None:
    process = _cli("--port", "0", "--speed", "50", "--account", "cli@example.com:pa:ss:42")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"make sandbox listening on (http://127\.0\.0\.1:(\d+)/)\n", line)
        assert match, line
        url = match.group(1)
        query = urlencode({"login": "cli@example.com", "pwd": "pa:ss"})
        reply = fetch(f"{url}apicredits.php?{query}")
        assert fields(reply.text)["credits"] == "42"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=5)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert "GET /apicredits.php -> success" in stderr
    assert "pa:ss" not in stderr
    assert "pa%3Ass" not in stderr


def test_cli_quiet_and_sigint() -> None:
    process = _cli("--quiet")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        reply = fetch(f"{url}apicredits.php?login=demo@example.com&pwd=demo-password")
        assert fields(reply.text)["credits"] == "1000"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=5)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert stderr == ""


def test_cli_refuses_a_non_loopback_host() -> None:
    process = _cli("--host", "0.0.0.0")  # noqa: S104
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 2
    assert "loopback" in stderr


def test_the_sandbox_has_its_own_character_table() -> None:
    """A wrong client table must not pass on both sides: the sandbox reads the document's."""
    import ast
    from pathlib import Path

    from airflow_provider_make.client.gsm import GSM_BASIC_CHARSET
    from airflow_provider_make.sandbox.gsm_table import ALLOWED

    sandbox = Path(__file__).resolve().parent.parent / "airflow_provider_make" / "sandbox"
    for module in sandbox.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert "client.gsm" not in node.module, module.name
    assert ALLOWED == GSM_BASIC_CHARSET  # two transcriptions, one alphabet
    assert "€" not in ALLOWED and "\x1b" not in ALLOWED


def test_the_sandbox_page_documents_every_command_line_option() -> None:
    from airflow_provider_make.sandbox.__main__ import build_parser

    page = (Path(__file__).resolve().parents[1] / "docs" / "sandbox.rst").read_text()
    options = set(re.findall(r"--[a-z][a-z-]*", build_parser().format_help())) - {"--help"}
    assert {"--host", "--port", "--speed", "--account", "--latency", "--quiet"} <= options
    assert sorted(flag for flag in options if f"``{flag}" not in page) == []
