"""The make page's HTML: relative links (right under ``[api] base_url``), escaping, pages, filters kept.

The page as the api-server serves it, with real records, is checked in test_ui_api_server.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from airflow_provider_make.monitoring import page

SUMMARY: dict[str, Any] = {
    "credits": {
        "value": 95,
        "at": "2026-01-31T08:00:03Z",
        "days_left": 12.5,
        "trend": [{"day": "2026-01-30", "value": 100}, {"day": "2026-01-31", "value": 95}],
    },
    "days": [{"day": "2026-01-31", "dag_id": "alerts", "accepted": 1, "refused": 1, "unknown": 0, "cost": 5}],
}


def _row(number: int, **fields: Any) -> dict[str, Any]:
    row = {
        "dag_id": "alerts",
        "run_id": "manual__2026-01-31T08:00:00+00:00",
        "task_id": "sms",
        "map_index": -1,
        "try_number": 1,
        "kind": "sms",
        "tracking_id": f"id{number}",
        "tracking_url": f"https://makesms.fr/apilog.php?id=id{number}",
        "state": "accepted",
        "result_code": 28,
        "reason": None,
        "cost": 5,
        "credits": 95,
        "sent_at": "2026-01-31T08:00:03Z",
        "finished_at": None,
        "recipients": ["*********21"],
    }
    row.update(fields)
    return row


def _index(rows: list[dict[str, Any]], filters: dict[str, Any] | None = None, number: int = 1) -> str:
    return page.index(SUMMARY, rows, filters or {}, ["alerts"], number, 50, ("accepted", "refused"))


def test_links_are_relative_and_the_task_link_leaves_the_frame() -> None:
    html = _index([_row(1), _row(2, map_index=3)])
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert [href for href in hrefs if href.startswith("/")] == []
    assert '../dags/alerts/runs/manual__2026-01-31T08%3A00%3A00%2B00%3A00/tasks/sms" target="_top"' in html
    assert "tasks/sms/mapped/3" in html
    assert "95" in html and "12.5 days left" in html and "<polyline" in html


def test_what_the_records_hold_is_escaped() -> None:
    html = _index([_row(1, state="refused", reason="<script>alert(1)</script>", result_code=102)])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "102" in html


def test_pages_keep_the_filters() -> None:
    since = datetime(2026, 1, 1, tzinfo=timezone.utc)
    html = _index([_row(n) for n in range(120)], {"dag_id": "alerts", "since": since}, number=2)
    assert "page 2 of 3 (120 in all)" in html
    assert "?dag_id=alerts&amp;since=2026-01-01T00%3A00%3A00.000Z&amp;page=1" in html
    assert "?dag_id=alerts&amp;since=2026-01-01T00%3A00%3A00.000Z&amp;page=3" in html
    assert "id50" in html and "id99" in html and "id49<" not in html and "id100<" not in html
    assert 'value="2026-01-01T00:00"' in html  # the date field shows the filter


def test_a_campaign_links_to_its_rows() -> None:
    campaign = _row(0, kind="campaign", tracking_id=None, tracking_url=None, recipients=[], state="running")
    campaign["counts"] = {"total": 300, "accepted": 120, "cost": 600}
    html = _index([campaign])
    assert 'href="campaigns/alerts/manual__2026-01-31T08%3A00%3A00%2B00%3A00/sms/-1"' in html
    rows = {
        "total_entries": 300,
        "rows": [
            {"row": 0, "tracking_id": "a", "status": "accepted", "result_code": 38, "cost": 5, "message": ""}
        ],
    }
    detail = page.campaign(campaign, rows, 1, 50)
    assert 'href="../../../../"' in detail  # back to every request
    assert "../../../../../dags/alerts/" in detail
    assert "page 1 of 6 (300 in all)" in detail
