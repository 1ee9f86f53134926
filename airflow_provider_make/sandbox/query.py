"""Reading a query string the way the make API needs, not the way ``parse_qs`` does.

``urllib.parse.parse_qs`` would turn the literal ``+`` that separates makeRingun callees
(``list=687654321+687654322``) into a space and make it indistinguishable from a
``%2B``; the project's decision 4 is precisely that the separator is a literal ``+``.
So the raw value of each argument is kept next to its decoded value, and malformed
input (a repeated argument, a value that is not UTF-8) is flagged instead of being
silently repaired: the real API answers 100 (syntax error) for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus


@dataclass(frozen=True)
class Query:
    """The arguments of one request.

    ``params`` are decoded with ``unquote_plus`` (invalid UTF-8 replaced, for display);
    ``raw`` are the values exactly as received; ``malformed`` says why the query is a
    syntax error, or is empty when it is not.
    """

    params: dict[str, str]
    raw: dict[str, str]
    malformed: str = ""


def parse_query(raw_query: str) -> Query:
    """Split on ``&`` then on the first ``=``, and decode each part.

    Empty segments (``a=1&&b=2``, a trailing ``&``) are skipped; a segment without
    ``=`` is an argument with an empty value.
    """
    params: dict[str, str] = {}
    raw: dict[str, str] = {}
    problems: list[str] = []
    for segment in raw_query.split("&"):
        if not segment:
            continue
        raw_key, _, raw_value = segment.partition("=")
        key = _decode(raw_key, problems)
        value = _decode(raw_value, problems)
        if key in params:
            problems.append(f"argument {key!r} repeated")
        params.setdefault(key, value)
        raw.setdefault(key, raw_value)
    return Query(params, raw, "; ".join(problems))


def _decode(part: str, problems: list[str]) -> str:
    """``unquote_plus`` strictly; on invalid UTF-8 note it and decode leniently."""
    try:
        return unquote_plus(part, errors="strict")
    except UnicodeDecodeError:
        problems.append("a value is not valid UTF-8 once percent-decoded")
        return unquote_plus(part, errors="replace")


def split_plus_list(raw_value: str) -> list[str] | None:
    """The items of a raw ``a+b+c`` value, each percent-decoded (``+`` is not a space here).

    Returns None when the value is not a valid list: an item that is not UTF-8, or a
    ``%2B`` inside an item, which means the client encoded the separator (decision 4).
    """
    items: list[str] = []
    for raw_item in raw_value.split("+"):
        try:
            item = unquote(raw_item, errors="strict")
        except UnicodeDecodeError:
            return None
        if "+" in item:
            return None
        items.append(item)
    return items


def display_list(raw_value: str) -> str:
    """A raw ``list`` value for the request log: percent-decoded, literal ``+`` kept."""
    return unquote(raw_value, errors="replace")
