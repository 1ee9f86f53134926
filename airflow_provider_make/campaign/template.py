"""A campaign's ``message`` template: checked once, then filled with each row's fields, within bounds.

The template has ``{field}`` placeholders in ``str.format`` syntax (``"{amount:.2f} EUR"``).
Rows are data from upstream tasks (issue 15 point 5), so whatever they hold, filling the
template allocates little more than an SMS text (:data:`MAX_SMS_PLUS_CHARACTERS`): no width
or precision is wider, written or taken from a row (``{name:>{width}}``), and a placeholder
takes only text or a number of bounded size. Positions, attributes, indexes and conversions
(``{0}``, ``{a.b}``, ``{a[0]}``, ``{a!r}``) are refused: ``str.format`` would let a template
reach into the objects behind a row's fields.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from airflow_provider_make.client.validation import MAX_SMS_PLUS_CHARACTERS, refusal, shown

#: A placeholder: the literal text before it, its field (None after the last placeholder),
#: and its format spec as literal parts, each followed by a nested placeholder's field or None.
Piece = tuple[str, str | None, tuple[tuple[str, str | None], ...]]


def _parsed(template: str, argument: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError as error:
        raise refusal(
            argument, f"the text is not a valid template ({error}); write a literal brace as '{{{{' or '}}}}'"
        ) from None


def _check_bounds(name: str, spec: str, argument: str = "message") -> None:
    """Refuse a format spec whose width or precision is wider than an SMS text."""
    for run in re.findall(r"[0-9]+", spec):
        if len(run) > len(str(MAX_SMS_PLUS_CHARACTERS)) or int(run) > MAX_SMS_PLUS_CHARACTERS:
            raise refusal(
                argument,
                f"the format of {{{name}}} asks for a width or precision of "
                f"{run if len(run) <= 30 else run[:27] + '...'} characters; "
                f"an SMS text holds at most {MAX_SMS_PLUS_CHARACTERS}",
            )


@functools.lru_cache(maxsize=32)
def _pieces(template: str, argument: str = "message") -> tuple[Piece, ...]:
    """``template`` cut into :data:`Piece`, every placeholder checked; once per template."""
    pieces: list[Piece] = []
    for literal, name, spec, conversion in _parsed(template, argument):
        parts = _parsed(spec or "", argument)
        # The placeholder itself, then those nested in its format (``{width}`` in ``{name:>{width}}``).
        for _, field, field_spec, field_conversion in [("", name, None, conversion), *parts]:
            if field is not None and (not field.isidentifier() or field_conversion):
                written = field + (f"!{field_conversion}" if field_conversion else "")
                raise refusal(
                    argument,
                    f"placeholder {{{written}}} is not a plain field name; use {{field}} with the name of a "
                    "key of the rows (no positions, attributes, indexes or conversions like !r)",
                )
            if field_spec:
                raise refusal(
                    argument,
                    f"placeholder {{{field}}} inside the format of {{{name}}} takes no format of its own",
                )
        _check_bounds(name or "", "".join(text for text, _, _, _ in parts), argument)
        pieces.append((literal, name, tuple((text, inner) for text, inner, _, _ in parts)))
    return tuple(pieces)


def check_template(template: object, argument: str = "message") -> str | None:
    """The operator's ``message`` template, refused (naming ``argument``) when it cannot be filled safely."""
    if template is None:
        return None
    if not isinstance(template, str):
        raise refusal(argument, f"expected the SMS text as a string, got {type(template).__name__}")
    _pieces(template, argument)
    return template


def _value(fields: Mapping[str, Any], name: str) -> Any:
    try:
        return fields[name]
    except KeyError:
        raise refusal("message", f"the placeholder {{{name}}} has no value in this row") from None


def _plain(name: str, value: object) -> str | int | float | Decimal:
    """``value`` as text (cut just past the SMS text cap) or a number whose every format is short.

    A subclass becomes its plain type, so its own ``__format__`` never runs. A ``Decimal``
    is kept: a database's amounts reach the rows as one (Airflow's XCom keeps the type).
    """
    if isinstance(value, str):
        return str.__str__(value)[: MAX_SMS_PLUS_CHARACTERS + 1]  # a precision may cut it
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int):
        if int.bit_length(value) > MAX_SMS_PLUS_CHARACTERS:
            raise refusal(
                "message", f"the field {{{name}}} is {shown(value)}, far more than an SMS text can hold"
            )
        return int.__int__(value)
    if isinstance(value, Decimal):
        if abs(value.adjusted()) > MAX_SMS_PLUS_CHARACTERS:  # 1e999999 formats as a million digits
            raise refusal(
                "message", f"the field {{{name}}} is a number with far more digits than an SMS text can hold"
            )
        return Decimal(value)
    kind = "None (no value)" if value is None else f"a {type(value).__name__}"
    raise refusal("message", f"the field {{{name}}} is {kind}; a placeholder takes text or a number")


def _format(
    name: str, value: object, parts: tuple[tuple[str, str | None], ...], fields: Mapping[str, Any]
) -> str:
    """``value`` in the format of ``{name}``, its nested placeholders filled from the row."""
    spec = ""
    for text, inner in parts:
        spec += text
        if inner is not None:
            width = _value(fields, inner)
            short_text = isinstance(width, str) and len(width) <= 20
            if not (short_text or (type(width) is int and 0 <= width <= MAX_SMS_PLUS_CHARACTERS)):
                raise refusal(
                    "message",
                    f"the field {{{inner}}}, used in the format of {{{name}}}, is {shown(width)}: "
                    "not a width or precision an SMS text can hold",
                )
            spec += format(_plain(inner, width))
    _check_bounds(name, spec)
    try:
        return format(_plain(name, value), spec)
    except (ValueError, TypeError, OverflowError) as error:  # a spec that does not fit the value
        raise refusal("message", f"the placeholder {{{name}}} could not be rendered: {error}") from None


def fill(template: str, fields: Mapping[str, Any]) -> str:
    """``template`` (checked by :func:`check_template`) with ``fields``; refused past the SMS text cap,
    measured once: each placeholder gives a few thousand characters at most."""
    text = "".join(
        literal if name is None else literal + _format(name, _value(fields, name), parts, fields)
        for literal, name, parts in _pieces(template)
    )
    if len(text) > MAX_SMS_PLUS_CHARACTERS:
        raise refusal(
            "message",
            f"the SMS text has more than {MAX_SMS_PLUS_CHARACTERS} characters once this row's fields "
            f"are in it; makeSms+ takes at most {MAX_SMS_PLUS_CHARACTERS}",
        )
    return text


def explain_undefined(error: Exception, field_names: Iterable[str]) -> str | None:
    """What to tell a user whose ``message`` used a row's field as a Jinja variable, else None.

    Jinja renders ``message`` once for the task, before the rows: ``{{ name }}`` fails with
    Jinja's bare ``'name' is undefined`` (issue 15 point 6).
    """
    from jinja2.exceptions import UndefinedError

    if not isinstance(error, UndefinedError):
        return None
    found = re.fullmatch(r"'([^']{1,100})' is undefined", str(error))
    if found is None or found[1] not in set(field_names):
        return None
    name = found[1]
    return (
        f"message: {error}: the row's fields are {{{name}}} placeholders, not Jinja variables; write "
        f"{{{name}}} rather than {{{{ {name} }}}} (Jinja renders the message once for the task, before "
        "the rows are known)"
    )
