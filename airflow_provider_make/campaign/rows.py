"""What a campaign sends: the recipients list parsed, every row checked, duplicates found.

Every row is checked before the first send (issue 9), through :func:`calls.sms_plus`, the one
description of a makeSms+ request: in full for the first valid row, then only the number and
text of each other row, on a copy of the first one's call. The check keeps a few bytes a row
(a status byte, the number, the problems of invalid rows), not a second copy of the list: a
row's call is built again when it is sent, its number not parsed again (``phonenumbers`` is
the costliest check).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from airflow_provider_make.campaign.template import check_template, fill
from airflow_provider_make.client import calls
from airflow_provider_make.client import validation as check
from airflow_provider_make.client.answers import SendResult
from airflow_provider_make.client.calls import ApiCall
from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.client.validation import refusal, shown

#: Row kinds, one byte per row in :attr:`Plan.kinds`.
VALID, INVALID, DUPLICATE = 0, 1, 2
#: How many bad rows a failure message lists (then a count of the rest).
LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """Why one row cannot be sent: its index, the column at fault, and why."""

    row: int
    column: str
    why: str

    def describe(self) -> str:
        return f"row {self.row}, {self.column}: {self.why}"


def parse_recipients(value: object) -> Sequence[Any]:
    """The recipients as a list: a list or tuple as is, a string parsed as one.

    A templated ``recipients`` renders to a string (``"{{ ti.xcom_pull(...) }}"``) unless
    the DAG renders templates as native objects (see :func:`check.rendered_list`).
    """
    if isinstance(value, str):
        # 64 MB of text holds a campaign of several hundred thousand rows.
        value = check.rendered_list("recipients", value, max_chars=64 * 1024 * 1024)
    if isinstance(value, (list, tuple)):
        return value
    raise refusal(
        "recipients",
        "expected a list of phone numbers or of dicts with a 'recipient' "
        f"(or a JSON string of one), got {type(value).__name__}",
    )


def render(item: object, template: str | None) -> tuple[object, str]:
    """A row's recipient (as written) and its text; :class:`MakeValidationError` names the column at fault.

    A row is a phone number, or a dict with ``recipient``, an optional ``message`` (its own
    text, sent as written: data, not a template) and the fields of the operator's ``message``
    (see :mod:`.template`).
    """
    if isinstance(item, str):
        fields: Mapping[str, Any] = {"recipient": item}
    elif isinstance(item, Mapping):
        fields = item
    else:
        raise refusal("row", f"expected a phone number or a dict, got {type(item).__name__}")
    if "recipient" not in fields:
        raise refusal("recipient", "the row has no 'recipient'")
    own = fields.get("message")
    if isinstance(own, str):
        return fields["recipient"], own
    if own is not None:
        raise refusal(
            "message",
            f"the row's own message is {shown(own)}, of type {type(own).__name__}; "
            "expected the SMS text as a string",
        )
    if template is None:
        raise refusal("message", "the row has no 'message' and the operator has none")
    return fields["recipient"], fill(template, fields)


@dataclass
class Plan:
    """The checked campaign: one status byte per row, the problems, the duplicates.

    ``rows`` is the caller's list itself, never copied. The checks are deterministic, so a
    row that passed them once passes again when :meth:`call` builds its request.
    """

    rows: Sequence[Any]
    sender: str
    template: str | None
    delay_seconds: int | None
    transliterate: bool
    region: str | None
    kinds: bytearray = field(default_factory=bytearray)
    problems: dict[int, Problem] = field(default_factory=dict)
    duplicate_of: dict[int, int] = field(default_factory=dict)
    fingerprint: str = ""
    #: Each valid row's recipient as the API wants it (digits, country code first: never a
    #: leading 0, at most 15 digits), and the first valid row's call, which the others copy.
    numbers: array[int] = field(default_factory=lambda: array("q"))
    model: ApiCall[SendResult] | None = None

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def valid(self) -> int:
        return self.total - len(self.problems) - len(self.duplicate_of)

    def call(self, index: int) -> ApiCall[SendResult]:
        """Row ``index``'s makeSms+ request (it passed the checks), its number not parsed again."""
        if self.model is None:  # no row passed the checks
            return self.checked_call(index)
        text = render(self.rows[index], self.template)[1]
        return calls.sms_plus_like(
            self.model, to=str(self.numbers[index]), message=text, transliterate=self.transliterate
        )

    def checked_call(self, index: int) -> ApiCall[SendResult]:
        """Row ``index``'s makeSms+ request, every argument checked."""
        recipient, text = render(self.rows[index], self.template)
        return calls.sms_plus(
            sender=self.sender,
            recipient=recipient,  # type: ignore[arg-type]  # checked: sms_plus refuses non-strings
            message=text,
            delay_seconds=self.delay_seconds,
            transliterate=self.transliterate,
            region=self.region,
        )

    def recipient(self, index: int) -> str:
        """Row ``index``'s recipient as the user wrote it (for the results); a value that is no
        phone number (a list, a 5,000-digit integer) is shown short, never printed in full."""
        item = self.rows[index]
        value = item.get("recipient", "") if isinstance(item, Mapping) else item
        return value if isinstance(value, str) else shown(value)

    def sendable(self) -> Iterator[int]:
        """The indexes of the valid rows, in order."""
        return (index for index, kind in enumerate(self.kinds) if kind == VALID)

    def problems_message(self) -> str:
        """The first :data:`LISTED_PROBLEMS` bad rows, and how many more."""
        listed = [problem.describe() for problem in islice(self.problems.values(), LISTED_PROBLEMS)]
        more = len(self.problems) - len(listed)
        return "; ".join(listed) + (f"; and {more} more" if more > 0 else "")


def plan(
    rows: Sequence[Any],
    *,
    sender: object,
    template: object,
    delay_seconds: object,
    transliterate: object,
    region: str | None,
) -> Plan:
    """Check every row (and the arguments every row shares) before anything is sent.

    A bad shared argument raises :class:`MakeValidationError`; a bad row becomes a
    :class:`Problem`. The same normalised recipient with the same text is a duplicate of its
    first row. The fingerprint digests every valid row's request, so a retry can tell that
    it is running the same campaign.
    """
    check.flag(transliterate, "transliterate")
    shared_sender = check.international_number(sender, "sender", region)
    delay = check.delay_seconds(delay_seconds)
    made = Plan(
        rows,
        sender=shared_sender,
        template=check_template(template),
        delay_seconds=delay,
        transliterate=bool(transliterate),
        region=region,
        kinds=bytearray(len(rows)),
        numbers=array("q", bytes(8 * len(rows))),
    )
    first_of: dict[bytes, int] = {}
    digest = hashlib.sha256(f"{shared_sender}|{delay}|{made.transliterate}".encode())
    for index in range(len(rows)):
        try:
            if made.model is None:
                call = made.model = made.checked_call(index)
            else:  # only what differs from the model, in sms_plus's order and with its messages
                recipient, text = render(rows[index], made.template)
                number = check.international_number(recipient, "recipient", region)
                call = calls.sms_plus_like(
                    made.model, to=number, message=text, transliterate=made.transliterate
                )
        except MakeValidationError as error:
            column = error.argument or "row"
            why = error.message.removeprefix(f"{column}: ")
            made.problems[index] = Problem(index, column, why)
            made.kinds[index] = INVALID
            continue
        key = hashlib.blake2b(call.query_string.encode(), digest_size=12).digest()
        first = first_of.setdefault(key, index)
        if first != index:
            made.duplicate_of[index] = first
            made.kinds[index] = DUPLICATE
            continue
        made.numbers[index] = int(dict(call.query)["to"])
        digest.update(f"{index}:".encode() + key)
    made.fingerprint = digest.hexdigest()[:24]
    return made
