"""Issue 13's "Done when", on a real deployment: what the make page, its JSON API and the
StatsD metrics show, judged against what the sandboxes accepted.

Example DAGs are triggered through the REST API; then ``/make/api/v1/requests`` and the
page in Chromium must list exactly the requests the sandbox accepted, once each, with costs
that add up to what it charged; a cleared task, a task retried after its send and a task
killed mid-send must each leave its request listed once; the StatsD lines the deployment
sent to a loopback listener must add up to the same counts.
"""

from __future__ import annotations

import collections
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium_page, log_in
from tests.conftest import LOGIN
from tests.deployment.conftest import (
    ADMIN,
    STATSD_PREFIX,
    Deployment,
    StatsdListener,
    _q,
    wait_for,
)
from tests.deployment.test_deployment import RUN_TIMEOUT, SMS_PLUS, _task_process, _why

pytestmark = pytest.mark.deployment

#: The sandboxes' account starts every reset with this balance (SandboxProcess).
START_CREDITS = 1_000_000
#: The campaign example: three rows, then an SMS to the on-call number with the summary.
CAMPAIGN_DAG = "example_make_campaign_alert"
#: Example DAGs run together: single requests of several kinds, and a campaign.
TOGETHER = ("example_make_sms", "example_make_ring_plus", "example_make_call_plus", CAMPAIGN_DAG)
#: Its makeCall is refused by the sandbox (a queued result code 102): the run fails.
REFUSED_DAG, REFUSED_PATH, REFUSED_CODE = "example_make_call", "/apimakecall.php", 102
#: Run alone after the others, so the balance its answer reports is the sandbox's last one.
LAST_DAG = "example_make_sms_plus"
SENDING_PATHS_EXCLUDED = ("/apilog.php", "/apicredits.php")


@dataclass
class ExampleRuns:
    """The example runs of this module and what the fast sandbox and StatsD saw meanwhile."""

    runs: dict[str, str]  # dag_id: run_id
    states: dict[str, str]  # dag_id: the run's end state
    sends: list[dict[str, Any]]  # what the sandbox received that spends credits, in order
    balance: int  # the sandbox account's balance once they ended
    metrics: list[str]  # the StatsD lines received while they ran


@pytest.fixture(scope="module")
def examples(local_airflow: Deployment, statsd: StatsdListener) -> ExampleRuns:
    sandbox = local_airflow.fast
    sandbox.reset()
    first_line = len(statsd.lines())
    sandbox.fault(f"code:{REFUSED_CODE}", path=REFUSED_PATH)
    runs = {dag_id: local_airflow.trigger(dag_id) for dag_id in (*TOGETHER, REFUSED_DAG)}
    states = {dag_id: local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT) for dag_id, run_id in runs.items()}
    runs[LAST_DAG] = local_airflow.trigger(LAST_DAG)
    states[LAST_DAG] = local_airflow.wait_run(LAST_DAG, runs[LAST_DAG], RUN_TIMEOUT)
    time.sleep(3)  # a late duplicate, or a late metric, would show
    why = {dag_id: _why(local_airflow, dag_id, run_id) for dag_id, run_id in runs.items()}
    expected = dict.fromkeys(runs, "success") | {REFUSED_DAG: "failed"}
    assert states == expected, why
    sends = [r for r in sandbox.requests() if r["path"] not in SENDING_PATHS_EXCLUDED]
    return ExampleRuns(runs, states, sends, sandbox.credits_of(LOGIN), statsd.lines()[first_line:])


def _listed(deployment: Deployment, runs: dict[str, str]) -> list[dict[str, Any]]:
    """The records ``/make/api/v1/requests`` lists for these runs (the database holds other runs)."""
    answer = deployment.api("GET", "/make/api/v1/requests?limit=1000")
    assert answer["total_entries"] < 1000, "more records than one page: page through them"
    wanted = set(runs.items())
    return [row for row in answer["requests"] if (row["dag_id"], row["run_id"]) in wanted]


def _campaign_rows(deployment: Deployment, record: dict[str, Any]) -> list[dict[str, Any]]:
    path = "/".join((record["dag_id"], _q(record["run_id"]), record["task_id"], str(record["map_index"])))
    answer = deployment.api("GET", f"/make/api/v1/campaigns/{path}/rows?limit=1000")
    rows: list[dict[str, Any]] = answer["rows"]
    assert answer["total_entries"] == len(rows)
    return rows


def _accepted_ids(deployment: Deployment, records: Iterable[dict[str, Any]]) -> list[str]:
    """The tracking ids the records list as accepted: single requests, and campaigns' rows."""
    found: list[str] = []
    for record in records:
        if record["kind"] == "campaign":
            rows = _campaign_rows(deployment, record)
            found += [row["tracking_id"] for row in rows if row["status"] == "accepted"]
        elif record["state"] in ("accepted", "finished"):
            found.append(record["tracking_id"])
    return found


# ----------------------------------------------------------------------------- the JSON API


def test_the_api_lists_exactly_what_the_sandbox_accepted(
    local_airflow: Deployment, examples: ExampleRuns
) -> None:
    records = _listed(local_airflow, examples.runs)
    accepted = [send["id"] for send in examples.sends if send["id"]]
    listed = _accepted_ids(local_airflow, records)
    assert collections.Counter(listed) == collections.Counter(accepted), records  # once each
    assert {record["dag_id"] for record in records} == set(examples.runs), records
    [campaign] = [record for record in records if record["kind"] == "campaign"]
    assert campaign["dag_id"] == CAMPAIGN_DAG and campaign["state"] == "finished", campaign
    assert campaign["counts"]["accepted"] == len(
        [row for row in _campaign_rows(local_airflow, campaign) if row["status"] == "accepted"]
    )
    # Costs: what the sandbox charged, counted once (a refusal costs nothing).
    assert sum(record["cost"] or 0 for record in records) == START_CREDITS - examples.balance
    [refused] = [record for record in records if record["state"] == "refused"]
    assert (refused["dag_id"], refused["kind"], refused["result_code"], refused["cost"]) == (
        REFUSED_DAG,
        "call",
        REFUSED_CODE,
        0,
    )
    for record in records:
        assert all(re.fullmatch(r"\**\d\d", masked) for masked in record["recipients"]), record
    summary = local_airflow.api("GET", "/make/api/v1/summary?days=30")
    assert summary["credits"]["value"] == examples.balance, summary["credits"]


def test_the_page_in_chromium_shows_the_requests(
    local_airflow: Deployment, examples: ExampleRuns, tmp_path: Path
) -> None:
    records = _listed(local_airflow, examples.runs)
    single = {record["tracking_id"] for record in records if record["kind"] != "campaign"} - {None}
    with chromium_page(tmp_path / "chromium-profile") as page:
        log_in(page, local_airflow.api_url, ADMIN, local_airflow.admin_password())
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name="make", exact=True).click()
        page.wait_for_url("**/plugin/make")
        make = page.frame_locator("iframe")  # the UI shows the plugin's page in a frame
        make.get_by_role("heading", name="Requests, newest first").wait_for()
        cells = [row.locator("td").all_inner_texts() for row in make.locator("tr:has(td)").all()]
    # sent at, DAG / run / task, kind, recipients, cost, credits after, tracking id, state, details
    mine = [row for row in cells if any(run_id in row[1] for run_id in examples.runs.values())]
    assert {row[6] for row in mine if row[2] != "campaign" and row[6]} == single, mine
    shown = {row[6]: row for row in mine}
    for record in records:
        if record["kind"] != "campaign" and record["tracking_id"]:
            row = shown[record["tracking_id"]]
            assert (row[2], row[4], row[7]) == (record["kind"], str(record["cost"]), record["state"])
    [campaign] = [row for row in mine if row[2] == "campaign"]
    assert campaign[7] == "finished" and "accepted" in campaign[8], campaign
    assert any(row[7] == "refused" and str(REFUSED_CODE) in row[8] for row in mine), mine


def _status(deployment: Deployment, path: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(deployment.api_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status: int = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status


@pytest.mark.parametrize(
    "path",
    ["/make/", "/make/api/v1/requests", "/make/api/v1/summary", "/make/api/v1/campaigns/d/r/t/-1/rows"],
)
def test_without_a_token_the_page_and_the_api_answer_401(local_airflow: Deployment, path: str) -> None:
    assert _status(local_airflow, path, {}) == 401
    # A token that is not one: the answer Airflow's REST API gives it (403, "Invalid JWT token").
    forged = {"Authorization": "Bearer not-a-token"}
    assert _status(local_airflow, path, forged) == _status(local_airflow, "/api/v2/dags", forged) != 200


# ----------------------------------------------------------------------------- StatsD


def _metrics(lines: Iterable[str]) -> tuple[dict[str, int], list[int]]:
    """The make counters' sums and the ``make.credits.left`` gauges, in order, from StatsD lines.

    Plain StatsD drops the tags; InfluxDB-style tags (``name,kind=sms:1|c``) are read too.
    """
    pattern = re.compile(rf"{re.escape(STATSD_PREFIX)}\.(make\.[a-z_.]+)(?:,[^:]*)?:(-?\d+)\|(c|g)")
    counters: dict[str, int] = collections.defaultdict(int)
    gauges: list[int] = []
    for line in lines:
        match = pattern.match(line)
        if match is None:
            continue
        name, value, kind = match.groups()
        if kind == "c":
            counters[name] += int(value)
        elif name == "make.credits.left":
            gauges.append(int(value))
    return dict(counters), gauges


def test_statsd_counters_add_up_to_what_the_sandbox_saw(examples: ExampleRuns) -> None:
    counters, gauges = _metrics(examples.metrics)
    accepted = sum(1 for send in examples.sends if send["id"])
    refused = sum(1 for send in examples.sends if not send["id"])
    assert refused >= 1 and accepted >= 5, examples.sends  # the test can tell them apart
    # The listener hears the deployment (the scheduler's own metrics), make's lines or not.
    assert any(line.startswith(f"{STATSD_PREFIX}.scheduler") for line in examples.metrics)
    make_lines = [line for line in examples.metrics if f"{STATSD_PREFIX}.make." in line]
    assert counters.get("make.requests.accepted", 0) == accepted, make_lines
    assert counters.get("make.requests.refused", 0) == refused, make_lines
    assert counters.get("make.credits.spent", 0) == START_CREDITS - examples.balance, make_lines
    assert gauges and gauges[-1] == examples.balance, make_lines
    assert any(line.startswith(f"{STATSD_PREFIX}.make.api.duration") for line in make_lines), make_lines


# ----------------------------------------------------------------------------- once each


def test_a_cleared_and_rerun_task_leaves_its_request_listed_once(
    local_airflow: Deployment, examples: ExampleRuns
) -> None:
    sandbox, dag_id = local_airflow.fast, "example_make_sms"
    run_id = examples.runs[dag_id]
    [before] = _listed(local_airflow, {dag_id: run_id})
    sent_before = len(sandbox.requests("/apimakesms.php"))
    body = {"dag_run_id": run_id, "task_ids": ["sms"], "dry_run": False, "only_failed": False}
    local_airflow.api("POST", f"/api/v2/dags/{dag_id}/clearTaskInstances", {**body, "reset_dag_runs": True})
    wait_for(
        "the cleared task to run again",
        lambda: local_airflow.task_instance(dag_id, run_id, "sms")["try_number"] >= 2 or None,
        timeout=60,
    )
    state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
    why = _why(local_airflow, dag_id, run_id)
    time.sleep(2)
    assert len(sandbox.requests("/apimakesms.php")) == sent_before, f"sent again: {why}"
    assert state == "success", why
    [after] = _listed(local_airflow, {dag_id: run_id})
    assert (after["tracking_id"], after["cost"], after["try_number"]) == (
        before["tracking_id"],
        before["cost"],
        before["try_number"],
    ), why
    assert after["state"] in ("accepted", "finished"), after


def test_a_task_retried_after_its_send_leaves_its_request_listed_once(local_airflow: Deployment) -> None:
    """Killed while it waits for the SMS it sent: the retry finishes the wait, sending nothing."""
    sandbox, dag_id, task_id = local_airflow.slow, "deployment_kill_while_waiting", "send_and_wait"
    sandbox.reset()
    run_id = local_airflow.trigger(dag_id)
    ti_id = local_airflow.wait_task_state(dag_id, run_id, task_id, "running", timeout=90)
    wait_for("the SMS to reach the sandbox", lambda: sandbox.sms_plus() or None, timeout=60, interval=0.2)
    time.sleep(3)  # in the wait loop now: the tracking log appears 20 s after the send
    _task_process(ti_id).kill()

    state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
    why = _why(local_airflow, dag_id, run_id)
    sends = [r for r in sandbox.requests() if r["path"] not in SENDING_PATHS_EXCLUDED]
    assert (state, local_airflow.task_instance(dag_id, run_id, task_id)["try_number"]) == ("success", 2), why
    assert [send["path"] for send in sends] == [SMS_PLUS], why
    [record] = _listed(local_airflow, {dag_id: run_id})
    assert record["tracking_id"] == sends[0]["id"], record
    assert record["state"] == "finished" and record["finished_at"], record
    assert record["cost"] == START_CREDITS - sandbox.credits_of(LOGIN), record


def test_a_worker_killed_mid_send_leaves_its_request_listed_once_as_unknown(
    local_airflow: Deployment,
) -> None:
    """SIGKILL the task while makeSms+ is on the wire, with a retry left and on the last try."""
    sandbox, task_id = local_airflow.slow, "send"
    dag_ids = ("deployment_kill_in_flight", "deployment_kill_in_flight_last_try")
    sandbox.reset()
    sandbox.fault("slow:20", count=len(dag_ids), path=SMS_PLUS)  # charged at once, answered 20 s later
    runs = {dag_id: local_airflow.trigger(dag_id) for dag_id in dag_ids}
    ti_ids = [
        local_airflow.wait_task_state(dag_id, run_id, task_id, "running", timeout=90)
        for dag_id, run_id in runs.items()
    ]
    wait_for(
        "both SMS to reach the sandbox",
        lambda: len(sandbox.sms_plus()) == len(dag_ids) or None,
        timeout=60,
        interval=0.2,
    )
    for ti_id in ti_ids:
        _task_process(ti_id).kill()  # within the 20 s: no answer ever reaches the task

    for dag_id, run_id in runs.items():
        state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
        assert state in ("success", "failed"), _why(local_airflow, dag_id, run_id)
    time.sleep(3)
    sent = sandbox.sms_plus()
    assert len(sent) == len(dag_ids), f"sent {len(sent)} SMS"  # a count: the records hold the password
    for dag_id, run_id in runs.items():
        records = _listed(local_airflow, {dag_id: run_id})
        why = _why(local_airflow, dag_id, run_id)
        assert [record["state"] for record in records] == ["unknown"], f"{records}: {why}"
        assert records[0]["kind"] == "sms_plus" and records[0]["sent_at"], records
