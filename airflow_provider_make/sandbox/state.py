"""What the sandbox remembers: accounts and balances, tracking records, the request log.

All of it lives in one :class:`SandboxState` guarded by a lock, because the HTTP server
answers each request in its own thread and a debit must never be lost or doubled.
``reset()`` brings the state back to how it was at start-up so one server can serve a
whole test session; tracking ids are never reused, even across resets, so an id from
before a reset is reliably unknown (110) afterwards.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from .clock import SimClock
from .faults import FaultQueue

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_LENGTH = 14  # as in the document's examples ("abcdefghijkl12")


@dataclass(frozen=True)
class Account:
    """A make account: the e-mail used as login, its password and its credit balance."""

    login: str
    password: str = field(repr=False)  # never in a repr: it would end up in test output and logs
    credits: int

    def __post_init__(self) -> None:
        if not self.login:
            raise ValueError("an account needs a non-empty login")
        if isinstance(self.credits, bool) or not isinstance(self.credits, int) or self.credits < 0:
            raise ValueError(f"credits must be a non-negative integer, got {self.credits!r}")


@dataclass(frozen=True)
class TrackingRecord:
    """An accepted send, as needed to answer its tracking requests later.

    ``created`` is the simulated receive time T (float seconds); ``args`` holds the
    arguments the tracking answer repeats (``from``, ``to``, ``txt``, ``msg``,
    ``duration`` in minutes) as received; ``recording`` is the file name of a call+
    recording (``<id>-<8 letters>.mp3``), chosen up front so the link never changes.
    """

    id: str
    make: str
    created: float
    insec: int
    args: Mapping[str, str] = field(default_factory=dict)
    recording: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    """One API request as received, for ``GET /_sandbox/requests``."""

    path: str
    query: str
    params: Mapping[str, str]
    result_code: int | None
    id: str | None
    time: float  # real Unix time

    def to_json(self) -> dict[str, object]:
        """The JSON object the control endpoint lists."""
        return {
            "path": self.path,
            "query": self.query,
            "params": dict(self.params),
            "result_code": self.result_code,
            "id": self.id,
            "time": self.time,
        }


class SandboxState:
    """Accounts, tracking records, the request log and the queued faults of one sandbox."""

    def __init__(self, accounts: Iterable[Account], clock: SimClock) -> None:
        self.clock = clock
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._initial = _by_login(accounts)
        self._accounts = dict(self._initial)
        self._records: dict[str, TrackingRecord] = {}
        self._issued: set[str] = set()
        self._requests: list[RequestRecord] = []
        self._in_flight = 0
        self.max_in_flight = 0  # the most API requests served at once since the last reset

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Count an API request as in flight while it is served (for ``max_in_flight``)."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    # -- accounts -------------------------------------------------------------------------

    def authenticate(self, login: str, password: str) -> Account | None:
        """The account if ``login`` and ``password`` match one, else None."""
        with self._lock:
            account = self._accounts.get(login)
        if account is None or not secrets.compare_digest(account.password.encode(), password.encode()):
            return None
        return account

    def put_account(self, account: Account) -> None:
        """Create or replace an account (balance included)."""
        with self._lock:
            self._accounts[account.login] = account

    def accounts(self) -> list[Account]:
        """Every account with its current balance, in creation order."""
        with self._lock:
            return list(self._accounts.values())

    def commit_send(
        self, login: str, cost: int, build: Callable[[str], TrackingRecord]
    ) -> tuple[int, TrackingRecord] | None:
        """Debit ``cost`` and store the record ``build(new_id)`` returns, atomically.

        Returns the balance after the debit and the record, or None (nothing charged,
        nothing stored) when the balance is below ``cost`` or the account is gone.
        """
        with self._lock:
            account = self._accounts.get(login)
            if account is None or account.credits < cost:
                return None
            record = build(self._new_id())
            self._records[record.id] = record
            balance = account.credits - cost
            self._accounts[login] = Account(account.login, account.password, balance)
            return balance, record

    def _new_id(self) -> str:
        """A fresh tracking id; the caller holds the lock."""
        while True:
            candidate = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    # -- tracking -------------------------------------------------------------------------

    def record(self, tracking_id: str) -> TrackingRecord | None:
        """The tracking record with that id, if it exists."""
        with self._lock:
            return self._records.get(tracking_id)

    # -- request log ----------------------------------------------------------------------

    def log_request(self, entry: RequestRecord) -> None:
        """Remember an API request for ``GET /_sandbox/requests``."""
        with self._lock:
            self._requests.append(entry)

    def requests(self) -> list[RequestRecord]:
        """Every API request received since start-up or the last reset, in order."""
        with self._lock:
            return list(self._requests)

    # -- reset ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the start-up accounts and balances; forget requests, tracking and faults.

        The clock keeps running (simulated time never goes back) and issued ids stay
        reserved.
        """
        with self._lock:
            self._accounts = dict(self._initial)
            self._records.clear()
            self._requests.clear()
            self.max_in_flight = self._in_flight
        self.faults.clear()


def _by_login(accounts: Iterable[Account]) -> dict[str, Account]:
    """Index accounts by login, refusing duplicates (which one would win is a guess)."""
    indexed: dict[str, Account] = {}
    for account in accounts:
        if account.login in indexed:
            raise ValueError(f"two accounts with the login {account.login!r}")
        indexed[account.login] = account
    return indexed
