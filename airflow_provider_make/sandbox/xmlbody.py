"""Writing the API's XML answers.

The real API answers a flat ``<response>`` with one child element per field in the
order the document lists, so the sandbox writes exactly that shape by hand: an ordered
list of (name, value) pairs, values escaped, empty values as ``<id></id>``. Writing it
by hand (rather than with ``xml.etree`` or ``xml.sax.saxutils``) keeps the order and
the layout under control and keeps the sandbox quick to import.
"""

from __future__ import annotations

from collections.abc import Iterable

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def escape(text: str) -> str:
    """Escape the characters that would break element content."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def response(fields: Iterable[tuple[str, str | int]]) -> str:
    """``<?xml ...?>`` then ``<response>`` with one indented child per field, in order."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<response>"]
    lines.extend(f"  <{name}>{escape(str(value))}</{name}>" for name, value in fields)
    lines.append("</response>")
    return "\n".join(lines) + "\n"
