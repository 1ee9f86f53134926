"""The single-send operators (operators/make.py), run in-process against the sandbox.

``execute`` runs with a context holding a real :class:`DurableState` over an in-memory
``task_state_store`` (the Airflow 3.3 path), so the never-twice rule is tested here, not
only through ``airflow dags test``: what the sandbox received is the proof.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.operators.make import (
    BaseMakeSendOperator,
    MakeCallPlusOperator,
    MakeCreditsOperator,
    MakeRingOperator,
    MakeRingPlusOperator,
    MakeRingunOperator,
    MakeSmsOperator,
    MakeSmsPlusOperator,
)
from tests.conftest import LOGIN, PASSWORD, POOR_LOGIN, MemoryStore, Sandbox, TaskInstance

SENDER, RECIPIENT = "+33612345678", "+33687654321"


def context(store: MemoryStore) -> Any:
    return {"task_state_store": store, "ti": TaskInstance()}


def sms_plus(**kwargs: Any) -> MakeSmsPlusOperator:
    arguments: dict[str, Any] = {"sender": SENDER, "recipient": RECIPIENT, "message": "Bonjour"}
    return MakeSmsPlusOperator(task_id="send", **(arguments | kwargs))


# ---------------------------------------------------------------- never twice


def test_a_retry_after_an_accepted_send_does_not_send_again(make_default: Sandbox) -> None:
    store = MemoryStore()
    first = sms_plus().execute(context(store))
    again = sms_plus().execute(context(store))
    [send] = make_default.sends()
    assert first["id"] == again["id"] == send["id"]
    assert store.records["make_request"]["id"] == send["id"]


def test_a_send_that_may_have_been_accepted_is_never_sent_again(make_default: Sandbox) -> None:
    make_default.fault("drop", path="/apimakesmsplus.php")  # processed, then no answer
    store = MemoryStore()
    with pytest.raises(AirflowFailException, match="may have been accepted"):
        sms_plus().execute(context(store))
    assert "intent" in store.records["make_request"]
    with pytest.raises(AirflowFailException, match="stopped while its request was being sent"):
        sms_plus().execute(context(store))
    assert len(make_default.sends()) == 1


def test_resend_unknown_sends_again_on_request(make_default: Sandbox) -> None:
    make_default.fault("drop", path="/apimakesmsplus.php")
    store = MemoryStore()
    with pytest.raises(AirflowFailException):
        sms_plus(resend_unknown=True).execute(context(store))
    result = sms_plus(resend_unknown=True).execute(context(store))
    assert len(make_default.sends()) == 2
    assert store.records["make_request"]["id"] == result["id"]


def test_a_refusal_by_the_api_forgets_the_intent(make_default: Sandbox) -> None:
    make_default.fault("code:104", path="/apimakesmsplus.php")  # refused: nothing was done
    store = MemoryStore()
    with pytest.raises(AirflowFailException, match="result code 104"):
        sms_plus().execute(context(store))
    assert "intent" not in store.records["make_request"]  # only the refusal's monitoring record
    sms_plus().execute(context(store))  # the next try sends
    assert len(make_default.sends()) == 2


# ---------------------------------------------------------------- the monitoring record


def listed(store: MemoryStore) -> list[dict[str, Any]]:
    """The task instance's requests as the make page and API list them (monitoring/reader.py)."""
    from airflow_provider_make.monitoring import reader

    return reader.requests([reader.Stored(store.records["make_request"], None)], None)


def test_each_send_leaves_the_record_the_page_lists(make_default: Sandbox) -> None:
    accepted, refused, unknown = MemoryStore(), MemoryStore(), MemoryStore()
    result = sms_plus().execute(context(accepted))
    assert "monitor" not in result  # the record stays out of the XCom
    make_default.fault("code:104", path="/apimakesmsplus.php")
    with pytest.raises(AirflowFailException):
        sms_plus().execute(context(refused))
    make_default.fault("drop", path="/apimakesmsplus.php")  # on the wire, then nothing: as a kill
    with pytest.raises(AirflowFailException):
        sms_plus().execute(context(unknown))
    send = make_default.sends()[0]
    [row] = listed(accepted)
    assert (row["state"], row["tracking_id"], row["kind"]) == ("accepted", send["id"], "sms_plus")
    assert (row["cost"], row["credits"]) == (result["cost"], result["credits"])
    assert row["recipients"] == ["*********21"] and row["tracking_url"].endswith(f"id={send['id']}")
    [row] = listed(refused)
    assert (row["state"], row["result_code"], row["cost"]) == ("refused", 104, 0)
    assert "result code 104" in row["reason"]
    [row] = listed(unknown)
    assert (row["state"], row["tracking_id"], row["answered_at"]) == ("unknown", None, None)


def test_a_refused_try_stays_listed_beside_the_retry_that_sent(make_default: Sandbox) -> None:
    make_default.fault("code:102", path="/apimakesmsplus.php")
    store = MemoryStore()
    with pytest.raises(AirflowFailException):
        sms_plus().execute({"task_state_store": store, "ti": TaskInstance(try_number=1)})
    sms_plus().execute({"task_state_store": store, "ti": TaskInstance(try_number=2)})
    sms_plus().execute({"task_state_store": store, "ti": TaskInstance(try_number=3)})  # found: not sent
    states = sorted((row["try_number"], row["state"]) for row in listed(store))
    assert states == [(1, "refused"), (2, "accepted")]
    assert len(make_default.sends()) == 2


def test_a_wait_marks_the_request_finished(make_default: Sandbox) -> None:
    store = MemoryStore()
    done = sms_plus(wait_for_completion=True, poll_interval=0.1, deferrable=False).execute(context(store))
    [row] = listed(store)
    assert row["state"] == "finished"
    assert row["finished_at"].startswith(done["tracking"]["sent_at"][:19])


def test_a_retry_whose_arguments_changed_refuses_to_guess(make_default: Sandbox) -> None:
    store = MemoryStore()
    sms_plus(message="first").execute(context(store))
    with pytest.raises(AirflowFailException, match="its arguments have changed since"):
        sms_plus(message="second").execute(context(store))
    assert len(make_default.sends()) == 1


def test_a_bad_argument_is_refused_before_the_intent_is_written(make_default: Sandbox) -> None:
    store = MemoryStore()
    operator = MakeRingOperator(task_id="ring", caller="06-CALL-ME", callee=RECIPIENT)
    with pytest.raises(AirflowFailException, match="caller: '06-CALL-ME' is not a phone number"):
        operator.execute(context(store))
    assert store.records == {}
    assert make_default.requests() == []


def test_the_fingerprint_follows_the_rendered_arguments() -> None:
    same = sms_plus().fingerprint()
    assert same == sms_plus().fingerprint()  # stable across instances and processes
    assert re.fullmatch("[0-9a-f]{16}", same)
    assert sms_plus(message="Bonsoir").fingerprint() != same
    assert sms_plus(recipient="+33687654322").fingerprint() != same
    assert sms_plus(delay_seconds=5).fingerprint() != same
    ring = MakeRingOperator(task_id="send", caller=SENDER, callee=RECIPIENT)
    assert ring.fingerprint() != same  # another request kind never matches


# ---------------------------------------------------------------- what each operator sends


@pytest.mark.parametrize(
    ("operator", "path", "query_part"),
    [
        (
            MakeRingPlusOperator(task_id="send", pairs=[(SENDER, RECIPIENT), (RECIPIENT, SENDER)]),
            "/apimakingplus.php",
            "from0=33612345678&to0=33687654321&from1=33687654321&to1=33612345678",
        ),
        (
            MakeRingunOperator(task_id="send", prefix="33", caller="687345678", callees=["687654321"]),
            "/apimakingun.php",
            "prefix=33&from=687345678&list=687654321",
        ),
        (
            MakeCallPlusOperator(
                task_id="send",
                caller=SENDER,
                callee=RECIPIENT,
                max_duration_minutes="3",
                recording_notice=True,
                delay_seconds=60,
            ),
            "/apimakecallplus.php",
            "from=33612345678&to=33687654321&insec=60&duration=3&engage=1",
        ),
        (
            MakeSmsOperator(task_id="send", sender=SENDER, recipient=RECIPIENT, catalog_code=123),
            "/apimakesms.php",
            "from=33612345678&to=33687654321&txt=123",
        ),
        (sms_plus(message="Hôtel", transliterate=True), "/apimakesmsplus.php", "&msg=Hotel"),
    ],
    ids=["ring+", "ringun", "call+", "sms", "sms+"],
)
def test_each_operator_hands_its_own_arguments_to_its_request(
    make_default: Sandbox, operator: BaseMakeSendOperator, path: str, query_part: str
) -> None:
    result = operator.execute(context(MemoryStore()))
    [send] = make_default.sends()
    assert send["path"] == path
    assert query_part in send["query"]
    assert result["id"] == send["id"]


# ---------------------------------------------------------------- waiting in the worker


def test_waiting_in_the_worker_returns_the_tracking(make_default: Sandbox) -> None:
    result = sms_plus(wait_for_completion=True, deferrable=False, poll_interval=0.05).execute(
        context(MemoryStore())
    )
    [send] = make_default.sends()
    assert result["tracking"]["id"] == send["id"]
    assert result["tracking"]["sent_at"] is not None


def test_waiting_in_the_worker_names_the_last_problem(make_default: Sandbox) -> None:
    tracking_id = sms_plus().execute(context(MemoryStore()))["id"]
    make_default.fault("code:111", count=1000, path="/apilog.php")
    with pytest.raises(AirflowException) as caught:
        sms_plus(poll_interval=0.1, timeout=0.5).wait_in_worker(tracking_id)
    assert not isinstance(caught.value, AirflowFailException)  # a retry waits again
    assert "still not finished after waiting" in str(caught.value)
    assert "last problem: tracking failed with result code 111" in str(caught.value)
    assert len(make_default.sends()) == 1


def test_waiting_in_the_worker_without_problems_names_none(make_default: Sandbox) -> None:
    tracking_id = sms_plus(delay_seconds=7200).execute(context(MemoryStore()))["id"]
    with pytest.raises(AirflowException, match="still not finished") as caught:
        sms_plus(poll_interval=0.1, timeout=0.5).wait_in_worker(tracking_id)
    assert "last problem" not in str(caught.value)


# ---------------------------------------------------------------- literal arguments, at parse time

#: (operator class, its arguments, the argument at fault, the start of the message).
GOOD_ARGUMENTS: dict[type[Any], dict[str, Any]] = {
    MakeRingOperator: {"caller": SENDER, "callee": RECIPIENT},
    MakeRingPlusOperator: {"pairs": [(SENDER, RECIPIENT), (RECIPIENT, SENDER)]},
    MakeRingunOperator: {"prefix": "33", "caller": "687345678", "callees": ["687654321"]},
    MakeCallPlusOperator: {
        "caller": SENDER,
        "callee": RECIPIENT,
        "max_duration_minutes": 2,
        "recording_notice": True,
    },
    MakeSmsOperator: {"sender": SENDER, "recipient": RECIPIENT, "catalog_code": "123"},
    MakeSmsPlusOperator: {"sender": SENDER, "recipient": RECIPIENT, "message": "Bonjour"},
}
BAD_LITERALS = [
    (MakeRingOperator, {"delay_seconds": 7201}, "delay_seconds", "must be from 0 to 7200 seconds"),
    (MakeRingOperator, {"delay_seconds": "-1"}, "delay_seconds", "expected a whole number of seconds"),
    (MakeRingOperator, {"resend_unknown": "yes"}, "resend_unknown", "expected True or False"),
    (MakeRingOperator, {"wait_for_completion": 1}, "wait_for_completion", "expected True or False"),
    (MakeRingOperator, {"poll_interval": 0}, "poll_interval", "must be a positive number of seconds"),
    (MakeRingOperator, {"timeout": -5.0}, "timeout", "must be a positive number of seconds"),
    (MakeRingOperator, {"deferrable": "no"}, "deferrable", "expected True or False"),
    (MakeRingOperator, {"dry_run": "yes"}, "dry_run", "expected True or False"),
    (MakeRingOperator, {"cost_per_request": 2.5}, "cost_per_request", "expected a whole number of credits"),
    (MakeRingPlusOperator, {"pairs": SENDER}, "pairs", "expected a list, got the text"),
    (MakeRingPlusOperator, {"pairs": [(SENDER, RECIPIENT)]}, "pairs", "makeRing+ takes 2 to 10"),
    (MakeRingPlusOperator, {"pairs": [SENDER, RECIPIENT]}, "pairs[0]", "expected a (caller, callee) pair"),
    (MakeRingunOperator, {"callees": "687654321"}, "callees", "expected a list, got the text"),
    (MakeRingunOperator, {"callees": []}, "callees", "makeRingun takes 1 to 100 callees, got 0"),
    (MakeCallPlusOperator, {"max_duration_minutes": 11}, "max_duration_minutes", "must be from 1 to 10"),
    (MakeCallPlusOperator, {"recording_notice": False}, "recording_notice", "records the conversation"),
    (MakeSmsOperator, {"catalog_code": "abc"}, "catalog_code", "made of digits only"),
    (MakeSmsPlusOperator, {"message": "Only 5€"}, "message", "outside the GSM 03.38 basic alphabet"),
    (MakeSmsPlusOperator, {"message": "x" * 1001}, "message", "makeSms+ takes at most 1000"),
    (MakeSmsPlusOperator, {"transliterate": None}, "transliterate", "expected True or False"),
    (MakeSmsPlusOperator, {"wait_for_follow_up": "yes"}, "wait_for_follow_up", "expected True or False"),
]


@pytest.mark.parametrize(
    ("cls", "bad", "argument", "message"),
    BAD_LITERALS,
    ids=[f"{cls.__name__}-{argument}-{index}" for index, (cls, _, argument, _) in enumerate(BAD_LITERALS)],
)
def test_a_bad_literal_argument_is_refused_when_the_dag_is_parsed(
    cls: type[Any], bad: dict[str, Any], argument: str, message: str
) -> None:
    with pytest.raises(MakeValidationError) as caught:
        cls(task_id="send", **(GOOD_ARGUMENTS[cls] | bad))
    assert isinstance(caught.value, AirflowFailException)
    assert caught.value.argument == argument
    assert str(caught.value).startswith(f"{argument}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("cls", "rendered", "argument"),
    [
        (MakeRingOperator, {"delay_seconds": "7201"}, "delay_seconds"),
        (MakeRingPlusOperator, {"pairs": json.dumps([[SENDER, RECIPIENT]])}, "pairs"),
        (MakeRingunOperator, {"callees": "[]"}, "callees"),
        (MakeCallPlusOperator, {"max_duration_minutes": "11"}, "max_duration_minutes"),
        (MakeSmsOperator, {"catalog_code": "abc"}, "catalog_code"),
        (MakeSmsPlusOperator, {"message": "Only 5€"}, "message"),
    ],
)
def test_the_task_refuses_a_rendered_value_with_the_message_of_the_parse_time_check(
    make_default: Sandbox, cls: type[Any], rendered: dict[str, Any], argument: str
) -> None:
    with pytest.raises(MakeValidationError) as at_parse_time:
        cls(task_id="send", **(GOOD_ARGUMENTS[cls] | rendered))
    operator = cls(task_id="send", **GOOD_ARGUMENTS[cls])
    for name, value in rendered.items():
        setattr(operator, name, value)  # what rendering the templates would leave
    with pytest.raises(AirflowFailException) as at_run_time:
        operator.execute(context(MemoryStore()))
    assert str(at_run_time.value) == str(at_parse_time.value)
    assert make_default.requests() == []


def test_templates_and_xcom_args_are_left_for_the_task() -> None:
    from airflow.sdk import DAG, task

    with DAG("literals", schedule=None):

        @task
        def pairs() -> list[list[str]]:
            return [[SENDER, RECIPIENT], [RECIPIENT, SENDER]]

        MakeRingOperator(task_id="ring", caller=SENDER, callee=RECIPIENT, delay_seconds="{{ params.delay }}")
        MakeRingPlusOperator(task_id="ring_plus", pairs=pairs())  # type: ignore[arg-type]
        MakeRingunOperator(task_id="ringun", prefix="33", caller="687345678", callees=["{{ params.callee }}"])
        MakeSmsOperator(task_id="sms", sender=SENDER, recipient=RECIPIENT, catalog_code="{{ params.code }}")


# ---------------------------------------------------------------- dry run


def test_a_dry_run_checks_and_builds_the_request_and_sends_nothing(make_default: Sandbox) -> None:
    rehearsal = sms_plus(dry_run=True, wait_for_completion=True).execute(context(MemoryStore()))
    assert rehearsal["would_send"] is True
    assert rehearsal["request"] == "makeSms+"
    assert "from=33612345678&to=33687654321" in rehearsal["query"]
    assert rehearsal["credits"] == 100_000
    assert make_default.sends() == []
    assert [r["path"] for r in make_default.requests()] == ["/apicredits.php"]


def test_a_dry_run_fails_when_the_balance_cannot_pay(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(login=POOR_LOGIN))  # 3 credits
    with pytest.raises(AirflowFailException, match="has 3 credits, less than the 10 makeSms\\+ costs"):
        sms_plus(dry_run=True, cost_per_request=10).execute(context(MemoryStore()))
    assert api.sends() == []


def test_a_dry_run_with_an_unknown_cost_fails_only_on_a_zero_balance(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(password="wrong"))  # 0 credits
    operator = MakeRingOperator(task_id="ring", caller=SENDER, callee=RECIPIENT, dry_run=True)
    with pytest.raises(AirflowFailException, match=r"0 credits.*wrong e-mail or password"):
        operator.execute(context(MemoryStore()))
    assert api.sends() == []


def test_a_dry_run_refuses_a_bad_argument_before_any_request(make_default: Sandbox) -> None:
    operator = MakeRingOperator(task_id="ring", caller="06-CALL-ME", callee=RECIPIENT, dry_run=True)
    with pytest.raises(AirflowFailException, match="caller: '06-CALL-ME'"):
        operator.execute(context(MemoryStore()))
    assert make_default.requests() == []


# ---------------------------------------------------------------- MakeCreditsOperator


def test_credits_returns_the_balance(make_default: Sandbox) -> None:
    assert MakeCreditsOperator(task_id="credits", min_credits=50).execute(context(MemoryStore())) == 100_000


@pytest.mark.parametrize("minimum", [1.5, "many", -1, True])
def test_a_min_credits_that_is_no_whole_number_is_refused_when_parsed(minimum: object) -> None:
    with pytest.raises(MakeValidationError, match=r"^min_credits: ") as caught:
        MakeCreditsOperator(task_id="credits", min_credits=minimum)  # type: ignore[arg-type]
    assert isinstance(caught.value, AirflowFailException)


def test_a_rendered_min_credits_is_checked_by_the_task(make_default: Sandbox) -> None:
    operator = MakeCreditsOperator(task_id="credits", min_credits="{{ params.minimum }}")  # type: ignore[arg-type]
    operator.min_credits = "1.5"  # as rendered: once read with int(), it became 1
    with pytest.raises(MakeValidationError, match=r"^min_credits: ") as caught:
        operator.execute(context(MemoryStore()))
    assert isinstance(caught.value, AirflowFailException)
    assert make_default.requests() == []
    operator.min_credits = "100001"
    with pytest.raises(AirflowFailException, match="has 100000 credits, below the minimum of 100001"):
        operator.execute(context(MemoryStore()))


def test_the_connection_id_is_templated_like_the_official_providers() -> None:
    from airflow_provider_make.notifications.make import MakeSmsNotifier
    from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator
    from airflow_provider_make.sensors.make import MakeTrackingSensor

    for cls in (
        *GOOD_ARGUMENTS,
        MakeCreditsOperator,
        MakeTrackingSensor,
        MakeSmsNotifier,
        MakeBulkSmsPlusOperator,
    ):
        assert "make_conn_id" in cls.template_fields, cls.__name__


def test_credentials_never_reach_the_dry_run_result(make_default: Sandbox) -> None:
    rehearsal = sms_plus(dry_run=True).execute(context(MemoryStore()))
    assert LOGIN not in json.dumps(rehearsal)
    assert "pwd" not in rehearsal["query"] and PASSWORD not in json.dumps(rehearsal)


def test_a_dry_run_of_a_sms_plus_uses_the_last_cost_charged_to_the_account(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_make.campaign.costs import cost_key

    monkeypatch.setenv("AIRFLOW_CONN_MAKE_DEFAULT", api.conn_json(login=POOR_LOGIN))  # 3 credits
    monkeypatch.setenv(f"AIRFLOW_VAR_{cost_key(POOR_LOGIN).upper()}", "10")
    with pytest.raises(AirflowFailException, match="has 3 credits, less than the 10 makeSms\\+ costs"):
        sms_plus(dry_run=True).execute(context(MemoryStore()))
    ring = MakeRingOperator(task_id="ring", caller=SENDER, callee=RECIPIENT, dry_run=True)
    assert ring.execute(context(MemoryStore()))["cost"] is None  # only makeSms+ costs are remembered
    assert api.sends() == []
