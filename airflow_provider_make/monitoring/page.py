"""The make page, rendered on the server: plain HTML and an SVG chart, no script, no build step.

Every link is relative (the page is at ``<base_url>/make/``), so the page works under
``[api] base_url``; links into the Airflow UI open in the top window, not the UI's iframe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from airflow_provider_make.monitoring.records import KINDS, iso

STYLE = """
body{font-family:system-ui,sans-serif;font-size:14px;margin:16px;color:#1a202c}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left}
th{background:#f7fafc}.num{text-align:right}.card{display:flex;gap:32px;align-items:center}
.big{font-size:28px;font-weight:600}.refused,.unknown{color:#c53030}.accepted,.finished{color:#2f855a}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:12px}
"""


def _document(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _cell(value: Any, css: str = "") -> str:
    text = "" if value is None else str(value)
    return f'<td class="{css}">{escape(text)}</td>' if css else f"<td>{escape(text)}</td>"


def _or(value: Any, missing: str) -> Any:
    return missing if value is None else value


def _path(*parts: Any) -> str:
    return "/".join(quote(str(part), safe="") for part in parts)


def task_link(row: Mapping[str, Any], up: str) -> str:
    """The task instance in the Airflow UI, from a page ``up`` levels below ``make/``."""
    href = f"{up}../dags/{_path(row['dag_id'], 'runs', row['run_id'], 'tasks', row['task_id'])}"
    if row["map_index"] is not None and row["map_index"] >= 0:
        href += f"/mapped/{row['map_index']}"
    label = f"{row['dag_id']} / {row['run_id']} / {row['task_id']}"
    if row["map_index"] is not None and row["map_index"] >= 0:
        label += f" [{row['map_index']}]"
    label += f" (try {row['try_number']})"
    return f'<a href="{escape(href)}" target="_top">{escape(label)}</a>'


def trend_svg(points: Sequence[Mapping[str, Any]], width: int = 300, height: int = 60) -> str:
    """The credits' trend as a polyline (one point per day with a known balance)."""
    if not points:
        return "<svg width='0' height='0'></svg>"
    values = [point["value"] for point in points]
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    coordinates = " ".join(
        f"{index * step:.1f},{height - 4 - (value - low) / span * (height - 8):.1f}"
        for index, value in enumerate(values)
    )
    title = f"credits from {points[0]['day']} ({values[0]}) to {points[-1]['day']} ({values[-1]})"
    return (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>"
        f'<polyline fill="none" stroke="#3182ce" stroke-width="2" points="{coordinates}"/></svg>'
    )


def _pages(total: int, page: int, per_page: int, query: Mapping[str, Any]) -> str:
    last = max(-(-total // per_page), 1)
    links = []
    for number, label in ((page - 1, "« newer"), (page + 1, "older »")):
        if 1 <= number <= last:
            links.append(f'<a href="?{escape(urlencode({**query, "page": number}))}">{label}</a>')
    return f"<p>page {page} of {last} ({total} in all) {' '.join(links)}</p>"


def _local(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""


def _select(name: str, options: Iterable[str], chosen: str | None) -> str:
    items = "".join(
        f'<option value="{escape(option)}"{" selected" if option == chosen else ""}>{escape(option)}</option>'
        for option in options
    )
    return f'<label>{name}<select name="{name}"><option value="">(all)</option>{items}</select></label>'


def _request_row(row: Mapping[str, Any]) -> str:
    tracking = escape(row["tracking_id"] or "")
    if row["tracking_url"]:
        tracking = f'<a href="{escape(row["tracking_url"])}" target="_blank" rel="noopener">{tracking}</a>'
    state = row["state"]
    detail = ""
    if row["kind"] == "campaign":
        counts = row["counts"]
        detail = ", ".join(f"{name} {counts[name]}" for name in counts if name != "cost")
        href = "campaigns/" + _path(row["dag_id"], row["run_id"], row["task_id"], row["map_index"])
        detail = f'<a href="{escape(href)}">{escape(detail)}</a>'
    elif state == "refused":
        detail = escape(f"{row['result_code']}: {row['reason'] or ''}")
    elif state == "finished":
        detail = escape(f"finished at {row['finished_at']}")
    return (
        f"<tr>{_cell(row['sent_at'])}<td>{task_link(row, '')}</td>{_cell(row['kind'])}"
        f"{_cell(' '.join(row['recipients']))}{_cell(row['cost'], 'num')}{_cell(row['credits'], 'num')}"
        f'<td>{tracking}</td><td class="{escape(state)}">{escape(state)}</td><td>{detail}</td></tr>'
    )


def index(
    summary: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    filters: Mapping[str, Any],
    dag_ids: Iterable[str],
    page: int,
    per_page: int,
    states: Iterable[str],
) -> str:
    """The page: credits, the last 30 days' totals, then the requests (filtered, one page)."""
    credits = summary["credits"]
    left = (
        ""
        if credits["days_left"] is None
        else f"about {credits['days_left']} days left at the last 7 days' spend"
    )
    body = [
        "<h1>make: requests and credits</h1>",
        '<h2>Credits</h2><div class="card">',
        f'<div><div class="big">{escape(str(_or(credits["value"], "unknown")))}</div>',
        f"<div>reported at {escape(str(credits['at'] or 'never'))}</div><div>{escape(left)}</div></div>",
        f"{trend_svg(credits['trend'])}</div>",
        "<h2>Last 30 days, per day and DAG</h2><table><tr><th>day</th><th>DAG</th>"
        '<th class="num">accepted</th><th class="num">refused</th><th class="num">unknown</th>'
        '<th class="num">credits spent</th></tr>',
    ]
    for day in summary["days"]:
        body.append(
            f"<tr>{_cell(day['day'])}{_cell(day['dag_id'])}{_cell(day['accepted'], 'num')}"
            f"{_cell(day['refused'], 'num')}{_cell(day['unknown'], 'num')}{_cell(day['cost'], 'num')}</tr>"
        )
    query = {
        name: iso(value) if isinstance(value, datetime) else value for name, value in filters.items() if value
    }
    body += [
        "</table><h2>Requests, newest first</h2><form method='get'>",
        _select("dag_id", dag_ids, filters.get("dag_id")),
        _select("kind", KINDS, filters.get("kind")),
        _select("state", states, filters.get("state")),
        *(
            f'<label>{name} (UTC)<input type="datetime-local" name="{name}" '
            f'value="{escape(_local(filters.get(name)))}"></label>'
            for name in ("since", "until")
        ),
        '<button type="submit">filter</button></form>',
        _pages(len(rows), page, per_page, query),
        "<table><tr><th>sent at (UTC)</th><th>DAG / run / task</th><th>kind</th><th>recipients</th>"
        '<th class="num">cost</th><th class="num">credits after</th><th>tracking id</th><th>state</th>'
        "<th>details</th></tr>",
        *(_request_row(row) for row in rows[(page - 1) * per_page : page * per_page]),
        "</table>",
    ]
    return _document("make", "".join(body))


def campaign(row: Mapping[str, Any], rows: Mapping[str, Any], page: int, per_page: int) -> str:
    """A campaign's page: its counts, then its rows (one page)."""
    up = "../../../../"
    counts = row["counts"]
    body = [
        f'<p><a href="{up}">« every request</a></p><h1>Campaign {escape(row["task_id"])}</h1>',
        f"<p>{task_link(row, up)}, started {escape(str(row['sent_at']))}, {escape(row['state'])}</p>",
        "<table><tr>",
        *(f"<th>{escape(name)}</th>" for name in counts),
        "</tr><tr>",
        *(_cell(value, "num") for value in counts.values()),
        "</tr></table><h2>Rows</h2>",
        _pages(rows["total_entries"], page, per_page, {}),
        '<table><tr><th class="num">row</th><th>status</th><th>tracking id</th>'
        '<th class="num">result code</th><th class="num">cost</th><th>message</th></tr>',
    ]
    for entry in rows["rows"]:
        body.append(
            f"<tr>{_cell(entry['row'], 'num')}{_cell(entry['status'], entry['status'])}"
            f"{_cell(entry['tracking_id'])}{_cell(entry['result_code'], 'num')}{_cell(entry['cost'], 'num')}"
            f"{_cell(entry['message'])}</tr>"
        )
    body.append("</table>")
    return _document(f"make campaign {row['task_id']}", "".join(body))
