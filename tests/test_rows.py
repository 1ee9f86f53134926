"""campaign/rows.py: parsing the list, checking every row, duplicates (moved from test_bulk.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_make.campaign import rows
from airflow_provider_make.client.errors import MakeValidationError


def test_recipients_may_be_a_list_a_json_string_or_a_rendered_python_list() -> None:
    listed = ["+33612345678", {"recipient": "+33687654321", "name": "Ana"}]
    assert rows.parse_recipients(listed) is listed
    assert rows.parse_recipients(json.dumps(listed)) == listed
    assert rows.parse_recipients(str(listed)) == listed  # what Jinja renders for a list
    with pytest.raises(MakeValidationError, match="recipients: expected a list, got the text"):
        rows.parse_recipients("+33612345678, +33687654321")
    with pytest.raises(MakeValidationError, match="recipients: expected a list"):
        rows.parse_recipients({"recipient": "+33612345678"})


def test_every_row_is_checked_and_each_problem_named() -> None:
    listed: list[Any] = [
        {"recipient": "+33612345678", "name": "Ana"},
        {"recipient": "06-CALL-ME", "name": "Bo"},
        {"recipient": "+33687654321"},  # no {name}
        {"recipient": "+33687654322", "name": "€uro"},
        42,
        {"name": "nobody"},
        {"recipient": "+33687654323", "message": "own text, sent as written"},
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Bonjour {name}",
        delay_seconds=None,
        transliterate=False,
        region=None,
    )
    assert list(plan.sendable()) == [0, 6]
    problems = {row: (p.column, p.why) for row, p in plan.problems.items()}
    assert problems[1][0] == "recipient" and "'06-CALL-ME' is not a phone number" in problems[1][1]
    assert problems[2] == ("message", "the placeholder {name} has no value in this row")
    assert problems[3][0] == "message" and "'€' (U+20AC)" in problems[3][1]
    assert problems[4] == ("row", "expected a phone number or a dict, got int")
    assert problems[5] == ("recipient", "the row has no 'recipient'")
    assert plan.problems_message().startswith("row 1, recipient: ")


@pytest.mark.parametrize("transliterate", [False, True])
def test_a_row_is_sent_as_checked_without_parsing_its_number_again(transliterate: bool) -> None:
    listed: list[Any] = [
        {"recipient": "+33612345678", "name": "Ana"},
        {"recipient": "0033 6 87 65 43 21", "name": "Léa"},
        "+33687654322",
        {"recipient": "+33687654323", "message": "own text, sent as written: 100% & more"},
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Bonjour {recipient}, é" if transliterate else "Bonjour {name}",
        delay_seconds=30,
        transliterate=transliterate,
        region=None,
    )
    assert list(plan.sendable()) == ([0, 1, 2, 3] if transliterate else [0, 1, 3])
    for index in plan.sendable():
        assert plan.numbers[index] > 0
        assert plan.call(index).query == plan.checked_call(index).query
        assert plan.call(index).label == "makeSms+"


def test_a_template_that_reaches_into_objects_is_refused() -> None:
    for template in ("{0}", "{}", "{name.__class__}", "{name[0]}"):
        with pytest.raises(MakeValidationError, match="message: placeholder"):
            rows.check_template(template)
    with pytest.raises(MakeValidationError, match="not a valid template"):
        rows.check_template("a lone { brace")


def test_duplicates_are_the_same_number_with_the_same_text() -> None:
    listed = [
        {"recipient": "+33612345678", "name": "Ana"},
        {"recipient": "0033612345678", "name": "Ana"},  # same number, written differently
        {"recipient": "+33612345678", "name": "Bo"},  # same number, another text
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Hi {name}",
        delay_seconds=None,
        transliterate=False,
        region=None,
    )
    assert plan.duplicate_of == {1: 0}
    assert list(plan.sendable()) == [0, 2]


def test_a_national_number_and_a_bad_row_after_the_first_are_checked_as_in_full() -> None:
    listed: list[Any] = [
        {"recipient": "06 12 34 56 78", "name": "Ana"},
        {"recipient": "06 87 65 43 21", "name": "Bo"},
        {"recipient": "06 12", "name": "Cy"},
        {"recipient": "+33687654329", "name": "€"},
    ]
    plan = rows.plan(
        listed,
        sender="+33612345678",
        template="Hi {name}",
        delay_seconds=None,
        transliterate=False,
        region="FR",
    )
    assert list(plan.sendable()) == [0, 1]
    for index in plan.sendable():
        assert plan.call(index).query == plan.checked_call(index).query
    for index in (2, 3):
        with pytest.raises(MakeValidationError) as full:
            plan.checked_call(index)
        column = full.value.argument
        assert (plan.problems[index].column, plan.problems[index].why) == (
            column,
            full.value.message.removeprefix(f"{column}: "),
        )
