"""Typed answers to the sends and to the credits request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_make.client.errors import MakeServiceError, MakeTransportError, error_for_code
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.client.parsing import integer_field

_ALL_SUCCESS_CODES = frozenset().union(*(kind.success_codes for kind in RequestKind))


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
        return {
            "id": self.id,
            "kind": self.kind.value,
            "cost": self.cost,
            "credits": self.credits,
            "result_code": self.result_code,
        }

    def summary(self) -> str:
        """One line for a log: ``makeSms+ accepted: id=..., cost=10, credits left=45``."""
        return f"{self.kind.label} accepted: id={self.id}, cost={self.cost}, credits left={self.credits}"


def raise_for_failure(fields: dict[str, str], label: str, spends_credits: bool) -> None:
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
        raise MakeTransportError(
            f"{error}; the request may have been accepted, so it is not sent again: check the "
            "account's history on makesms.fr before running the task again",
            may_have_been_accepted=True,
        )
    raise error


def send_result(kind: RequestKind, fields: dict[str, str]) -> SendResult:
    """A SendResult from a send's answer; ``failed`` answers raise."""
    label = kind.label
    raise_for_failure(fields, label, spends_credits=True)
    code = integer_field(fields, "result_code", label=label, spends_credits=True)
    identifier = fields.get("id", "")
    if code not in kind.success_codes or not identifier:
        # Never retried: the API says "success", so credits may have been spent.
        raise MakeTransportError(
            f"{label} answered success but with result code {code} and id {identifier[:20]!r}, which is "
            f"not how the API accepts a {label}; the request may have been accepted, so it is not sent "
            "again: check the account's history on makesms.fr before running the task again",
            may_have_been_accepted=True,
        )
    return SendResult(
        kind=kind,
        id=identifier,
        cost=integer_field(fields, "cost", label=label, spends_credits=True),
        credits=integer_field(fields, "credits", label=label, spends_credits=True),
        result_code=code,
    )


def credits_balance(fields: dict[str, str]) -> int:
    """The balance from apicredits' answer (0 also for wrong credentials: spec decision 10)."""
    raise_for_failure(fields, "credits", spends_credits=False)
    return integer_field(fields, "credits", label="credits", spends_credits=False)
