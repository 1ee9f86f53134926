"""A campaign's ``message`` template: checked once, then filled with each row's fields, within bounds.

The template is the operator's ``message`` with ``{field}`` placeholders in ``str.format``
syntax (``"Bonjour {name}"``, ``"{amount:.2f} EUR"``). Rows are data from upstream tasks, so
whatever they hold, filling the template allocates no more than the SMS text can hold
(:data:`MAX_SMS_PLUS_CHARACTERS`): every width and precision is at most that many
characters (a row field used as one too: ``{name:{width}}``), a placeholder takes text or a
number of bounded size, and the text is refused as soon as it passes the cap. Every refusal
is a :class:`MakeValidationError` naming the argument (``message``) and what is wrong; for a
row, the campaign reports it as that row's problem.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.client.validation import MAX_SMS_PLUS_CHARACTERS, shown

#: One placeholder of a template: the literal text before it, its field, its format spec (its
#: literal parts, each followed by the field of a nested placeholder or None) and its
#: conversion (``r``, ``s``, ``a`` or None). The text after the last placeholder has field None.
Piece = tuple[str, str | None, tuple[tuple[str, str | None], ...], str | None]
#: The longest text a nested placeholder (``{width}`` in ``{name:{width}}``) may give.
_MAX_NESTED = 20


def _refusal(problem: str, argument: str = "message") -> MakeValidationError:
    return MakeValidationError(f"{argument}: {problem}", argument=argument)


def _split(template: str, argument: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError as error:
        raise _refusal(
            f"the text is not a valid template ({error}); write a literal brace as '{{{{' or '}}}}'", argument
        ) from None


def _field_name(name: str, argument: str) -> str:
    if not name.isidentifier():
        raise _refusal(
            f"placeholder {{{name}}} is not a field name; use {{field}} with the name of a key of the rows "
            "(no positions, attributes or indexes)",
            argument,
        )
    return name


def check_template(template: object, argument: str = "message") -> str | None:
    """The operator's ``message`` template, refused when it cannot be rendered safely.

    Placeholders are ``{field}`` names of a row's fields, with an optional format spec
    (``{amount:.2f}``), which may hold placeholders itself (``{name:>{width}}``, without
    a spec of their own). Positional (``{}``, ``{0}``), attribute (``{a.b}``) and index
    (``{a[0]}``) fields are refused: a row's fields are data, and ``str.format`` would
    otherwise let a template reach into the objects behind them. A width or precision
    wider than an SMS text (``{name:>999999999}``) is refused here, before any row.
    """
    if template is None:
        return None
    if not isinstance(template, str):
        raise _refusal(f"expected the SMS text as a string, got {type(template).__name__}", argument)
    for _, name, spec, _ in _split(template, argument):
        if name is None:
            continue
        _field_name(name, argument)
        nested = _split(spec or "", argument)
        for _, inner, inner_spec, inner_conversion in nested:
            if inner is not None:
                _field_name(inner, argument)
                if inner_spec or inner_conversion:
                    raise _refusal(
                        f"placeholder {{{inner}}} inside the format of {{{name}}} takes no format of its own",
                        argument,
                    )
        if all(inner is None for _, inner, _, _ in nested):
            check_spec(name, spec or "", argument)
    return template


def check_spec(name: str, spec: str, argument: str = "message") -> None:
    """Refuse a format spec whose width or precision is wider than an SMS text."""
    for run in re.findall(r"[0-9]+", spec):
        if len(run) > len(str(MAX_SMS_PLUS_CHARACTERS)) or int(run) > MAX_SMS_PLUS_CHARACTERS:
            shown_run = run if len(run) <= 30 else f"{run[:27]}..."
            raise _refusal(
                f"the format of {{{name}}} asks for a width or precision of {shown_run} characters; "
                f"an SMS text holds at most {MAX_SMS_PLUS_CHARACTERS}",
                argument,
            )


@functools.lru_cache(maxsize=32)
def _pieces(template: str) -> tuple[Piece, ...]:
    """``template`` (checked by :func:`check_template`) cut into pieces, once per template."""
    pieces: list[Piece] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        parts = tuple((text, inner) for text, inner, _, _ in string.Formatter().parse(spec or ""))
        pieces.append((literal, name, parts, conversion))
    return tuple(pieces)


def _value(fields: Mapping[str, Any], name: str) -> Any:
    try:
        return fields[name]
    except KeyError:
        raise _refusal(f"the placeholder {{{name}}} has no value in this row") from None


def _kind(value: object) -> str:
    if value is None:
        return "None (no value)"
    return f"a {type(value).__name__}"


def plain(name: str, value: object) -> str | int | float | Decimal:
    """``value`` as text or a number whose every format is a few thousand characters at most.

    Subclasses are turned into the plain type (their own ``__format__`` never runs); lists,
    dicts, None and other objects are refused.
    """
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        if int.bit_length(value) > MAX_SMS_PLUS_CHARACTERS:
            raise _refusal(f"the field {{{name}}} is {shown(value)}, far more than an SMS text can hold")
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, Decimal):
        if value.is_finite() and (
            abs(value.adjusted()) > MAX_SMS_PLUS_CHARACTERS
            or len(value.as_tuple().digits) > MAX_SMS_PLUS_CHARACTERS
        ):
            raise _refusal(f"the field {{{name}}} is a number with far more digits than an SMS text can hold")
        return value
    raise _refusal(f"the field {{{name}}} is {_kind(value)}; a placeholder takes text or a number")


def _spec(name: str, parts: tuple[tuple[str, str | None], ...], fields: Mapping[str, Any]) -> str:
    """The format spec of ``{name}``, its nested placeholders filled from the row (short values only)."""
    spec = []
    for text, inner in parts:
        spec.append(text)
        if inner is None:
            continue
        value = _value(fields, inner)
        fits = isinstance(value, str) and len(value) <= _MAX_NESTED
        if isinstance(value, int) and not isinstance(value, bool) and int.bit_length(value) <= 60:
            value, fits = str(int.__int__(value)), True
        if not fits:
            raise _refusal(
                f"the field {{{inner}}}, used in the format of {{{name}}}, is {shown(value)}: "
                "not a width or precision an SMS text can hold"
            )
        spec.append(str.__str__(value))
    return "".join(spec)


def _formatted(name: str, value: str | int | float | Decimal, spec: str, conversion: str | None) -> str:
    if isinstance(value, str):
        value = value[: MAX_SMS_PLUS_CHARACTERS + 1]  # longer is refused anyway; a precision may cut it
    converted: object = value
    if conversion == "r":
        converted = repr(value)
    elif conversion == "a":
        converted = ascii(value)
    elif conversion == "s":
        converted = str(value)
    try:
        return format(converted, spec)
    except (ValueError, TypeError, OverflowError) as error:  # a spec that does not fit the value
        raise _refusal(f"the placeholder {{{name}}} could not be rendered: {error}") from None


def fill(template: str, fields: Mapping[str, Any]) -> str:
    """``template`` (checked by :func:`check_template`) with ``fields``; refused past the SMS text cap."""
    rendered: list[str] = []
    length = 0
    for literal, name, parts, conversion in _pieces(template):
        rendered.append(literal)
        length += len(literal)
        if name is not None:
            value = _value(fields, name)
            if type(value) is str and not parts and conversion is None:
                text = value[: MAX_SMS_PLUS_CHARACTERS + 1]  # the usual {name}: no format to apply
            else:
                spec = _spec(name, parts, fields)
                check_spec(name, spec)
                text = _formatted(name, plain(name, value), spec, conversion)
            rendered.append(text)
            length += len(text)
        if length > MAX_SMS_PLUS_CHARACTERS:
            raise _refusal(
                f"the SMS text has more than {MAX_SMS_PLUS_CHARACTERS} characters once this row's fields "
                f"are in it; makeSms+ takes at most {MAX_SMS_PLUS_CHARACTERS}"
            )
    return "".join(rendered)


def explain_undefined(error: Exception, field_names: Iterable[str]) -> str | None:
    """What to tell a user whose ``message`` used a row's field as a Jinja variable, else None.

    Jinja renders ``message`` once for the task, before the rows: ``{{ name }}`` fails with
    Jinja's ``'name' is undefined``. When ``name`` is a field of the rows, the message says
    that the row's fields are ``{name}`` placeholders.
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
