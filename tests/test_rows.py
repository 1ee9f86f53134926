"""The rows of a campaign (campaign/rows.py): parsed, each checked, each problem named, duplicates found.

Rows are data from upstream tasks: whatever a row holds (a huge integer, a list nested
100,000 deep, a field used as a format width), it fails that row with a
:class:`MakeValidationError` naming the column, and checking it takes no more memory than
an SMS text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from airflow_provider_make.campaign import rows
from airflow_provider_make.client.errors import MakeValidationError

SENDER = "+33612345678"


def deep(depth: int = 100_000) -> Any:
    """A list nested ``depth`` deep: ``[[[...[]...]]]``."""
    nested: list[Any] = []
    for _ in range(depth):
        nested = [nested]
    return nested


def planned(listed: list[Any], template: str | None = "Bonjour {name}", **arguments: Any) -> rows.Plan:
    return rows.plan(
        listed,
        sender=SENDER,
        template=template,
        delay_seconds=arguments.get("delay_seconds"),
        transliterate=arguments.get("transliterate", False),
        region=arguments.get("region"),
    )


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


# ----------------------------------------------------------------------------- hostile rows

#: Rows whose values would make rendering allocate far more than an SMS, or escape as a bare
#: ValueError/RecursionError/MemoryError: the column each must be refused under, and words
#: the refusal must hold (naming the cause).
HOSTILE: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    (
        "width-999999999",
        {"name": "Ana", "width": "999999999"},
        "message",
        ("{name}", "999999999", "at most 1000"),
    ),
    (
        "width-2-63-text",
        {"name": "Ana", "width": str(2**63)},
        "message",
        ("{name}", str(2**63), "at most 1000"),
    ),
    ("width-2-63-int", {"name": "Ana", "width": 2**63}, "message", ("{width}", "format of {name}")),
    ("width-recipient", {"name": "Ana", "width": "+33612345678"}, "message", ("33612345678", "width")),
    ("width-nested-list", {"name": "Ana", "width": deep()}, "message", ("{width}", "format of {name}")),
    ("width-missing", {"name": "Ana"}, "message", ("{width}", "no value in this row")),
    ("own-message-huge-int", {"message": 10**5000}, "message", ("own message", "5000 digits")),
    ("own-message-nested-list", {"message": deep()}, "message", ("own message", "list")),
    ("own-message-dict", {"message": {"a": 1}}, "message", ("own message", "dict")),
    ("field-huge-int", {"name": 10**5000, "width": 3}, "message", ("{name}", "5000 digits")),
    ("field-nested-list", {"name": deep(), "width": 3}, "message", ("{name}", "list", "text or a number")),
    ("field-none", {"name": None, "width": 3}, "message", ("{name}", "None", "text or a number")),
    ("field-object", {"name": object(), "width": 3}, "message", ("{name}", "object")),
    ("field-long-text", {"name": "y" * 10_000_000, "width": 3}, "message", ("more than 1000 characters",)),
    ("field-bad-format", {"name": "Ana", "width": "x"}, "message", ("{name}", "could not be rendered")),
    ("recipient-nested-list", {"recipient": deep(), "name": "Ana", "width": 3}, "recipient", ("list",)),
    ("recipient-huge-int", {"recipient": 10**5000, "name": "Ana", "width": 3}, "recipient", ("digits",)),
]


@pytest.mark.parametrize(
    ("fields", "column", "phrases"), [case[1:] for case in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_a_hostile_row_fails_alone_naming_its_column(
    fields: dict[str, Any], column: str, phrases: tuple[str, ...]
) -> None:
    listed = [
        {"recipient": "+33687654321", "name": "Ana", "width": 5},
        {"recipient": "+33687654322", **fields},
    ]
    plan = planned(listed, template="Hi {name:>{width}}")

    assert list(plan.sendable()) == [0]
    assert plan.call(0).query[-1] == ("msg", "Hi+++Ana")
    problem = plan.problems[1]
    assert problem.column == column
    for phrase in phrases:
        assert phrase in problem.why, (phrase, problem.why)
    assert plan.problems_message().startswith(f"row 1, {column}: ")
    with pytest.raises(MakeValidationError) as caught:  # the same refusal when the row is built again
        plan.checked_call(1)
    assert caught.value.argument == column


def test_the_results_show_a_hostile_recipient_short() -> None:
    listed: list[Any] = [deep(), {"recipient": 10**5000}, {"recipient": 33687654321}, "+33 6 87 65 43 21"]
    plan = planned(listed, template="Hi")

    assert [plan.recipient(index) for index in range(4)] == [
        "[[[[...]]]]",
        "an integer of about 5000 digits",
        "33687654321",
        "+33 6 87 65 43 21",
    ]


@pytest.mark.parametrize("width", ["999999999", str(2**63)])
def test_a_template_wider_than_an_sms_is_refused_before_any_row(width: str) -> None:
    with pytest.raises(MakeValidationError) as caught:
        planned([{"recipient": "+33687654321", "name": "Ana"}], template=f"Hi {{name:>{width}}}")

    assert caught.value.argument == "message"
    assert f"the format of {{name}} asks for a width or precision of {width[:27]}" in str(caught.value)


MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from airflow_provider_make.campaign import rows
    from airflow_provider_make.client.errors import MakeValidationError

    deep = []
    for _ in range(100_000):
        deep = [deep]
    huge = 10**5000
    hostile = [
        {"name": "Ana", "width": "999999999"},
        {"name": "Ana", "width": str(2**63)},
        {"name": "Ana", "width": 2**63},
        {"name": "Ana", "width": "+33612345678"},
        {"message": huge},
        {"message": deep},
        {"name": deep, "width": 3},
        {"name": huge, "width": 3},
    ]
    clean = {"name": "Ana", "width": 5}
    count = int(sys.argv[2])
    kinds = hostile if sys.argv[1] == "hostile" else [clean]
    listed = [{"recipient": f"+3361{i:07d}", **kinds[i % len(kinds)]} for i in range(count)]
    plan = rows.plan(listed, sender="+33612345678", template="Hi {name:>{width}}", delay_seconds=None,
                     transliterate=False, region=None)
    for wide in ("Hi {name:>999999999}", "Hi {name:>%d}" % 2**63):
        try:
            rows.plan(listed, sender="+33612345678", template=wide, delay_seconds=None,
                      transliterate=False, region=None)
        except MakeValidationError:
            pass
    print(len(plan.problems), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def peak(kind: str, count: int) -> tuple[int, int]:
    """The problems found and the peak memory (MiB) of a fresh process planning ``count`` rows."""
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, kind, str(count)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    problems, mib = done.stdout.split()
    return int(problems), int(mib)


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_hostile_rows_take_no_more_memory_than_clean_ones() -> None:
    hostile_problems, hostile_mib = peak("hostile", 1000)
    clean_problems, clean_mib = peak("clean", 1000)

    assert (hostile_problems, clean_problems) == (1000, 0)
    assert hostile_mib - clean_mib < 64, (hostile_mib, clean_mib)


class Hostile:
    """An object whose printing, formatting and comparing all fail."""

    def __str__(self) -> str:
        raise RuntimeError("str")

    __repr__ = __format__ = __str__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    __hash__ = object.__hash__


def fuzz_values() -> list[Any]:
    from decimal import Decimal

    return [
        None, True, 0, -1, 2**63, -(2**63), 10**5000, 1.5, float("nan"), float("inf"), Decimal("NaN"),
        Decimal("1e999999"), Decimal("0." + "1" * 5000), "", " ", "x" * 1_000_000, "{", "}", "{x}", "\x00",
        "\U0001f600", deep(), [1, 2], {"a": 1}, {1, 2}, b"+33612345678", Hostile(), "+33612345678", "5",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "template",
    ["{name}", "{name:>{width}}", "{name:.{width}}", "{name:{width}.{width}}", "{width:,}", "{width:c}"],
)
def test_no_row_value_escapes_as_anything_but_a_row_problem(template: str) -> None:
    """Each value in each column: the plan is made (nothing escapes), and a bad row is a problem."""
    listed: list[Any] = []
    for value in fuzz_values():
        for column in ("recipient", "name", "width", "message"):
            row: dict[str, Any] = {"recipient": "+33687654321", "name": "Ana", "width": 4}
            row[column] = value
            listed.append(row)
    listed += fuzz_values()  # each value as a row itself

    plan = planned(listed, template=template)

    assert plan.total == len(listed)
    assert len(plan.problems) > len(listed) // 2
    for index, problem in plan.problems.items():
        assert problem.column in ("row", "recipient", "message"), problem
        assert problem.describe().startswith(f"row {index}, {problem.column}: ")
    for index in plan.sendable():
        assert plan.call(index).label == "makeSms+"
