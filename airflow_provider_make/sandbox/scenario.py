"""The sandbox's fiction: what happens to a request after it is accepted.

The real service rings phones and sends SMS; the sandbox only pretends, on its
simulated clock (see :mod:`.clock`), following the example dates of the vendor's
document. With ``T`` the time the request was received and ``D`` its ``insec`` delay
(0 when the argument is left out: the sandbox's "delay saved on the account" is 0),
all in simulated seconds:

* **ring**: rings the callee at ``T+D+4``; the callee answers at ``T+D+8`` (or never,
  see below; the document's example is a callee who never answers); ends at ``T+D+24``.
* **call / call+**: the service rings the callee (leg A) first at ``T+D+4``. If A
  answers (``T+D+5``) it rings the caller (leg B) at ``T+D+6``, B answers at ``T+D+8``;
  A hangs up at ``T+D+24`` and B at ``T+D+26``. If A does not answer, B is never rung:
  ``ringB``, ``answerB`` and ``hangupB`` stay 0 and A's leg ends at ``T+D+24``. For
  call+ the hang-ups happen no later than B's answer plus the ``duration`` minutes, and
  the recording is published once both legs answered and the call has ended.
* **sms**: sent at ``T+D+1``. **sms+**: sent at ``T+D+3``, and the follow-up SMS that
  reveals the prank (``x_date_executed``) at ``T+D+303``.
* **ring+ / ringun**: their tracking carries no dates at all (as in the document).

Who answers: **a number ending in "0000" never answers; every other number answers.**
That applies to the callee of ring, call and call+, and (a sandbox decision the brief
left open) to the caller of call and call+ too, whose leg the service rings as well:
a caller ending in "0000" lets leg B ring out, so there is no conversation and no
recording, and B's leg still ends at ``T+D+26`` so a sensor waiting for it finishes.

An event appears in a tracking answer only once the simulated clock has passed it;
until then its date is ``0`` ("has not happened yet"), like on the real service.
Dates are Unix seconds in lowercase hexadecimal (spec decision 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

#: The makeSms catalog of the sandbox: ``txt`` code -> message.
CATALOG: dict[str, str] = {
    "123": "Rappel : votre rendez-vous est demain.",
    "900": "On se prend un cafe ?",
}

#: A number ending with this never answers.
NEVER_ANSWERS_SUFFIX = "0000"

#: A tracking log exists at the earliest this many simulated seconds after the id was
#: issued (result code 112 before that).
TRACKING_AVAILABLE_AFTER = 10.0

#: A tracking log is kept one month (result code 110 after that); the sandbox counts 30 days.
TRACKING_KEPT_FOR = 30 * 86400.0

# Offsets (simulated seconds after T+D), taken from the document's example dates.
RING_RING = 4
RING_ANSWER = 8
RING_HANGUP = 24
CALL_RING_A = 4
CALL_ANSWER_A = 5
CALL_RING_B = 6
CALL_ANSWER_B = 8
CALL_HANGUP_A = 24
CALL_HANGUP_B = 26
SMS_EXECUTED = 1
SMSPLUS_EXECUTED = 3
SMSPLUS_FOLLOW_UP = 303

#: What ``GET /rec/<id>-<suffix>.mp3`` serves: an ID3 header and one silent MPEG frame
#: header; enough for a client to see an ``audio/mpeg`` download succeed.
RECORDING_BYTES = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(32)


def answers(number: str) -> bool:
    """Whether the simulated person at ``number`` picks up."""
    return not number.endswith(NEVER_ANSWERS_SUFFIX)


@dataclass(frozen=True)
class CallTimeline:
    """The events of a call or call+ in simulated Unix seconds (``None``: never happens)."""

    ring_a: int
    answer_a: int | None
    ring_b: int | None
    answer_b: int | None
    hangup_a: int
    hangup_b: int | None

    @property
    def conversation(self) -> bool:
        """Whether both legs answered, i.e. whether there is something to record."""
        return self.answer_a is not None and self.answer_b is not None


@dataclass(frozen=True)
class RingTimeline:
    """The events of a ring in simulated Unix seconds (``None``: never happens)."""

    ring: int
    answer: int | None
    hangup: int


def ring_timeline(start: int, callee: str) -> RingTimeline:
    """The ring of ``callee`` for a request whose action starts at ``start`` (T+D)."""
    return RingTimeline(
        ring=start + RING_RING,
        answer=start + RING_ANSWER if answers(callee) else None,
        hangup=start + RING_HANGUP,
    )


def call_timeline(start: int, caller: str, callee: str, max_minutes: int | None = None) -> CallTimeline:
    """The two legs of a call whose action starts at ``start`` (T+D).

    ``max_minutes`` is call+'s ``duration``: the conversation is cut after that long.
    """
    if not answers(callee):
        return CallTimeline(start + CALL_RING_A, None, None, None, start + CALL_HANGUP_A, None)
    answer_b = start + CALL_ANSWER_B if answers(caller) else None
    hangup_a = start + CALL_HANGUP_A
    hangup_b = start + CALL_HANGUP_B
    if max_minutes is not None and answer_b is not None:
        cut = answer_b + max_minutes * 60
        hangup_a, hangup_b = min(hangup_a, cut), min(hangup_b, cut)
    return CallTimeline(
        ring_a=start + CALL_RING_A,
        answer_a=start + CALL_ANSWER_A,
        ring_b=start + CALL_RING_B,
        answer_b=answer_b,
        hangup_a=hangup_a,
        hangup_b=hangup_b,
    )


def url_encoded(text: str) -> str:
    """SMS content as the service shows it in a tracking answer (``On+se+prend+un+cafe+%3F``)."""
    return quote_plus(text)
