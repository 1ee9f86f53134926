"""campaign/report.py: results records that join back to the list, the results file, bounded XCom pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_provider_make.campaign import report
from airflow_provider_make.client.settings import ClientSettings
from tests.conftest import Sandbox
from tests.helpers import MemoryStore, campaign_try, people


def write(path: Path, done: Any, fields: tuple[str, ...] | None = None) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    publisher = report.Publisher(
        lambda number, page: pages.append(page), str(path), report.columns(done.plan, fields)
    )
    for record in done.results(fields=fields):
        publisher.add(record)
    assert publisher.close() == len(pages)
    return pages


def test_results_go_to_csv_or_json_lines_and_join_back(
    tmp_path: Path, api: Sandbox, settings: ClientSettings
) -> None:
    listed = [*people(2), {"recipient": "nope", "name": "x", "customer": 7}]
    done = campaign_try(settings, listed, MemoryStore())
    csv_path, jsonl_path = tmp_path / "out.csv", tmp_path / "out.jsonl"
    [page] = write(csv_path, done)
    lines = csv_path.read_text().splitlines()
    assert lines[0] == ",".join(["recipient", "name", *report.COLUMNS])
    assert lines[1].startswith("+33610000000,P0,0,33610000000,Bonjour P0,accepted,")
    assert ",38,10,," in lines[1]
    write(jsonl_path, done)
    parsed = [json.loads(line) for line in jsonl_path.read_text().splitlines()]
    assert parsed == page
    assert [row["status"] for row in parsed] == ["accepted", "accepted", "invalid"]
    assert parsed[2]["customer"] == 7 and parsed[2]["error"].startswith("row 2, recipient:")
    accepted = {r["id"]: r for r in api.requests("/apimakesmsplus.php")}
    assert accepted[parsed[0]["id"]]["params"]["to"] == parsed[0]["number"]
    assert parsed[0]["accepted_at"] and parsed[0]["text"] == "Bonjour P0"


def test_result_fields_choose_the_rows_own_columns(
    tmp_path: Path, api: Sandbox, settings: ClientSettings
) -> None:
    listed = [{"recipient": "+33610000000", "name": "Ana", "customer": "C1", "secret": "x"}]
    done = campaign_try(settings, listed, MemoryStore())
    [[record]] = write(tmp_path / "out.jsonl", done, fields=("customer",))
    assert record["customer"] == "C1" and "secret" not in record and "name" not in record


def test_xcom_pages_stay_small_however_long_the_list(
    tmp_path: Path, api: Sandbox, settings: ClientSettings
) -> None:
    done = campaign_try(settings, people(3000), MemoryStore(), max_concurrency=50)
    pages = write(tmp_path / "out.csv", done)
    assert len(pages) >= 2 and sum(len(page) for page in pages) == 3000
    assert all(len(json.dumps(page)) <= report.PAGE_BYTES for page in pages)
    assert [record["row"] for page in pages for record in page] == list(range(3000))


def test_a_row_field_no_json_can_hold_is_named_not_written(
    tmp_path: Path, api: Sandbox, settings: ClientSettings
) -> None:
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    listed = [
        {"recipient": "+33610000000", "name": "Ana", "big": 10**5000, "deep": nested, "long": "x" * 5000}
    ]
    done = campaign_try(settings, listed, MemoryStore())
    [[record]] = write(tmp_path / "out.csv", done)
    assert record["big"] == "<int: not shown>" and record["deep"] == "<list: not shown>"
    assert record["long"].startswith("<str of 5002 characters") and record["status"] == "accepted"
    assert "<int: not shown>" in (tmp_path / "out.csv").read_text()
