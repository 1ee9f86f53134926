"""The make API v1.7 endpoints: argument checks, result codes, costs, tracking answers.

This module decides *what* to answer; :mod:`.server` only moves bytes. Checks run in
the order the brief fixes, and the first failing step gives the result code:

1. syntax (100): a repeated argument or a value that is not UTF-8, an argument the
   request does not know (``nsec`` included: the project sends ``insec``, decision 1),
   a required argument missing (``login``, ``pwd``, and e.g. ``duration``/``engage``
   for makeCall+), a makeRing+ pair missing or incomplete, a makeRingun ``list`` whose
   separators were sent as ``%2B`` instead of a literal ``+`` (decision 4);
2. login/pwd not matching an account (101);
3. argument values (103 to 109); when several are wrong, the lowest code wins, which
   is the order ``from``/``prefix``, ``to``, ``insec``, ``duration``, ``engage``,
   ``txt``, ``msg``/``list``;
4. balance below the cost (102): nothing charged, nothing created.

``format`` is accepted everywhere and ignored: the sandbox always answers XML, the
only format the document shows. Costs follow the document's examples and the brief:
makeRing, makeCall and makeSms 5, makeSms+ 10, makeCall+ 20, makeRing+ 5 per pair,
makeRingun 5 per callee. What happens after a send is accepted is the fiction of
:mod:`.scenario`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from . import scenario, xmlbody
from .gsm_table import ALLOWED as GSM_ALLOWED
from .query import Query, display_list, parse_query, split_plus_list
from .state import Account, SandboxState, TrackingRecord

SYNTAX_ERROR = 100
BAD_LOGIN = 101
NO_CREDIT = 102
BAD_FROM = 103
BAD_TO = 104
BAD_INSEC = 105
BAD_DURATION = 106
BAD_ENGAGE = 107
BAD_TXT = 108
BAD_MSG = 109
BAD_ID = 110
TOO_EARLY = 112

MAX_DELAY = 7200
MAX_PAIRS = 10
MAX_CALLEES = 100

_LOGIN = frozenset({"login", "pwd"})
_ALWAYS_ALLOWED = frozenset({"format"})
_RECORDING_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class ApiAnswer:
    """What to send back for one API request, and what to note about it."""

    body: str
    params: dict[str, str]
    result_code: int | None = None
    tracking_id: str | None = None

    @property
    def summary(self) -> str:
        """What the access log shows: the result code, or ``success`` when there is none."""
        return "success" if self.result_code is None else str(self.result_code)


@dataclass(frozen=True)
class _Order:
    """A send whose arguments were checked: errors found, or its cost and tracked arguments."""

    errors: list[int]
    cost: int = 0
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _SendKind:
    """One kind of send: its tracking name, arguments, success codes and checks."""

    make: str
    required: frozenset[str]
    optional: frozenset[str]
    codes: tuple[int, int]  # (without insec, with insec)
    check: Callable[[Query], _Order]
    syntax_ok: Callable[[Query], bool] = lambda query: True

    @property
    def allowed(self) -> frozenset[str]:
        """Every argument this send knows."""
        return self.required | self.optional | _LOGIN | _ALWAYS_ALLOWED


# -- value checks -----------------------------------------------------------------------------


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def is_international(number: str) -> bool:
    """Digits only, country code first, no ``+`` and no leading 0, 8 to 15 digits (decision 5)."""
    return _digits(number) and 8 <= len(number) <= 15 and number[0] != "0"


def is_national(number: str) -> bool:
    """A makeRingun number without its country code: 4 to 13 digits, no leading 0."""
    return _digits(number) and 4 <= len(number) <= 13 and number[0] != "0"


def is_country_code(prefix: str) -> bool:
    """makeRingun's ``prefix``: 1 to 3 digits, no leading 0."""
    return _digits(prefix) and 1 <= len(prefix) <= 3 and prefix[0] != "0"


def _int_between(value: str, low: int, high: int) -> bool:
    return _digits(value) and low <= int(value) <= high


# -- the sends ------------------------------------------------------------------------------


def _check_pair(query: Query) -> list[int]:
    params = query.params
    errors = []
    if not is_international(params["from"]):
        errors.append(BAD_FROM)
    if not is_international(params["to"]):
        errors.append(BAD_TO)
    return errors


def _check_simple(cost: int) -> Callable[[Query], _Order]:
    """makeRing and makeCall: only ``from`` and ``to`` to check."""

    def check(query: Query) -> _Order:
        args = {"from": query.params["from"], "to": query.params["to"]}
        return _Order(_check_pair(query), cost, args)

    return check


def _check_call_plus(query: Query) -> _Order:
    params = query.params
    errors = _check_pair(query)
    if not _int_between(params["duration"], 1, 10):
        errors.append(BAD_DURATION)
    if params["engage"] != "1":
        errors.append(BAD_ENGAGE)
    args = {"from": params["from"], "to": params["to"], "duration": params["duration"]}
    return _Order(errors, 20, args)


def _check_sms(query: Query) -> _Order:
    params = query.params
    errors = _check_pair(query)
    if params["txt"] not in scenario.CATALOG:
        errors.append(BAD_TXT)
    return _Order(errors, 5, {"from": params["from"], "to": params["to"], "txt": params["txt"]})


def _check_sms_plus(query: Query) -> _Order:
    params = query.params
    errors = _check_pair(query)
    message = params["msg"]
    if not message or any(char not in GSM_ALLOWED for char in message):
        errors.append(BAD_MSG)
    return _Order(errors, 10, {"from": params["from"], "to": params["to"], "msg": message})


_PAIR_KEYS = frozenset(f"{side}{index}" for side in ("from", "to") for index in range(MAX_PAIRS))


def _ring_plus_pairs(query: Query) -> int:
    """How many complete ``fromN``/``toN`` pairs, contiguous from 0; 0 when that is not the case."""
    indices = sorted({int(key[-1]) for key in query.params if key in _PAIR_KEYS})
    if indices != list(range(len(indices))):
        return 0
    if any(f"from{i}" not in query.params or f"to{i}" not in query.params for i in indices):
        return 0
    return len(indices)


def _check_ring_plus(query: Query) -> _Order:
    pairs = _ring_plus_pairs(query)
    errors = []
    if not all(is_international(query.params[f"from{i}"]) for i in range(pairs)):
        errors.append(BAD_FROM)
    if not all(is_international(query.params[f"to{i}"]) for i in range(pairs)):
        errors.append(BAD_TO)
    return _Order(errors, 5 * pairs)


def _ringun_callees(query: Query) -> list[str] | None:
    return split_plus_list(query.raw["list"])


def _check_ringun(query: Query) -> _Order:
    params = query.params
    errors = []
    if not is_country_code(params["prefix"]) or not is_national(params["from"]):
        errors.append(BAD_FROM)
    callees = _ringun_callees(query) or []
    if not 1 <= len(callees) <= MAX_CALLEES or not all(is_national(callee) for callee in callees):
        errors.append(BAD_MSG)
    return _Order(errors, 5 * len(callees))


_DELAY = frozenset({"insec"})

RING = _SendKind("ring", frozenset({"from", "to"}), _DELAY, (18, 19), _check_simple(5))
RING_PLUS = _SendKind(
    "ring+",
    frozenset(),
    _DELAY | _PAIR_KEYS,
    (78, 78),
    _check_ring_plus,
    syntax_ok=lambda query: _ring_plus_pairs(query) >= 2,
)
RINGUN = _SendKind(
    "ringun",
    frozenset({"prefix", "from", "list"}),
    _DELAY,
    (681, 691),
    _check_ringun,
    syntax_ok=lambda query: _ringun_callees(query) is not None,
)
CALL = _SendKind("call", frozenset({"from", "to"}), _DELAY, (8, 9), _check_simple(5))
CALL_PLUS = _SendKind(
    "call+", frozenset({"from", "to", "duration", "engage"}), _DELAY, (58, 59), _check_call_plus
)
SMS = _SendKind("sms", frozenset({"from", "to", "txt"}), _DELAY, (28, 29), _check_sms)
SMS_PLUS = _SendKind("sms+", frozenset({"from", "to", "msg"}), _DELAY, (38, 39), _check_sms_plus)

#: Path -> send. makeRing+ answers on both spellings of the document (decision 2).
SENDS: dict[str, _SendKind] = {
    "/apimaking.php": RING,
    "/apimakingplus.php": RING_PLUS,
    "/apimakeringplus.php": RING_PLUS,
    "/apimakingun.php": RINGUN,
    "/apimakecall.php": CALL,
    "/apimakecallplus.php": CALL_PLUS,
    "/apimakesms.php": SMS,
    "/apimakesmsplus.php": SMS_PLUS,
}
TRACKING_PATH = "/apilog.php"
CREDITS_PATH = "/apicredits.php"
API_PATHS: frozenset[str] = frozenset(SENDS) | {TRACKING_PATH, CREDITS_PATH}


def is_api_path(path: str) -> bool:
    """Whether ``path`` is one of the API's endpoints (as opposed to a 404)."""
    return path in API_PATHS


def answer(path: str, raw_query: str, state: SandboxState, base_url: str) -> ApiAnswer:
    """Process one API request (``path`` must be in :data:`API_PATHS`)."""
    query = parse_query(raw_query)
    if path == TRACKING_PATH:
        return _tracking(query, state, base_url)
    if path == CREDITS_PATH:
        return _credits(query, state)
    return _send(SENDS[path], query, state)


def forced_failure(path: str, raw_query: str, state: SandboxState, code: int) -> ApiAnswer:
    """A ``failed`` answer with ``code``, in the shape of ``path``'s answers; nothing done."""
    query = parse_query(raw_query)
    if path in SENDS:
        return _send_failure(query, state, code)
    return _short_failure(query, code)


def log_params(query: Query) -> dict[str, str]:
    """The decoded arguments for the request log; ``list`` keeps its literal ``+``."""
    params = dict(query.params)
    if "list" in query.raw:
        params["list"] = display_list(query.raw["list"])
    return params


def _send(kind: _SendKind, query: Query, state: SandboxState) -> ApiAnswer:
    """The four checks of the module docstring, then the debit and the tracking record.

    T, the time the tracking dates count from, is taken first, as the real service
    stamps a request when it arrives.
    """
    received = state.clock.now()
    params = query.params
    keys = set(params)
    if query.malformed or keys - kind.allowed or (kind.required | _LOGIN) - keys or not kind.syntax_ok(query):
        return _send_failure(query, state, SYNTAX_ERROR)
    account = state.authenticate(params["login"], params["pwd"])
    if account is None:
        return _send_failure(query, state, BAD_LOGIN)
    order = kind.check(query)
    errors = list(order.errors)
    delayed = "insec" in params
    if delayed and not _int_between(params["insec"], 0, MAX_DELAY):
        errors.append(BAD_INSEC)
    if errors:
        return _send_failure(query, state, min(errors))
    delay = int(params["insec"]) if delayed else 0  # left out: the saved delay, 0 here

    def build(tracking_id: str) -> TrackingRecord:
        recording = None
        if kind is CALL_PLUS:
            suffix = "".join(secrets.choice(_RECORDING_SUFFIX_ALPHABET) for _ in range(8))
            recording = f"{tracking_id}-{suffix}.mp3"
        return TrackingRecord(tracking_id, kind.make, received, delay, order.args, recording)

    committed = state.commit_send(account.login, order.cost, build)
    if committed is None:
        return _send_failure(query, state, NO_CREDIT)
    balance, record = committed
    code = kind.codes[1] if delayed else kind.codes[0]
    body = xmlbody.response(
        [
            ("result", "success"),
            ("cost", order.cost),
            ("credits", balance),
            ("id", record.id),
            ("result_code", code),
        ]
    )
    return ApiAnswer(body, log_params(query), code, record.id)


def _send_failure(query: Query, state: SandboxState, code: int) -> ApiAnswer:
    """``failed``, cost 0, the current balance (0 when the login is wrong), an empty id."""
    body = xmlbody.response(
        [
            ("result", "failed"),
            ("cost", 0),
            ("credits", _balance(query, state)),
            ("id", ""),
            ("result_code", code),
        ]
    )
    return ApiAnswer(body, log_params(query), code)


def _short_failure(query: Query, code: int) -> ApiAnswer:
    """The failure shape of tracking and credits answers: result and result_code only."""
    body = xmlbody.response([("result", "failed"), ("result_code", code)])
    return ApiAnswer(body, log_params(query), code)


def _account(query: Query, state: SandboxState) -> Account | None:
    login, password = query.params.get("login"), query.params.get("pwd")
    if login is None or password is None:
        return None
    return state.authenticate(login, password)


def _balance(query: Query, state: SandboxState) -> int:
    account = _account(query, state)
    return 0 if account is None else account.credits


# -- credits ----------------------------------------------------------------------------------


def _credits(query: Query, state: SandboxState) -> ApiAnswer:
    """The balance, or success with 0 for wrong credentials (documented; decision 10)."""
    keys = set(query.params)
    if query.malformed or keys - (_LOGIN | _ALWAYS_ALLOWED) or _LOGIN - keys:
        return _short_failure(query, SYNTAX_ERROR)
    body = xmlbody.response(
        [("result", "success"), ("login", query.params["login"]), ("credits", _balance(query, state))]
    )
    return ApiAnswer(body, log_params(query))


# -- tracking ---------------------------------------------------------------------------------


def _tracking(query: Query, state: SandboxState, base_url: str) -> ApiAnswer:
    """A tracking answer: 110 unknown or expired, 112 too early, else the record's fields."""
    keys = set(query.params)
    if query.malformed or keys - ({"id"} | _ALWAYS_ALLOWED) or "id" not in keys:
        return _short_failure(query, SYNTAX_ERROR)
    record = state.record(query.params["id"])
    if record is None:
        return _short_failure(query, BAD_ID)
    now = state.clock.now()
    age = now - record.created
    if age > scenario.TRACKING_KEPT_FOR:
        return _short_failure(query, BAD_ID)
    if age < scenario.TRACKING_AVAILABLE_AFTER:
        return _short_failure(query, TOO_EARLY)
    fields: list[tuple[str, str | int]] = [("result", "success"), ("make", record.make), ("id", record.id)]
    fields.extend(tracking_fields(record, now, base_url))
    return ApiAnswer(xmlbody.response(fields), log_params(query), tracking_id=record.id)


def _date(event: int | None, now: float) -> str:
    """Lowercase hex Unix seconds, or ``0`` for an event that has not happened (yet)."""
    return "0" if event is None or now < event else format(event, "x")


def tracking_fields(record: TrackingRecord, now: float, base_url: str) -> list[tuple[str, str | int]]:
    """The fields after result/make/id, in the document's order, as of ``now``."""
    if record.make in ("ring+", "ringun"):
        return []
    created = int(record.created)
    start = created + record.insec
    args = record.args
    head: list[tuple[str, str | int]] = [
        ("date_created", format(created, "x")),
        ("from", args["from"]),
        ("to", args["to"]),
        ("insec", record.insec),
    ]
    if record.make == "ring":
        ring = scenario.ring_timeline(start, args["to"])
        return [
            *head,
            ("date_ring", _date(ring.ring, now)),
            ("date_answer", _date(ring.answer, now)),
            ("date_hangup", _date(ring.hangup, now)),
        ]
    if record.make in ("call", "call+"):
        plus = record.make == "call+"
        minutes = int(args["duration"]) if plus else None
        call = scenario.call_timeline(start, args["from"], args["to"], minutes)
        fields = [*head, *([("duration", int(args["duration"]) * 60)] if plus else [])]
        fields += [
            ("date_ringA", _date(call.ring_a, now)),
            ("date_ringB", _date(call.ring_b, now)),
            ("date_answerA", _date(call.answer_a, now)),
            ("date_answerB", _date(call.answer_b, now)),
            ("date_hangup", _date(call.hangup_a, now)),
            ("date_hangupB", _date(call.hangup_b, now)),
        ]
        if plus:
            published = record.recording is not None and _recording_published(record, now)
            fields.append(("record_link", f"{base_url}rec/{record.recording}" if published else ""))
        return fields
    if record.make == "sms":
        return [
            *head,
            ("txt", args["txt"]),
            ("date_executed", _date(start + scenario.SMS_EXECUTED, now)),
            ("content", scenario.url_encoded(scenario.CATALOG[args["txt"]])),
        ]
    return [  # sms+
        *head,
        ("date_executed", _date(start + scenario.SMSPLUS_EXECUTED, now)),
        ("content", scenario.url_encoded(args["msg"])),
        ("x_date_executed", _date(start + scenario.SMSPLUS_FOLLOW_UP, now)),
    ]


def _recording_published(record: TrackingRecord, now: float) -> bool:
    """A call+ recording exists once both legs answered and both have hung up."""
    start = int(record.created) + record.insec
    call = scenario.call_timeline(start, record.args["from"], record.args["to"], int(record.args["duration"]))
    ended = max(call.hangup_a, call.hangup_b or call.hangup_a)
    return call.conversation and now >= ended


def recording(name: str, state: SandboxState) -> bytes | None:
    """The bytes of ``/rec/<name>`` if that recording is published, else None (404)."""
    record = state.record(name.partition("-")[0])
    if record is None or record.recording != name:
        return None
    if not _recording_published(record, state.clock.now()):
        return None
    return scenario.RECORDING_BYTES


def known_params(raw_query: str) -> dict[str, str]:
    """The decoded arguments of a request that is not processed (garbage/http500 faults)."""
    return log_params(parse_query(raw_query))
