"""Reading the untrusted API's answers strictly (defusedxml): XML to fields, fields to results.

An answer not exactly of the API's shape (a repeated or nested element, a number not in
ASCII digits) is malformed, never guessed at: for a send, "may have been accepted, not
sent again" (spec decision 13).
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from airflow_provider_make.client.errors import MakeServiceError, MakeTransportError, error_for_code
from airflow_provider_make.client.kinds import RequestKind

#: An answer's fields: the children of ``<response>``, text stripped.
Fields = dict[str, str]

_ALL_SUCCESS_CODES = frozenset().union(*(kind.success_codes for kind in RequestKind))


def unknown_fate(message: str, spends_credits: bool) -> MakeTransportError:
    """The error for an exchange whose outcome is unknown: a send may have been accepted, so
    it is never sent again (spec decision 13); a read is safe to repeat. The one place that
    sets ``may_have_been_accepted``."""
    if spends_credits:
        message += (
            "; the request may have been accepted, so it is not sent again: check the account's "
            "history on makesms.fr before running the task again"
        )
    return MakeTransportError(message, may_have_been_accepted=spends_credits)


def malformed(label: str, detail: str, spends_credits: bool) -> MakeTransportError:
    """The error for an answer that is not what the make API sends. It never quotes the body:
    a broken proxy or error page may echo the request URL, and with it the password."""
    message = f"{label}: the API's answer is not the XML the make API sends ({detail})"
    return unknown_fate(message, spends_credits)


def parse_fields(body: bytes, *, label: str, spends_credits: bool) -> Fields:
    """The children of ``<response>`` as ``{tag: text}``; anything else is malformed."""
    size = f"{len(body)} bytes"
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError, RecursionError):
        raise malformed(label, f"{size} that do not parse as XML", spends_credits) from None
    if root.tag != "response":
        raise malformed(label, f"{size} whose root element is not <response>", spends_credits)
    fields: Fields = {}
    for child in root:
        if len(child) or not isinstance(child.tag, str):
            raise malformed(label, f"{size} with nested elements", spends_credits)
        if child.tag in fields:
            raise malformed(label, f"its <{child.tag[:20]}> element appears twice", spends_credits)
        fields[child.tag] = (child.text or "").strip()
    if fields.get("result") not in ("success", "failed"):
        raise malformed(label, f"{size} without a success/failed result", spends_credits)
    return fields


def integer_field(fields: Fields, name: str, *, label: str, spends_credits: bool) -> int:
    """A whole number field in plain ASCII digits (no sign, no '_', no other scripts' digits)."""
    raw = fields.get(name, "")
    if not re.fullmatch("[0-9]{1,18}", raw):
        raise malformed(label, f"its {name!r} field is not a whole number", spends_credits)
    return int(raw)


@dataclass(frozen=True)
class SendResult:
    """The API's answer to an accepted send: integers as integers."""

    kind: RequestKind
    id: str
    cost: int
    credits: int  # the balance after this request
    result_code: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict, what the operators push to XCom."""
        return {"id": self.id, **asdict(self), "kind": self.kind.value}  # the id first, as the docs show

    def summary(self) -> str:
        """One line for a log: ``makeSms+ accepted: id=..., cost=10, credits left=45``."""
        return f"{self.kind.label} accepted: id={self.id}, cost={self.cost}, credits left={self.credits}"


def raise_for_failure(fields: Fields, label: str, spends_credits: bool) -> None:
    """Raise the family's exception when the API answered ``failed``."""
    if fields["result"] == "success":
        return
    if not fields.get("result_code"):
        raise MakeServiceError(
            f"{label} failed and the API did not say why (no result code)", result_code=None, request=label
        )
    code = integer_field(fields, "result_code", label=label, spends_credits=spends_credits)
    error = error_for_code(code, label)
    if spends_credits and code in _ALL_SUCCESS_CODES:
        # "failed" with a code that means "accepted": the request may have gone through.
        raise unknown_fate(str(error), spends_credits=True)
    raise error


def send_result(kind: RequestKind, fields: Fields) -> SendResult:
    """A SendResult from a send's answer; ``failed`` answers raise."""
    raise_for_failure(fields, kind.label, spends_credits=True)
    number = functools.partial(integer_field, fields, label=kind.label, spends_credits=True)
    code, identifier = number("result_code"), fields.get("id", "")
    if code not in kind.success_codes or not identifier.isascii() or not identifier.isalnum():
        # Never retried: the API says "success", so credits may have been spent.
        raise unknown_fate(
            f"{kind.label} answered success but with result code {code} and id {identifier[:20]!r}, which "
            f"is not how the API accepts a {kind.label}",
            spends_credits=True,
        )
    return SendResult(kind, identifier, cost=number("cost"), credits=number("credits"), result_code=code)


def credits_balance(fields: Fields) -> int:
    """The balance from apicredits' answer (0 also for wrong credentials: spec decision 10)."""
    raise_for_failure(fields, "credits", spends_credits=False)
    return integer_field(fields, "credits", label="credits", spends_credits=False)
