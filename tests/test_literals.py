"""literals.is_literal: what an operator may check when the DAG file is parsed."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG, task

from airflow_provider_make.literals import is_literal


@pytest.mark.parametrize(
    "value",
    [0, 1.5, None, True, "plain text", "{name}", ["+33612345678", "{x}"], {"a": [1, 2]}, ("a", "b")],
)
def test_values_as_written_are_literal(value: Any) -> None:
    assert is_literal(value)


@pytest.mark.parametrize(
    "value",
    ["{{ ds }}", "{% if x %}y{% endif %}", "a {# comment #}", ["ok", "{{ params.n }}"], {"k": "{{ x }}"}],
)
def test_templates_are_not_literal(value: Any) -> None:
    assert not is_literal(value)


def test_an_upstream_tasks_output_is_not_literal() -> None:
    with DAG(dag_id="literals", schedule=None):

        @task
        def numbers() -> list[str]:
            return ["+33612345678"]

        output = numbers()
    assert not is_literal(output)
    assert not is_literal([output])
    assert not is_literal({"recipients": output})
