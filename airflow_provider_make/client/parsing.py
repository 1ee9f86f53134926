"""Turns the API's XML answers into plain field maps, safely.

defusedxml refuses entity expansion and external entities, so a hostile or broken
server cannot make the parser fetch files or eat memory.
"""

from __future__ import annotations

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from airflow_provider_make.client.errors import MakeTransportError

# An answer is a handful of short fields; anything much larger is not the make API.
MAX_ANSWER_BYTES = 64 * 1024


def _garbage(label: str, detail: str, spends_credits: bool) -> MakeTransportError:
    # Never quote the body: a broken proxy or error page may echo the request URL, and
    # with it the password.
    message = f"{label}: the API's answer is not the XML the make API sends ({detail})"
    if spends_credits:
        message += (
            "; the request may have been accepted, so it is not sent again: check the account's "
            "history on makesms.fr before running the task again"
        )
    return MakeTransportError(message, may_have_been_accepted=spends_credits)


def parse_fields(body: bytes, *, label: str, content_type: str, spends_credits: bool) -> dict[str, str]:
    """The children of ``<response>`` as ``{tag: text}`` (text stripped, '' when empty)."""
    size = f"{len(body)} bytes of {content_type or 'unknown type'}"
    if len(body) > MAX_ANSWER_BYTES:
        raise _garbage(label, f"{size}, far more than an answer holds", spends_credits)
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise _garbage(label, f"{size} that do not parse as XML", spends_credits) from None
    if root.tag != "response":
        raise _garbage(label, f"{size} whose root element is not <response>", spends_credits)
    fields: dict[str, str] = {}
    for child in root:
        if len(child):
            raise _garbage(label, f"{size} with nested elements", spends_credits)
        fields[child.tag] = (child.text or "").strip()
    if fields.get("result") not in ("success", "failed"):
        raise _garbage(label, f"{size} without a success/failed result", spends_credits)
    return fields


def integer_field(fields: dict[str, str], name: str, *, label: str, spends_credits: bool) -> int:
    """A decimal integer field; a missing or malformed one means the answer is broken."""
    raw = fields.get(name, "")
    try:
        return int(raw)
    except ValueError:
        raise _garbage(label, f"its {name!r} field is not a whole number", spends_credits) from None
