"""operators/bulk.py: every option checked before any request, and when given literally, at parse time."""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.compat import AirflowFailException
from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator
from tests.conftest import LOGIN

BAD_OPTIONS: list[Any] = [
    ("max_concurrency", 0, "max_concurrency: must be from 1 to 100, got 0"),
    ("max_concurrency", "8", "max_concurrency: expected a whole number"),
    pytest.param(
        "max_concurrency",
        10**5000,
        "max_concurrency: must be from 1 to 100, got an integer of about 5000 digits",
        id="max_concurrency-huge",
    ),
    ("max_per_second", -1, "max_per_second: expected a positive number"),
    ("on_invalid", "ignore", "on_invalid: expected 'fail' or 'skip'"),
    ("max_cost", -5, "max_cost: expected a whole number of credits"),
    ("cost_per_sms", 0, "cost_per_sms: must be 1 or more, got 0"),
    ("resend_unknown", "yes", "resend_unknown: expected True or False"),
    ("dry_run", 1, "dry_run: expected True or False"),
    ("poll_interval", 0, "poll_interval: must be a positive number of seconds"),
    ("results_path", "/tmp/results.xlsx", "results_path: '/tmp/results.xlsx' must end in .csv"),
    ("result_fields", "name", "result_fields: expected a non-empty list of the rows' field names"),
]


def campaign(**arguments: Any) -> MakeBulkSmsPlusOperator:
    return MakeBulkSmsPlusOperator(
        task_id="campaign", sender="+33612345678", recipients=[], message="hi", **arguments
    )


@pytest.mark.parametrize(("argument", "value", "expected"), BAD_OPTIONS)
def test_a_literal_option_is_refused_when_the_dag_file_is_parsed(
    argument: str, value: Any, expected: str
) -> None:
    with pytest.raises(MakeValidationError, match=re.escape(expected)) as refused:
        campaign(**{argument: value})
    assert refused.value.argument == argument


@pytest.mark.parametrize(("argument", "value", "expected"), BAD_OPTIONS)
def test_the_same_check_runs_when_the_task_runs(argument: str, value: Any, expected: str) -> None:
    operator = campaign()
    setattr(operator, argument if argument != "dry_run" else "is_dry_run", value)  # as a template renders it
    with pytest.raises(AirflowFailException, match=re.escape(expected)):
        operator.checked_options()


def test_templates_are_checked_when_the_task_runs_not_before() -> None:
    operator = campaign(max_cost="{{ params.budget }}", results_path="{{ params.path }}")
    operator.max_cost, operator.results_path = "120", "/tmp/results.csv"  # rendered
    assert operator.checked_options().max_cost == 120


def test_recipients_as_plain_text_are_refused_at_parse_time() -> None:
    with pytest.raises(MakeValidationError, match="recipients: expected a list"):
        MakeBulkSmsPlusOperator(task_id="c", sender="+33612345678", recipients="+33612345678, +33687654321")
    MakeBulkSmsPlusOperator(task_id="c", sender=LOGIN, recipients='["+33612345678"]')  # a JSON list is one
    MakeBulkSmsPlusOperator(task_id="c", sender=LOGIN, recipients="{{ ti.xcom_pull('rows') }}")


def test_on_invalid_fail_lists_the_first_rows_and_a_count() -> None:
    listed = [{"recipient": f"bad{index}", "name": "x"} for index in range(25)]
    operator = MakeBulkSmsPlusOperator(
        task_id="campaign", sender="+33612345678", recipients=listed, message="Hi {name}"
    )
    with pytest.raises(AirflowFailException) as failed:
        operator.checked_plan(None, "fail")
    message = str(failed.value)
    assert message.startswith("25 of 25 rows are invalid: row 0, recipient: 'bad0' is not a phone number")
    assert "row 19, recipient" in message and "row 20, recipient" not in message
    assert message.endswith("; and 5 more. Nothing was sent (on_invalid='skip' sends the others)")


def _rendered(message: str, recipients: Any) -> MakeBulkSmsPlusOperator:
    from airflow.sdk import DAG

    with DAG(dag_id="jinja_fields", schedule=None) as dag:
        operator = MakeBulkSmsPlusOperator(
            task_id="campaign", sender="+33612345678", recipients=recipients, message=message
        )
    operator.render_template_fields({"params": {}}, jinja_env=dag.get_template_env())  # type: ignore[typeddict-item]
    return operator


def test_a_rows_field_written_as_a_jinja_variable_gets_the_placeholder_hint() -> None:
    rows = [{"recipient": "+33687654321", "name": "Ada"}]
    with pytest.raises(AirflowFailException) as caught:
        _rendered("Bonjour {{ name }}", rows)
    assert "the row's fields are {name} placeholders, not Jinja variables" in str(caught.value)
    assert _rendered("Bonjour {name}", rows).message == "Bonjour {name}"


def test_an_undefined_jinja_variable_that_is_no_rows_field_stays_jinjas_error() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError, match="'nom' is undefined"):
        _rendered("Bonjour {{ nom }}", [{"recipient": "+33687654321", "name": "Ada"}])
