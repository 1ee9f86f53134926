"""Say in a few lines what the demo's DAG run did: tasks, requests, tracking, credits."""

from __future__ import annotations

import json
import sqlite3
import sys
import urllib.request
from typing import Any


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def main(db_path: str, dag_id: str, sandbox_url: str, log_path: str) -> None:
    db = sqlite3.connect(db_path)
    run = db.execute("select run_id, state from dag_run where dag_id = ? order by id desc limit 1", (dag_id,))
    run_id, run_state = run.fetchone()
    print(f"\nDAG run {run_id}: {run_state}")
    print("  (dates are the sandbox's, whose clock runs 30 times faster than the wall clock)")
    tasks = db.execute(
        "select task_id, state, try_number from task_instance where dag_id = ? and run_id = ? "
        "order by start_date",
        (dag_id, run_id),
    )
    for task_id, state, tries in tasks:
        xcoms = dict(
            db.execute(
                "select key, value from xcom where dag_id = ? and run_id = ? and task_id = ?",
                (dag_id, run_id, task_id),
            ).fetchall()
        )
        value = _json(xcoms.get("return_value"))
        print(f"  {task_id}: {state} (try {tries})")
        if isinstance(value, dict) and "cost" in value:
            print(
                f"    accepted: id={value['id']}, kind={value['kind']}, cost={value['cost']}, "
                f"credits left={value['credits']}"
            )
        tracking = value.get("tracking", value) if isinstance(value, dict) else None
        if isinstance(tracking, dict) and "sent_at" in tracking:
            print(
                f"    SMS sent at {tracking['sent_at']} to {tracking['recipient']}: {tracking['content']!r}"
            )
            if tracking.get("follow_up_sent_at"):
                print(f"    follow-up SMS sent at {tracking['follow_up_sent_at']}")
        link = _json(xcoms.get("_link_MakeTrackingLink"))
        if link:
            print(f"    make tracking link: {link}")
    with urllib.request.urlopen(sandbox_url + "_sandbox/requests", timeout=10) as answer:
        received = json.load(answer)
    paths: dict[str, int] = {}
    for request in received:
        paths[request["path"]] = paths.get(request["path"], 0) + 1
    print("  the sandbox received: " + ", ".join(f"{n} x {p}" for p, n in paths.items()))
    print(f"  full Airflow output: {log_path}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
