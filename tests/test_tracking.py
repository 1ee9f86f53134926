"""Tracking logs: typed per kind, dates as UTC datetimes, ``is_finished`` per spec decision 8.

Timelines are read from a sandbox whose clock the test moves (``advance``). Tests that
look at a request *between* two events use ``slow_api`` (a sandbox on real time), so
that the only time that passes is the time the test adds: the shared sandbox runs 50
times faster than real time and a slow machine could cross an event by itself. The
sandbox's events happen at whole seconds after ``int(T)`` (``date_created``), T being
the fractional time the request arrived, so an event k seconds in has surely happened
at ``T + k`` and surely not before ``T + k - 1``: each check sits at least half a second
inside that window.

The document's own XML examples are parsed too, through the same functions the client
uses.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.answers import parse_fields
from airflow_provider_make.client.errors import MakeError
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.tracking import (
    CallPlusTracking,
    CallTracking,
    RingPlusTracking,
    RingTracking,
    RingunTracking,
    SmsPlusTracking,
    SmsTracking,
    parse_tracking,
    wait_is_over,
)
from tests.conftest import LOGIN, PASSWORD
from tests.drivers import DRIVERS, raised, run
from tests.hostile_server import (
    TRACKING_ID,
    HostileServer,
    hostile,
    hostile_settings,
    sms_plus_tracking,
    xml,
)
from tests.kinds import KindClient

CALLER = "33612345678"
CALLEE = "33687654321"
NEVER_ANSWERS = "33687650000"  # the sandbox's callee who never picks up
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def at(created: datetime, seconds: int) -> datetime:
    return created + timedelta(seconds=seconds)


def assert_utc(*values: datetime | None) -> None:
    for value in values:
        if value is not None:
            assert value.tzinfo is not None
            assert value.utcoffset() == timedelta(0)


@pytest.fixture
def slow_client(slow_api) -> Iterator[KindClient]:
    with KindClient(ClientSettings(LOGIN, PASSWORD, base_url=slow_api.url)) as made:
        yield made


# ----------------------------------------------------------------------------- ring


def test_ring_timeline_and_is_finished(slow_api, slow_client):
    sent = slow_client.ring(CALLER, CALLEE)
    slow_api.advance(10.5)

    ringing = slow_client.get_tracking(sent.id)
    assert type(ringing) is RingTracking
    assert ringing.kind is RequestKind.RING
    assert ringing.id == sent.id
    assert (ringing.caller, ringing.callee) == (CALLER, CALLEE)
    assert ringing.delay_seconds == 0
    created = ringing.created_at
    assert created is not None
    assert abs(created - datetime.now(timezone.utc)) < timedelta(seconds=60)
    assert ringing.rang_at == at(created, 4)
    assert ringing.answered_at == at(created, 8)
    assert ringing.hung_up_at is None  # 0 in the answer: not yet
    assert not ringing.is_finished
    assert_utc(ringing.created_at, ringing.rang_at, ringing.answered_at)

    slow_api.advance(14)  # T + 24.5
    over = slow_client.get_tracking(sent.id)
    assert over.hung_up_at == at(created, 24)
    assert over.is_finished
    assert wait_is_over(over)
    assert_utc(over.hung_up_at)


def test_ring_never_answered(api, client):
    sent = client.ring(CALLER, NEVER_ANSWERS)
    api.advance(400)

    tracking = client.get_tracking(sent.id)
    assert type(tracking) is RingTracking
    assert tracking.answered_at is None
    assert tracking.hung_up_at is not None
    assert tracking.is_finished


def test_ring_with_delay(slow_api, slow_client):
    sent = slow_client.ring(CALLER, CALLEE, delay_seconds=60)
    slow_api.advance(10.5)

    waiting = slow_client.get_tracking(sent.id)
    assert waiting.delay_seconds == 60
    assert waiting.rang_at is None
    assert not waiting.is_finished

    slow_api.advance(80)
    over = slow_client.get_tracking(sent.id)
    assert over.rang_at == at(over.created_at, 64)
    assert over.hung_up_at == at(over.created_at, 84)
    assert over.is_finished


# ----------------------------------------------------------------------------- call


def test_call_both_answer_finishes_when_the_caller_hangs_up(slow_api, slow_client):
    sent = slow_client.call(CALLER, CALLEE)
    slow_api.advance(24.5)

    callee_done = slow_client.get_tracking(sent.id)
    assert type(callee_done) is CallTracking
    created = callee_done.created_at
    assert callee_done.callee_rang_at == at(created, 4)
    assert callee_done.callee_answered_at == at(created, 5)
    assert callee_done.caller_rang_at == at(created, 6)
    assert callee_done.caller_answered_at == at(created, 8)
    assert callee_done.callee_hung_up_at == at(created, 24)
    assert callee_done.caller_hung_up_at is None
    # Spec decision 8: the caller's leg rang, so it must end too.
    assert not callee_done.is_finished

    slow_api.advance(2)  # T + 26.5
    over = slow_client.get_tracking(sent.id)
    assert over.caller_hung_up_at == at(created, 26)
    assert over.is_finished
    assert_utc(
        over.created_at,
        over.callee_rang_at,
        over.caller_rang_at,
        over.callee_answered_at,
        over.caller_answered_at,
        over.callee_hung_up_at,
        over.caller_hung_up_at,
    )


def test_call_callee_never_answers_finishes_without_the_caller_leg(slow_api, slow_client):
    sent = slow_client.call(CALLER, NEVER_ANSWERS)
    slow_api.advance(10.5)

    ringing = slow_client.get_tracking(sent.id)
    assert ringing.callee_rang_at == at(ringing.created_at, 4)
    assert ringing.callee_answered_at is None
    assert ringing.callee_hung_up_at is None
    assert not ringing.is_finished

    slow_api.advance(14)  # T + 24.5
    over = slow_client.get_tracking(sent.id)
    assert over.callee_hung_up_at == at(over.created_at, 24)
    assert over.caller_rang_at is None  # the caller's leg never rang
    assert over.caller_answered_at is None
    assert over.caller_hung_up_at is None
    assert over.is_finished


# ----------------------------------------------------------------------------- call+


def test_call_plus_record_link_once_both_answered_and_ended(slow_api, slow_client):
    sent = slow_client.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice=True)
    slow_api.advance(24.5)

    talking = slow_client.get_tracking(sent.id)
    assert type(talking) is CallPlusTracking
    assert talking.kind is RequestKind.CALL_PLUS
    assert talking.max_duration_seconds == 60  # minutes in the request, seconds in the log
    assert talking.callee_hung_up_at is not None
    assert talking.caller_hung_up_at is None
    assert talking.record_link is None
    assert not talking.is_finished

    slow_api.advance(2)  # T + 26.5
    over = slow_client.get_tracking(sent.id)
    assert over.is_finished
    assert over.record_link is not None
    assert over.record_link.startswith(slow_api.url + "rec/" + sent.id + "-")
    assert over.record_link.endswith(".mp3")
    with urllib.request.urlopen(over.record_link, timeout=5) as answer:
        assert answer.headers["Content-Type"] == "audio/mpeg"
        assert answer.read()


def test_call_plus_callee_never_answers_has_no_record_link(slow_api, slow_client):
    sent = slow_client.call_plus(CALLER, NEVER_ANSWERS, max_duration_minutes=2, recording_notice=True)
    slow_api.advance(24.5)

    over = slow_client.get_tracking(sent.id)
    assert over.is_finished
    assert over.caller_rang_at is None
    assert over.record_link is None
    assert over.max_duration_seconds == 120

    slow_api.advance(3600)
    assert slow_client.get_tracking(sent.id).record_link is None


# ----------------------------------------------------------------------------- sms, sms+


def test_sms_is_finished_once_sent(slow_api, slow_client):
    sent = slow_client.sms(CALLER, CALLEE, "900", delay_seconds=20)
    slow_api.advance(10.5)

    waiting = slow_client.get_tracking(sent.id)
    assert type(waiting) is SmsTracking
    assert (waiting.sender, waiting.recipient) == (CALLER, CALLEE)
    assert waiting.catalog_code == "900"
    assert waiting.content == "On se prend un cafe ?"  # URL-decoded
    assert waiting.delay_seconds == 20
    assert waiting.sent_at is None
    assert not waiting.is_finished

    slow_api.advance(11)  # T + 21.5: sent at T + 20 + 1
    over = slow_client.get_tracking(sent.id)
    assert over.sent_at == at(over.created_at, 21)
    assert over.is_finished
    assert_utc(over.sent_at)


def test_sms_plus_follow_up_is_waited_for_on_request(slow_api, slow_client):
    sent = slow_client.sms_plus(CALLER, CALLEE, "coucou l'ami")
    slow_api.advance(10.5)

    sent_only = slow_client.get_tracking(sent.id)
    assert type(sent_only) is SmsPlusTracking
    assert sent_only.content == "coucou l'ami"
    assert sent_only.sent_at == at(sent_only.created_at, 3)
    assert sent_only.follow_up_sent_at is None
    assert sent_only.is_finished
    assert wait_is_over(sent_only)
    assert not wait_is_over(sent_only, wait_for_follow_up=True)

    slow_api.advance(291)  # T + 301.5
    assert not wait_is_over(slow_client.get_tracking(sent.id), wait_for_follow_up=True)

    slow_api.advance(2)  # T + 303.5
    both = slow_client.get_tracking(sent.id)
    assert both.follow_up_sent_at == at(both.created_at, 303)
    assert wait_is_over(both, wait_for_follow_up=True)
    assert_utc(both.follow_up_sent_at)


def test_wait_for_follow_up_changes_nothing_for_other_kinds(api, client):
    sent = client.sms(CALLER, CALLEE, "123")
    api.advance(20)

    tracking = client.get_tracking(sent.id)
    assert wait_is_over(tracking, wait_for_follow_up=True) is tracking.is_finished is True


# ----------------------------------------------------------------------------- ring+, ringun


def test_ring_plus_and_ringun_are_finished_at_once(slow_api, slow_client):
    ring_plus = slow_client.ring_plus([(CALLER, CALLEE), ("33612345679", "33687654322")], delay_seconds=3600)
    ringun = slow_client.ringun("33", "687345678", ["687654321", "687654322"], delay_seconds=3600)
    slow_api.advance(10.5)

    first = slow_client.get_tracking(ring_plus.id)
    second = slow_client.get_tracking(ringun.id)
    assert type(first) is RingPlusTracking
    assert type(second) is RingunTracking
    assert (first.kind, second.kind) == (RequestKind.RING_PLUS, RequestKind.RINGUN)
    assert (first.id, second.id) == (ring_plus.id, ringun.id)
    # No dates to wait for, even though the delay has not passed.
    assert first.is_finished
    assert second.is_finished
    assert wait_is_over(first, wait_for_follow_up=True)
    assert first.to_dict() == {"kind": "ring+", "id": ring_plus.id, "is_finished": True}
    assert second.to_dict() == {"kind": "ringun", "id": ringun.id, "is_finished": True}


# ----------------------------------------------------------------------------- to_dict


SENDS = {
    "ring": lambda c: c.ring(CALLER, CALLEE),
    "ring_plus": lambda c: c.ring_plus([(CALLER, CALLEE), (CALLER, CALLEE)]),
    "ringun": lambda c: c.ringun("33", "687345678", ["687654321"]),
    "call": lambda c: c.call(CALLER, NEVER_ANSWERS),
    "call_plus": lambda c: c.call_plus(CALLER, CALLEE, max_duration_minutes=1, recording_notice=True),
    "sms": lambda c: c.sms(CALLER, CALLEE, "123"),
    "sms_plus": lambda c: c.sms_plus(CALLER, CALLEE, "Bonjour"),
}


@pytest.mark.parametrize("name", list(SENDS))
@pytest.mark.parametrize("elapsed", [10.5, 400])
def test_to_dict_is_json(api, client, name, elapsed):
    sent = SENDS[name](client)
    api.advance(elapsed)
    tracking = client.get_tracking(sent.id)

    data = tracking.to_dict()
    text = json.dumps(data)
    assert json.loads(text) == data
    assert data["kind"] == tracking.kind.value
    assert data["id"] == sent.id
    assert data["is_finished"] is tracking.is_finished
    for key, value in data.items():
        if key.endswith("_at") and value is not None:
            assert isinstance(value, str)
            parsed = datetime.fromisoformat(value)
            assert parsed == getattr(tracking, key)
            assert value.endswith("+00:00")
            assert value == getattr(tracking, key).isoformat()


def test_to_dict_keeps_none_for_dates_that_have_not_happened(slow_api, slow_client):
    sent = slow_client.call_plus(CALLER, NEVER_ANSWERS, max_duration_minutes=1, recording_notice=True)
    slow_api.advance(10.5)
    data = slow_client.get_tracking(sent.id).to_dict()

    assert data["caller_rang_at"] is None
    assert data["callee_hung_up_at"] is None
    assert data["record_link"] is None
    assert data["is_finished"] is False


# ----------------------------------------------------------------------------- the document's XML


def parse_doc(body: str):
    fields = parse_fields(body.encode("utf-8"), label="tracking", spends_credits=False)
    return parse_tracking(fields["id"], fields)


def hex_date(text: str) -> datetime:
    """Independently of the package: hexadecimal Unix seconds to a UTC datetime."""
    return EPOCH + timedelta(seconds=int(text, 16))


# Copied verbatim from make-api-v1.7.txt, section 10 (blank lines and `</id >` included).
DOC_RING = """<response>
  <result>success</result>
  <make>ring</make>
  <id>abcdefghijkl12</id>
  <date_created>52444ccf</date_created>
  <from>33612345678</from>
  <to>33687654321</to>
  <insec>0</insec>
  <date_ring>52444cd3</date_ring>
  <date_answer>0</date_answer>
  <date_hangup>52444ce7</date_hangup>
</response>
"""

DOC_RING_PLUS = """<response>
  <result>success</result>
  <make>ring+</make>
  <id>abcdefghijkl13</id >
</response>
"""

DOC_RINGUN = """<response>
  <result>success</result>
  <make>ringun</make>
  <id>abcdefghijkl14</id >
</response>
"""

DOC_CALL = """
<response>
  <result>success</result>
  <make>call</make>
  <id>abcdefghijkl15</id>
  <date_created>52444ccf</date_created>
  <from>33612345678</from>
  <to>33687654321</to>
  <insec>0</insec>
  <date_ringA>52444cd3</date_ringA>
  <date_ringB>52444cd5</date_ringB>
  <date_answerA>0</date_answerA>
  <date_answerB>0</date_answerB>
  <date_hangup>52444ce7</date_hangup>
  <date_hangupB>52444ce9</date_hangupB>
</response>

"""

DOC_CALL_PLUS = """
<response>
  <result>success</result>
  <make>call+</make>
  <id>abcdefghijkl16</id>
  <date_created>52444ccf</date_created>
  <from>33612345678</from>
  <to>33687654321</to>
  <insec>0</insec>
  <duration>60</duration>
  <date_ringA>52444cd3</date_ringA>
  <date_ringB>52444cd5</date_ringB>
  <date_answerA>0</date_answerA>
  <date_answerB>0</date_answerB>
  <date_hangup>52444ce7</date_hangup>
  <date_hangupB>52444ce9</date_hangupB>
  <record_link>https://makecall.fr/rec/abcdefghijkl16-abcdefgh.mp3</record_link>
</response>

"""

DOC_SMS = """
<response>
  <result>success</result>
  <make>sms</make>
  <id>abcdefghijkl17</id>
  <date_created>52444ccf</date_created>
  <from>33612345678</from>
  <to>33687654321</to>
  <insec>0</insec>
  <txt>900</txt>
  <date_executed>52444cd0</date_executed>
  <content>On+se+prend+un+cafe+%3F</content>
</response>

"""

DOC_SMS_PLUS = """
<response>
  <result>success</result>
  <make>sms+</make>
  <id>abcdefghijkl18</id >
  <date_created>52445a05</date_created >
  <from>33612345678</from>
  <to>33687654321</to>
  <insec>0</insec>
  <date_executed>52445a08</date_executed>
  <content>coucou+l%27ami</content>
  <x_date_executed>52445b34</x_date_executed>
</response>

"""


def test_hex_dates_of_the_document():
    # 0x52444ccf = 1380207823 s after the epoch.
    assert int("52444ccf", 16) == 1_380_207_823
    assert hex_date("52444ccf") == datetime(2013, 9, 26, 15, 3, 43, tzinfo=timezone.utc)
    assert hex_date("52444ccf").isoformat() == "2013-09-26T15:03:43+00:00"


def test_document_ring_example():
    tracking = parse_doc(DOC_RING)

    assert type(tracking) is RingTracking
    assert tracking.id == "abcdefghijkl12"
    assert tracking.created_at == hex_date("52444ccf")
    assert tracking.created_at.isoformat() == "2013-09-26T15:03:43+00:00"
    assert tracking.rang_at == hex_date("52444cd3")
    assert tracking.answered_at is None  # 0: the callee did not pick up
    assert tracking.hung_up_at == hex_date("52444ce7")
    assert (tracking.caller, tracking.callee, tracking.delay_seconds) == (CALLER, CALLEE, 0)
    assert tracking.is_finished
    assert_utc(tracking.created_at, tracking.rang_at, tracking.hung_up_at)


@pytest.mark.parametrize(
    ("body", "cls", "ident"),
    [(DOC_RING_PLUS, RingPlusTracking, "abcdefghijkl13"), (DOC_RINGUN, RingunTracking, "abcdefghijkl14")],
)
def test_document_examples_with_the_id_quirk(body, cls, ident):
    # `</id >`: whitespace before '>' in an end tag is well-formed XML.
    tracking = parse_doc(body)

    assert type(tracking) is cls
    assert tracking.id == ident
    assert tracking.is_finished


def test_document_call_example():
    tracking = parse_doc(DOC_CALL)

    assert type(tracking) is CallTracking
    assert tracking.id == "abcdefghijkl15"
    assert tracking.created_at == hex_date("52444ccf")
    assert tracking.callee_rang_at == hex_date("52444cd3")
    assert tracking.caller_rang_at == hex_date("52444cd5")
    assert tracking.callee_answered_at is None
    assert tracking.caller_answered_at is None
    assert tracking.callee_hung_up_at == hex_date("52444ce7")
    assert tracking.caller_hung_up_at == hex_date("52444ce9")
    assert tracking.caller_hung_up_at.isoformat() == "2013-09-26T15:04:09+00:00"
    assert tracking.is_finished


def test_document_call_plus_example():
    tracking = parse_doc(DOC_CALL_PLUS)

    assert type(tracking) is CallPlusTracking
    assert tracking.id == "abcdefghijkl16"
    assert tracking.max_duration_seconds == 60
    assert tracking.record_link == "https://makecall.fr/rec/abcdefghijkl16-abcdefgh.mp3"
    assert tracking.callee_hung_up_at == hex_date("52444ce7")
    assert tracking.caller_hung_up_at == hex_date("52444ce9")
    assert tracking.is_finished


def test_document_sms_example():
    tracking = parse_doc(DOC_SMS)

    assert type(tracking) is SmsTracking
    assert tracking.id == "abcdefghijkl17"
    assert tracking.catalog_code == "900"
    assert tracking.sent_at == hex_date("52444cd0")
    assert tracking.content == "On se prend un cafe ?"
    assert tracking.is_finished


def test_document_sms_plus_example():
    tracking = parse_doc(DOC_SMS_PLUS)

    assert type(tracking) is SmsPlusTracking
    assert tracking.id == "abcdefghijkl18"
    assert tracking.created_at == hex_date("52445a05")  # `</date_created >` quirk too
    assert tracking.created_at.isoformat() == "2013-09-26T16:00:05+00:00"
    assert tracking.sent_at == hex_date("52445a08")
    assert tracking.follow_up_sent_at == hex_date("52445b34")
    assert tracking.follow_up_sent_at - tracking.sent_at == timedelta(minutes=5)
    assert tracking.content == "coucou l'ami"
    assert wait_is_over(tracking, wait_for_follow_up=True)


def test_document_call_in_progress_is_not_finished():
    # The document's call, before the caller's leg ended: the caller rang, so wait for it.
    body = DOC_CALL.replace("<date_hangupB>52444ce9</date_hangupB>", "<date_hangupB>0</date_hangupB>")

    tracking = parse_doc(body)
    assert tracking.caller_hung_up_at is None
    assert not tracking.is_finished


# ----------------------------------------------------------------------------- hostile answers
# (moved from test_hostile_server.py, parametrised over the drivers)

__all__ = ["hostile"]  # fixture


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_tracking_answer_for_another_id_is_an_error(hostile: HostileServer, driver: str) -> None:
    hostile.answer("xml:" + xml(*sms_plus_tracking(tracking_id="zzz999")))

    error = raised(driver, hostile_settings(hostile.url), calls.tracking(tracking_id=TRACKING_ID))

    assert isinstance(error, MakeError), repr(error)
    assert "the log of another id" in str(error)


@pytest.mark.parametrize("zero", ["00000000", "00"])
def test_a_zero_date_executed_in_any_spelling_means_not_sent_yet(hostile: HostileServer, zero: str) -> None:
    hostile.answer("xml:" + xml(*sms_plus_tracking(date_executed=zero, x_date_executed=zero)))

    tracking = run("sync", hostile_settings(hostile.url), calls.tracking(tracking_id=TRACKING_ID))

    assert isinstance(tracking, SmsPlusTracking)
    assert tracking.sent_at is None
    assert not tracking.is_finished


@pytest.mark.parametrize(
    "date",
    [
        pytest.param("-10", id="negative"),
        pytest.param("1_0", id="underscore"),
        pytest.param("١٠", id="arabic-indic-digits"),
        pytest.param("１０", id="fullwidth-digits"),
    ],
)
@pytest.mark.parametrize("name", ["date_created", "date_executed"])
def test_a_malformed_tracking_date_is_an_error(hostile: HostileServer, name: str, date: str) -> None:
    hostile.answer("xml:" + xml(*sms_plus_tracking(**{name: date})))

    error = raised("sync", hostile_settings(hostile.url), calls.tracking(tracking_id=TRACKING_ID))

    assert isinstance(error, MakeError), repr(error)
    assert "is not hexadecimal Unix seconds" in str(error)
