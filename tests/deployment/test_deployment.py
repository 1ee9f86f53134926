"""A real deployment (PostgreSQL, LocalExecutor, separate scheduler, dag-processor, triggerer
and api-server): every example DAG triggered through the REST API with no logical date, and
crashes (SIGKILL) at the worst moments, judged by what the sandbox received.
"""

from __future__ import annotations

import time
from typing import Any

import psutil
import pytest

from tests.conftest import EXAMPLE_DAGS
from tests.deployment.conftest import Deployment, SandboxProcess, wait_for

pytestmark = pytest.mark.deployment

SMS_PLUS = "/apimakesmsplus.php"
TERMINAL_OUTCOMES = ("failed", "success")
#: What each example must end as, and the requests that spend credits it must send (in order).
EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "example_make_call": ("success", ["/apimakecall.php"]),
    "example_make_call_plus": ("success", ["/apimakecallplus.php"]),
    "example_make_credits_guard": ("success", [SMS_PLUS]),
    "example_make_ring": ("success", ["/apimaking.php"]),
    "example_make_ring_plus": ("success", ["/apimakingplus.php"]),
    "example_make_ringun": ("success", ["/apimakingun.php"]),
    "example_make_sms": ("success", ["/apimakesms.php"]),
    # Its task fails on purpose: the run fails, and the alert is exactly one SMS.
    "example_make_sms_notifier": ("failed", [SMS_PLUS]),
    "example_make_sms_plus": ("success", [SMS_PLUS]),
    "example_make_sms_wait_deferrable": ("success", [SMS_PLUS]),
}
#: Seconds a run may take at most (the slowest example, with its retries, takes under a minute).
RUN_TIMEOUT = 240


def _example_ids() -> list[str]:
    return sorted(p.stem for p in EXAMPLE_DAGS.glob("example_*.py"))


def _settled(sandbox: SandboxProcess, seconds: float = 3) -> list[dict[str, Any]]:
    """The sends once nothing new has arrived for ``seconds`` (a late duplicate would show)."""
    time.sleep(seconds)
    return sandbox.sends()


def _why(deployment: Deployment, dag_id: str, run_id: str) -> str:
    tasks = {
        t: (ti["state"], ti["try_number"]) for t, ti in deployment.task_instances(dag_id, run_id).items()
    }
    errors = "\n  ".join(deployment.errors(dag_id, run_id)[-8:]) or "(no error in the task logs)"
    return f"tasks {tasks}; errors:\n  {errors}"


@pytest.mark.parametrize("dag_id", _example_ids())
def test_example_dag_triggered_without_a_logical_date(local_airflow: Deployment, dag_id: str) -> None:
    sandbox = local_airflow.fast
    sandbox.reset()
    error = local_airflow.import_error(dag_id)
    assert error is None, f"{dag_id} does not import:\n{error}"
    expected_state, expected_sends = EXAMPLES.get(dag_id, ("success", []))
    run_id = local_airflow.trigger(dag_id)
    state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
    for _ in range(15):  # a failure callback may still be on its way when the run is marked failed
        if len(sandbox.sends()) >= len(expected_sends):
            break
        time.sleep(1)
    sends = [r["path"] for r in _settled(sandbox)]
    why = _why(local_airflow, dag_id, run_id)
    print(f"{dag_id}: run {state}, sent {sends}; {why}")  # shown with -rA, for the record
    assert state == expected_state, f"{dag_id} ended {state}: {why}"
    if expected_sends:
        assert sends == expected_sends, f"{dag_id} sent {sends}: {why}"
    else:
        assert sends, f"{dag_id} sent nothing: {why}"


def _task_process(ti_id: str) -> psutil.Process:
    """The process that runs the task's code: the supervisor's child titled ``airflow worker -- <ti id>``."""
    title = f"airflow worker -- {ti_id}"

    def find() -> psutil.Process | None:
        for process in psutil.process_iter(["cmdline"]):
            if title in " ".join(process.info["cmdline"] or []):
                return process
        return None

    return wait_for(f"the task process of {ti_id}", find, timeout=30, interval=0.2)


def test_killing_the_task_process_while_it_waits_sends_once(local_airflow: Deployment) -> None:
    """SIGKILL the task while it waits in the worker: the retry waits for the same SMS."""
    sandbox, dag_id, task_id = local_airflow.slow, "deployment_kill_while_waiting", "send_and_wait"
    sandbox.reset()
    run_id = local_airflow.trigger(dag_id)
    ti_id = local_airflow.wait_task_state(dag_id, run_id, task_id, "running", timeout=90)
    wait_for("the SMS to reach the sandbox", lambda: sandbox.sms_plus() or None, timeout=60, interval=0.2)
    time.sleep(3)  # now in the wait loop: the tracking log appears 20 s after the send
    assert local_airflow.task_instance(dag_id, run_id, task_id)["state"] == "running"
    _task_process(ti_id).kill()

    state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
    sends = _settled(sandbox)
    ti = local_airflow.task_instance(dag_id, run_id, task_id)
    why = _why(local_airflow, dag_id, run_id)
    paths = [r["path"] for r in sends]
    assert paths == [SMS_PLUS], f"sent {paths}: {why}"
    assert state == "success", why
    assert ti["try_number"] == 2, why  # the kill cost a try: the retry finished the wait


def test_killing_the_task_process_while_the_send_is_in_flight_never_sends_twice(
    local_airflow: Deployment,
) -> None:
    """SIGKILL the task while the makeSms+ answer is held: the SMS may be out, so no retry sends it."""
    sandbox, dag_id, task_id = local_airflow.slow, "deployment_kill_in_flight", "send"
    sandbox.reset()
    sandbox.fault("slow:15", path=SMS_PLUS)  # accepted and charged at once, answered 15 s later
    run_id = local_airflow.trigger(dag_id)
    ti_id = local_airflow.wait_task_state(dag_id, run_id, task_id, "running", timeout=90)
    wait_for("the SMS to reach the sandbox", lambda: sandbox.sms_plus() or None, timeout=60, interval=0.2)
    _task_process(ti_id).kill()  # within the 15 s: the answer never reaches the task

    state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
    sends = _settled(sandbox)
    why = _why(local_airflow, dag_id, run_id)
    print(f"run {state}, sent {[r['path'] for r in sends]}; {why}")
    count = len(sandbox.sms_plus())  # a count: the records hold the password, keep them out of reports
    assert count == 1, f"the SMS was sent {count} times (state {state}): {why}"
    assert state in TERMINAL_OUTCOMES, why


def test_killing_the_triggerer_during_a_deferred_wait_sends_once(local_airflow: Deployment) -> None:
    """SIGKILL the triggerer (and its runner) during the wait; a new one takes the trigger over."""
    sandbox, dag_id, task_id = local_airflow.slow, "deployment_kill_triggerer", "send_and_wait"
    sandbox.reset()
    run_id = local_airflow.trigger(dag_id)
    local_airflow.wait_task_state(dag_id, run_id, task_id, "deferred", timeout=90)
    assert len(sandbox.sms_plus()) == 1
    time.sleep(2)  # the triggerer has picked the trigger up and polls the tracking log
    old = local_airflow.components["triggerer"]
    old.kill()
    old.stop()
    assert not old.alive()
    local_airflow.start("triggerer", "triggerer", "--skip-serve-logs")

    state = local_airflow.wait_run(dag_id, run_id, RUN_TIMEOUT)
    sends = _settled(sandbox)
    ti = local_airflow.task_instance(dag_id, run_id, task_id)
    why = _why(local_airflow, dag_id, run_id)
    paths = [r["path"] for r in sends]
    assert paths == [SMS_PLUS], f"sent {paths}: {why}"
    assert state == "success", why
    assert ti["try_number"] == 1, why  # the wait moved to the new triggerer: no retry needed
