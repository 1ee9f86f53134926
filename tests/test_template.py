"""A campaign's ``message`` template (campaign/template.py): checked once, filled within bounds.

``fill`` must give what ``str.format_map`` gives for the text and numbers a row holds,
refuse what would take more than an SMS text, and each refusal must name its cause.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jinja2
import pytest

from airflow_provider_make.campaign import template
from airflow_provider_make.client.errors import MakeValidationError


def test_a_template_that_reaches_into_objects_is_refused() -> None:
    for text in ("{0}", "{}", "{name.__class__}", "{name[0]}", "{name:{0}}", "{name:{a.b}}", "{name!r}"):
        with pytest.raises(MakeValidationError, match="message: placeholder"):
            template.check_template(text)
    with pytest.raises(MakeValidationError, match=r"placeholder \{width!a\} .* conversions like !r"):
        template.check_template("{name:>{width!a}}")
    with pytest.raises(MakeValidationError, match="not a valid template"):
        template.check_template("a lone { brace")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            "Hi {name:>999999999}",
            "width or precision of 999999999 characters; an SMS text holds at most 1000",
        ),
        (f"Hi {{name:>{2**63}}}", f"width or precision of {2**63} characters"),
        ("Hi {name:.5000}", "width or precision of 5000 characters"),
        (
            "Hi {name:>{width:3}}",
            "placeholder {width} inside the format of {name} takes no format of its own",
        ),
    ],
)
def test_a_format_wider_than_an_sms_text_is_refused_naming_the_placeholder(text: str, phrase: str) -> None:
    with pytest.raises(MakeValidationError) as caught:
        template.check_template(text)

    assert caught.value.argument == "message"
    assert phrase in str(caught.value)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("Bonjour {name}, colis {parcel}", {"name": "Léa", "parcel": "FR-1"}),
        (
            "{n:,} {x:.2f} {d} {s:>6} {n:x} {b}",
            {"n": 1234567, "x": 2.5, "d": Decimal("12.30"), "s": "A", "b": True},
        ),
        ("{name:>{width}}|{name:.{cut}}", {"name": "Ana", "width": 6, "cut": "2"}),
        ("{{literal}} {name:*^9}", {"name": "Ana"}),
    ],
)
def test_fill_gives_what_str_format_gives(text: str, fields: dict[str, Any]) -> None:
    assert template.fill(template.check_template(text) or "", fields) == text.format_map(fields)


def test_a_character_code_out_of_range_fails_the_row() -> None:
    with pytest.raises(MakeValidationError, match=r"the placeholder \{code\} could not be rendered: .*range"):
        template.fill("{code:c}", {"code": 2**40})


def test_a_precision_cuts_a_field_longer_than_an_sms_as_str_format_does() -> None:
    assert template.fill("Hi {name:.12}", {"name": "N" * 5000}) == "Hi " + "N" * 12


@pytest.mark.parametrize(
    ("fields", "phrase"),
    [
        (
            {"name": "Ana", "width": "999999999"},
            "the format of {name} asks for a width or precision of 999999999",
        ),
        (
            {"name": "Ana", "width": 2**63},
            "the field {width}, used in the format of {name}, is 9223372036854775808",
        ),
        ({"name": 10**5000, "width": 1}, "the field {name} is an integer of about 5000 digits"),
        ({"name": Decimal("1e999999"), "width": 1}, "the field {name} is a number with far more digits"),
        ({"name": [1, 2], "width": 1}, "the field {name} is a list; a placeholder takes text or a number"),
        ({"name": None, "width": 1}, "the field {name} is None (no value)"),
        (
            {"name": "x" * 2000, "width": 1},
            "the SMS text has more than 1000 characters once this row's fields",
        ),
        ({"name": 2.5, "width": "zz"}, "the placeholder {name} could not be rendered"),
        ({"width": 1}, "the placeholder {name} has no value in this row"),
    ],
)
def test_fill_refuses_a_row_naming_the_cause(fields: dict[str, Any], phrase: str) -> None:
    with pytest.raises(MakeValidationError) as caught:
        template.fill("Hi {name:>{width}}", fields)

    assert caught.value.argument == "message"
    assert phrase in str(caught.value), str(caught.value)


def test_subclasses_are_rendered_as_their_plain_type() -> None:
    class Loud(str):
        def __format__(self, spec: str) -> str:
            return "x" * 10**6

    assert template.fill("Hi {name}", {"name": Loud("Ana")}) == "Hi Ana"


def jinja_error(text: str) -> Exception:
    """The error Airflow's Jinja (undefined names are errors) raises for ``text``."""
    try:
        jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True).from_string(text).render()
    except jinja2.UndefinedError as error:
        return error
    raise AssertionError(f"{text!r} rendered")


def test_a_jinja_variable_named_like_a_row_field_is_explained() -> None:
    explained = template.explain_undefined(jinja_error("Bonjour {{ name }}"), ["recipient", "name"])

    assert explained is not None
    assert explained.startswith("message: 'name' is undefined: ")
    assert "the row's fields are {name} placeholders, not Jinja variables" in explained
    assert "write {name} rather than {{ name }}" in explained


def test_other_jinja_errors_are_left_as_they_are() -> None:
    assert template.explain_undefined(jinja_error("Bonjour {{ nom }}"), ["recipient", "name"]) is None
    assert template.explain_undefined(ValueError("'name' is undefined"), ["name"]) is None
