"""Every example DAG, and the retry and mode scenarios, run by real Airflow against the sandbox.

Each test runs ``airflow dags test`` in a subprocess (Airflow's own runner, with its own
task runner, XCom, task_state_store and inline triggerer), then asserts on what the
sandbox received and on what Airflow stored (XCom, task states) in its database.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_make.client.redaction import secret_forms
from tests.conftest import EXAMPLE_DAGS, PASSWORD, TEST_DAGS, AirflowHome, DagRun, Sandbox

pytestmark = pytest.mark.airflow


def _ok(run: DagRun) -> None:
    assert run.returncode == 0, run.output[-4000:]
    states = run.task_states()
    assert states and all(state == "success" for state, _ in states.values()), states


def _no_password_anywhere(run: DagRun) -> None:
    forms = secret_forms(PASSWORD)
    with run._db() as db:
        rows = db.execute("select value from xcom where dag_id = ? and run_id = ?", (run.dag_id, run.run_id))
        stored = [str(row[0]) for row in rows]
    for text in [*stored, run.output]:
        for number, form in enumerate(sorted(forms)):
            assert form not in text, f"form #{number} of the password leaked"  # never print it


def _sent(api: Sandbox) -> list[dict[str, Any]]:
    return api.sends()


def _request_dict(result: dict[str, Any], kind: str, cost: int, code: int, api: Sandbox) -> None:
    """The documented XCom dict: id, kind, cost, credits, result_code, matching the API's answer."""
    [send] = _sent(api)
    assert result["id"] == send["id"]
    assert result["kind"] == kind
    assert result["cost"] == cost
    assert result["result_code"] == code == send["result_code"]
    assert isinstance(result["credits"], int)


@pytest.mark.parametrize(
    ("dag_id", "task_id", "path", "kind", "cost", "code", "query_part"),
    [
        ("example_make_ring", "ring", "/apimaking.php", "ring", 5, 18, "from=33612345678&to=33687654321"),
        (
            "example_make_ring_plus",
            "ring_plus",
            "/apimakingplus.php",
            "ring+",
            20,
            78,
            "&from3=33612345671&to3=33687654324&insec=0",
        ),
        (
            "example_make_ringun",
            "ringun",
            "/apimakingun.php",
            "ringun",
            10,
            681,
            "prefix=33&from=687345678&list=687654321+687654322",
        ),
        ("example_make_call", "call", "/apimakecall.php", "call", 5, 8, "from=33612345678&to=33687654321"),
        (
            "example_make_call_plus",
            "recorded_call",
            "/apimakecallplus.php",
            "call+",
            20,
            58,
            "to=33687654321&duration=2&engage=1",
        ),
        ("example_make_sms", "sms", "/apimakesms.php", "sms", 5, 28, "&txt=123"),
        ("example_make_sms_plus", "sms_plus", "/apimakesmsplus.php", "sms+", 10, 39, "&msg=Report+of+20"),
    ],
)
def test_each_operator_sends_its_request_and_returns_the_documented_dict(
    airflow_home: AirflowHome,
    api: Sandbox,
    dag_id: str,
    task_id: str,
    path: str,
    kind: str,
    cost: int,
    code: int,
    query_part: str,
) -> None:
    run = airflow_home.dags_test(dag_id, api.conn_json())
    _ok(run)
    [send] = _sent(api)
    assert send["path"] == path
    assert query_part in send["query"]
    result = run.xcom(task_id)
    _request_dict(
        {k: result[k] for k in ("id", "kind", "cost", "credits", "result_code")}, kind, cost, code, api
    )
    assert run.xcom(task_id, "make_tracking_id") == send["id"]
    assert run.xcom(task_id, "_link_MakeTrackingLink") == f"{api.url}apilog.php?id={send['id']}"
    assert (
        f"{result['kind'] and _label(kind)} accepted: id={send['id']}, cost={cost}, credits left="
        in run.output
    )
    if "tracking" in result:
        assert result["tracking"]["is_finished"] is True
        assert result["tracking"]["id"] == send["id"]
        json.dumps(result)
    _no_password_anywhere(run)


def _label(kind: str) -> str:
    from airflow_provider_make.client.kinds import RequestKind

    return RequestKind(kind).label


def test_call_plus_shows_the_recording_link(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("example_make_call_plus", api.conn_json())
    _ok(run)
    record_link = run.xcom("recorded_call")["tracking"]["record_link"]
    assert record_link.startswith(f"{api.url}rec/") and record_link.endswith(".mp3")
    assert run.xcom("recorded_call", "make_record_link") == record_link
    assert run.xcom("recorded_call", "_link_MakeCallRecordingLink") == record_link


def test_sms_then_wait_in_deferrable_mode(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("example_make_sms_wait_deferrable", api.conn_json())
    _ok(run)
    assert "running trigger in line" in run.output  # the real trigger ran
    [send] = _sent(api)
    sent = run.xcom("send_sms")
    assert sent["id"] == send["id"] and sent["tracking"]["sent_at"]
    follow_up = run.xcom("wait_for_follow_up_sms")
    assert follow_up["id"] == send["id"]
    assert follow_up["follow_up_sent_at"] is not None
    _no_password_anywhere(run)


@pytest.mark.parametrize("dag_id", ["sensor_poke", "sensor_reschedule", "sms_wait_in_worker"])
def test_sms_then_wait_in_the_worker(airflow_home: AirflowHome, api: Sandbox, dag_id: str) -> None:
    run = airflow_home.dags_test(dag_id, api.conn_json(), dagfile=TEST_DAGS / "sensor_modes.py")
    _ok(run)
    [send] = _sent(api)
    waited = run.xcom("wait") if dag_id.startswith("sensor") else run.xcom("send_and_wait")["tracking"]
    assert waited["id"] == send["id"] and waited["is_finished"] is True and waited["sent_at"]
    assert "running trigger in line" not in run.output


def test_mapped_deferrable_sends_resume_each_with_its_own_request(
    airflow_home: AirflowHome, api: Sandbox
) -> None:
    run = airflow_home.dags_test("mapped_deferrable", api.conn_json(), dagfile=TEST_DAGS / "sensor_modes.py")
    assert run.returncode == 0, run.output[-4000:]
    sends = api.sends()
    assert len(sends) == 2
    with run._db() as db:
        rows = db.execute(
            "select map_index, state from task_instance where dag_id = ? and run_id = ?",
            (run.dag_id, run.run_id),
        ).fetchall()
        values = db.execute(
            "select map_index, value from xcom where dag_id = ? and run_id = ? and key = 'return_value'",
            (run.dag_id, run.run_id),
        ).fetchall()
    assert sorted(rows) == [(0, "success"), (1, "success")]
    returned = {index: json.loads(value) for index, value in values}
    assert {returned[0]["id"], returned[1]["id"]} == {send["id"] for send in sends}
    assert returned[0]["tracking"]["recipient"] != returned[1]["tracking"]["recipient"]


def test_a_retry_whose_arguments_changed_refuses_to_guess(
    airflow_home: AirflowHome, slow_api: Sandbox
) -> None:
    run = airflow_home.dags_test(
        "retry_with_changed_arguments",
        slow_api.conn_json(),
        dagfile=TEST_DAGS / "retry_after_waiting_failure.py",
    )
    assert run.task_states()["send_and_wait"] == ("failed", 2)
    assert "its arguments have changed since" in run.output
    assert len(slow_api.sends()) == 1


def test_deferred_call_plus_and_sensor_show_their_links(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test(
        "call_plus_deferrable", api.conn_json(), dagfile=TEST_DAGS / "sensor_modes.py"
    )
    _ok(run)
    [send] = _sent(api)
    link = run.xcom("recorded_call", "_link_MakeCallRecordingLink")
    assert link and link == run.xcom("sensor_on_call")["record_link"]
    assert run.xcom("sensor_on_call", "_link_MakeCallRecordingLink") == link
    assert run.xcom("sensor_on_call", "_link_MakeTrackingLink") == f"{api.url}apilog.php?id={send['id']}"


@pytest.mark.parametrize("mode", ["poke", "deferrable"])
def test_a_retry_after_a_waiting_failure_sends_nothing(
    airflow_home: AirflowHome, slow_api: Sandbox, mode: str
) -> None:
    run = airflow_home.dags_test(
        f"retry_after_waiting_failure_{mode}",
        slow_api.conn_json(),
        dagfile=TEST_DAGS / "retry_after_waiting_failure.py",
    )
    _ok(run)
    assert run.task_states()["send_and_wait"] == ("success", 2), "the first try should have failed"
    assert "still not finished after waiting" in run.output
    assert "already had makeSms+ accepted" in run.output
    [send] = slow_api.sends()  # one SMS, not two
    assert run.xcom("send_and_wait")["id"] == send["id"]


def test_a_retry_after_a_send_that_may_have_been_accepted_never_sends_again(
    airflow_home: AirflowHome, api: Sandbox
) -> None:
    """The intent to send is kept before the request leaves: the retry finds it and refuses."""
    api.fault("slow:6", count=1, path="/apimakesmsplus.php")
    run = airflow_home.dags_test(
        "retry_after_a_send_cut_short_refuse",
        api.conn_json(),
        dagfile=TEST_DAGS / "retry_after_waiting_failure.py",
    )
    assert run.task_states()["send"] == ("failed", 2), run.output[-3000:]
    assert "stopped while its request was being sent" in run.output
    assert "resend_unknown=True" in run.output
    assert len(api.sends()) == 1  # the first try's, which the API accepted


def test_resend_unknown_sends_again_on_request(airflow_home: AirflowHome, api: Sandbox) -> None:
    api.fault("slow:6", count=1, path="/apimakesmsplus.php")
    run = airflow_home.dags_test(
        "retry_after_a_send_cut_short_resend",
        api.conn_json(),
        dagfile=TEST_DAGS / "retry_after_waiting_failure.py",
    )
    assert run.task_states()["send"] == ("success", 2), run.output[-3000:]
    assert len(api.sends()) == 2  # the user chose a duplicate over a miss


def test_list_arguments_rendered_as_text_are_read_as_lists(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("templated_lists", api.conn_json(), dagfile=TEST_DAGS / "templated_lists.py")
    _ok(run)
    queries = {send["path"]: send["query"] for send in api.sends()}
    assert (
        "from0=33612345671&to0=33687654321&from1=33612345672&to1=33687654322" in queries["/apimakingplus.php"]
    )
    assert "list=687654321+687654322+687654323" in queries["/apimakingun.php"]


def test_bad_arguments_fail_every_operator_before_any_request(
    airflow_home: AirflowHome, api: Sandbox
) -> None:
    run = airflow_home.dags_test("bad_arguments", api.conn_json(), dagfile=TEST_DAGS / "bad_arguments.py")
    assert api.requests() == []
    states = run.task_states()
    assert len(states) == 8
    assert all(state == "failed" and tries == 1 for state, tries in states.values()), states
    for expected in [
        "caller: '06-CALL-ME' is not a phone number",
        "delay_seconds: must be from 0 to 7200 seconds, got 7201",
        "pairs: makeRing+ takes 2 to 10 (caller, callee) pairs, got 1",
        "callees: makeRingun takes 1 to 100 callees, got 0",
        "callee: '+33 6 12' is not a valid phone number",
        "max_duration_minutes: must be from 1 to 10 minutes, got 11",
        "catalog_code: a catalog code is made of digits only",
        "'€' (U+20AC), from the GSM extension table at position 7",
    ]:
        assert expected in run.output, expected


def test_a_bad_literal_argument_is_a_dag_import_error_naming_it(airflow_home: AirflowHome) -> None:
    folder = TEST_DAGS.parent / "dags_import_errors"
    done = airflow_home.airflow(
        "dags", "list-import-errors", "--local", "-o", "json", AIRFLOW__CORE__DAGS_FOLDER=str(folder)
    )
    listed = json.loads(done.stdout.strip().splitlines()[-1])  # after Airflow's own warnings
    errors = {Path(found["filepath"]).name: found["error"] for found in listed}
    assert set(errors) == {path.name for path in folder.glob("*.py")}, done.stdout + done.stderr
    assert "recording_notice: makeCall+ records the conversation" in errors["call_plus_without_notice.py"]
    assert "delay_seconds: must be from 0 to 7200 seconds, got 7201" in errors["delay_too_long.py"]


def test_wrong_password_fails_at_once_without_retries(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test(
        "wrong_password", api.conn_json(password="not the password"), dagfile=TEST_DAGS / "wrong_password.py"
    )
    states = run.task_states()
    assert states["send"] == ("failed", 1)
    assert states["credits"] == ("failed", 1)
    assert "result code 101: wrong login or password" in run.output
    assert "API also answers 0 for a wrong e-mail or password" in run.output
    assert len(api.requests("/apimakesmsplus.php")) == 1


def test_credits_guard_lets_the_campaign_run(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("example_make_credits_guard", api.conn_json())
    _ok(run)
    assert run.xcom("enough_credits") == 100_000
    assert len(api.requests("/apimakesmsplus.php")) == 1


def test_credits_guard_stops_the_campaign(airflow_home: AirflowHome, api: Sandbox) -> None:
    api.account("low@example.com", PASSWORD, 20)
    run = airflow_home.dags_test("example_make_credits_guard", api.conn_json(login="low@example.com"))
    states = run.task_states()
    assert states["enough_credits"][0] == "failed"
    assert states["campaign"][0] == "upstream_failed"
    assert "has 20 credits, below the minimum of 50" in run.output
    assert api.sends() == []


def test_a_failing_task_sends_one_sms_through_the_notifier(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("example_make_sms_notifier", api.conn_json())
    assert run.task_states()["nightly_export"][0] == "failed"
    [sms] = api.sends()
    assert sms["path"] == "/apimakesmsplus.php"
    assert sms["params"]["msg"].startswith("Airflow: nightly_export of example_make_sms_notifier failed (")
    assert "MakeSmsNotifier: makeSms+ accepted" in run.output


ON_CALL = "33612345679"


def _on_call_text(api: Sandbox) -> str:
    """The one SMS the on-call number received."""
    [alert] = [send for send in api.sends() if send["params"]["to"] == ON_CALL]
    text: str = alert["params"]["msg"]
    return text


def test_the_on_call_number_hears_the_campaign_summary(airflow_home: AirflowHome, api: Sandbox) -> None:
    run = airflow_home.dags_test("example_make_campaign_alert", api.conn_json())
    _ok(run)
    customers = [send for send in api.sends() if send["params"]["to"] != ON_CALL]
    assert len(customers) == 3
    assert re.fullmatch(
        r"Campaign example_make_campaign_alert of [0-9]{4}-[0-9]{2}-[0-9]{2}: "
        r"3 of 3 accepted, 0 refused, 0 invalid, 0 unknown, 30 credits\.",
        _on_call_text(api),
    ), _on_call_text(api)


def test_the_on_call_number_hears_that_the_campaign_failed(airflow_home: AirflowHome, api: Sandbox) -> None:
    customers = [
        {"recipient": "+33 6 87 65 43 21", "name": "Camille"},
        {"recipient": "06-CALL-ME", "name": "Bo"},
    ]
    done = airflow_home.airflow(
        "dags",
        "test",
        "example_make_campaign_alert",
        "--conf",
        json.dumps({"customers": customers}),
        AIRFLOW_CONN_MAKE_DEFAULT=api.conn_json(),
    )
    run = DagRun("example_make_campaign_alert", done.returncode, done.stdout + done.stderr, airflow_home.path)
    states = run.task_states()
    assert states["tell_customers"] == ("failed", 1), run.output[-4000:]
    assert states["alert_on_call"][0] == "success", run.output[-4000:]
    assert "row 1, recipient: '06-CALL-ME' is not a phone number" in run.output
    assert [send["params"]["to"] for send in api.sends()] == [ON_CALL]  # no customer got one
    assert re.fullmatch(
        r"Campaign example_make_campaign_alert of [0-9-]{10}: "
        r"FAILED with no results\. See the task log in Airflow\.",
        _on_call_text(api),
    ), _on_call_text(api)


def test_example_dags_all_run_in_this_suite() -> None:
    """Every example DAG file is covered by a test above."""
    covered = {
        "example_make_ring",
        "example_make_ring_plus",
        "example_make_ringun",
        "example_make_call",
        "example_make_call_plus",
        "example_make_sms",
        "example_make_sms_plus",
        "example_make_sms_wait_deferrable",
        "example_make_credits_guard",
        "example_make_sms_notifier",
        "example_make_bulk_sms",  # tests/test_bulk_dags.py
        "example_make_campaign_alert",
    }
    assert {path.stem for path in EXAMPLE_DAGS.glob("example_*.py")} == covered
