"""The distributed engine: CeleryExecutor on Redis, a Celery worker process, PostgreSQL; an
example DAG triggered through the REST API with no logical date sends exactly once."""

from __future__ import annotations

import time

import pytest

from tests.deployment.conftest import Deployment

pytestmark = pytest.mark.deployment


def test_an_example_dag_runs_on_a_celery_worker(celery_airflow: Deployment) -> None:
    sandbox, dag_id = celery_airflow.fast, "example_make_call"  # sends, then waits in the worker
    sandbox.reset()
    run_id = celery_airflow.trigger(dag_id)
    state = celery_airflow.wait_run(dag_id, run_id, timeout=240)
    time.sleep(2)
    sends = [r["path"] for r in sandbox.sends()]
    tasks = {
        t: (ti["state"], ti["try_number"]) for t, ti in celery_airflow.task_instances(dag_id, run_id).items()
    }
    assert state == "success", f"{tasks}: {celery_airflow.errors(dag_id, run_id)}\n{celery_airflow.logs()}"
    assert sends == ["/apimakecall.php"], tasks
    assert "Celery" in (celery_airflow.home / "process-logs" / "celery-worker.log").read_text(
        errors="replace"
    )
