"""A loopback HTTP server that misbehaves on purpose, for the transport tests (not a test).

It speaks HTTP/1.1 over raw sockets so that each test controls the status line, the
headers and the pacing of the body byte by byte, which ``http.server`` does not allow.
Tell it what to answer with :meth:`HostileServer.answer`; it records every request it
received (target, path, raw query) and counts TCP connections, so tests can assert what
was sent and how often.

Modes (``answer(mode, **options)``):

``xml:<body>``
    HTTP 200, ``text/xml``, the given body: for strict-parsing cases.
``status:<code>``
    That status with an empty body; ``location=`` adds a ``Location`` header (redirects).
``huge``
    HTTP 200, ``text/xml``, ``size`` bytes (200 MB by default) streamed in 64 KiB chunks,
    never built in memory.
``gzip_bomb``
    HTTP 200, ``Content-Encoding: gzip``, about 1 MB that inflates to 1 GiB of zeros
    (built once per process, in under a second, and cached).
``trickle_headers`` / ``trickle_body``
    One byte every ``interval`` seconds (1 s by default) of the status line and headers,
    or of the body after complete headers; at most ``max_bytes`` (60) bytes, then close.
``reason_echo``
    HTTP 500 whose reason phrase, an ``X-Echo`` header and the body echo the request's raw
    query string and its ``pwd`` value raw (as sent), URL-decoded and written as latin-1,
    and URL-decoded and written as UTF-8 (which a client reads as latin-1 mojibake).
``tls_garbage`` / ``tls_close``
    For an ``https://`` client: read the start of the TLS handshake, then answer
    plain-text garbage, or just close the connection.

Everything is bounded: the server stops by itself after ``lifetime`` seconds or
``max_connections`` connections, every loop has a count and a time limit, and
:meth:`stop` ends all of it at once (call it from a fixture finalizer).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest

from airflow_provider_make.client.settings import ClientSettings

__all__ = [
    "CREDITS_OK",
    "GZIP_BOMB_INFLATED_SIZE",
    "LOGIN",
    "PASSWORD",
    "SEND_OK",
    "TRACKING_ID",
    "TRACKING_OK",
    "HostileServer",
    "Received",
    "gzip_bomb",
    "hostile",
    "hostile_settings",
    "send_fields",
    "sms_plus_tracking",
    "xml",
]

HUGE_SIZE = 200 * 1024 * 1024
GZIP_BOMB_INFLATED_SIZE = 1024 * 1024 * 1024
CHUNK = 64 * 1024
MAX_REQUEST_HEAD = 64 * 1024

_bomb: bytes | None = None
_bomb_lock = threading.Lock()


def gzip_bomb() -> bytes:
    """A valid gzip stream of 1 GiB of zeros, about 1 MB long, built once per process.

    One MiB of zeros is deflated once and ended by a full flush, which makes the block
    self-contained, so the same bytes repeated 1,024 times are a valid deflate stream.
    """
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            zeros = bytes(1024 * 1024)
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
            repeats = GZIP_BOMB_INFLATED_SIZE // len(zeros)
            crc = 0
            for _ in range(repeats):
                crc = zlib.crc32(zeros, crc)
            header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
            final_empty_block = b"\x03\x00"
            trailer = struct.pack("<II", crc, GZIP_BOMB_INFLATED_SIZE & 0xFFFFFFFF)
            _bomb = header + block * repeats + final_empty_block + trailer
        return _bomb


@dataclass(frozen=True)
class Received:
    """One request as it arrived: the request target, its path and its raw query string."""

    target: str  # as on the request line; absolute ("http://host/...") when sent to a proxy
    path: str
    query: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, list[str]]:
        """The query, decoded (``+`` as space), every value kept."""
        return parse_qs(self.query, keep_blank_values=True)


@dataclass(frozen=True)
class _Mode:
    name: str
    argument: str
    options: dict[str, object]


class HostileServer:
    """A loopback HTTP server that answers what it is told, badly if asked.

    :param host: a loopback address to bind (any of ``127.0.0.0/8`` on Linux).
    :param lifetime: seconds after which the server stops by itself.
    :param max_connections: connections after which it stops accepting.
    """

    def __init__(
        self, host: str = "127.0.0.1", *, lifetime: float = 300.0, max_connections: int = 200
    ) -> None:
        if not host.startswith("127."):
            raise ValueError("the hostile server binds loopback addresses only")
        self.host = host
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(32)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._lifetime = lifetime
        self._max_connections = max_connections
        self._deadline = time.monotonic() + lifetime
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._routes: dict[str | None, _Mode] = {None: _Mode("status", "404", {})}
        self._requests: list[Received] = []
        self._connections = 0
        self._handlers: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, name=f"hostile-{host}:{self.port}", daemon=True)

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        """``http://host:port/``."""
        return f"http://{self.host}:{self.port}/"

    @property
    def https_url(self) -> str:
        """``https://host:port/`` (for the ``tls_*`` modes)."""
        return f"https://{self.host}:{self.port}/"

    def start(self) -> HostileServer:
        self._deadline = time.monotonic() + self._lifetime
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end every answer in progress, close everything (idempotent)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for handler in list(self._handlers):
            handler.join(timeout=2)
        self._listener.close()

    def answer(self, mode: str, *, path: str | None = None, **options: object) -> None:
        """Answer ``mode`` from now on: to requests for ``path``, or to all by default."""
        name, _, argument = mode.partition(":")
        known = (
            "xml",
            "status",
            "huge",
            "gzip_bomb",
            "trickle_headers",
            "trickle_body",
            "reason_echo",
            "tls_garbage",
            "tls_close",
        )
        if name not in known:
            raise ValueError(f"unknown mode {name!r}")
        if name == "gzip_bomb":
            gzip_bomb()  # build it now, not while a client waits
        with self._lock:
            self._routes[path] = _Mode(name, argument, options)

    @property
    def requests(self) -> list[Received]:
        """The requests received so far, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> int:
        """How many TCP connections were accepted so far."""
        with self._lock:
            return self._connections

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _serve(self) -> None:
        while self._running() and self._connections < self._max_connections:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._handlers.append(handler)
            handler.start()

    def _mode_for(self, path: str | None) -> _Mode:
        with self._lock:
            return self._routes.get(path) or self._routes[None]

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with conn:
                tls = self._mode_for(None)
                if tls.name in ("tls_garbage", "tls_close"):
                    self._tls(conn, tls.name)
                    return
                received = self._read_request(conn)
                if received is None:
                    return
                with self._lock:
                    self._requests.append(received)
                self._respond(conn, self._mode_for(received.path), received)
        except OSError:
            pass  # the client went away: that is what most modes expect

    def _read_request(self, conn: socket.socket) -> Received | None:
        head = b""
        for _ in range(MAX_REQUEST_HEAD // 1024):
            if b"\r\n\r\n" in head or not self._running():
                break
            chunk = conn.recv(1024)
            if not chunk:
                break
            head += chunk
        if b"\r\n\r\n" not in head:
            return None
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        target = parts[1]
        split = urlsplit(target)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Received(target=target, path=split.path, query=split.query, headers=headers)

    def _respond(self, conn: socket.socket, mode: _Mode, received: Received) -> None:
        name = mode.name
        if name == "xml":
            body = mode.argument.encode("utf-8")
            conn.sendall(_head(200, "OK", {"Content-Type": "text/xml; charset=utf-8"}, len(body)) + body)
        elif name == "status":
            code = int(mode.argument or "500")
            extra = {"Location": str(mode.options["location"])} if "location" in mode.options else {}
            conn.sendall(_head(code, "Hostile", extra, 0))
        elif name == "huge":
            size = int(str(mode.options.get("size", HUGE_SIZE)))
            conn.sendall(_head(200, "OK", {"Content-Type": "text/xml"}, size))
            self._stream(conn, _repeat(b"<response>" + b" " * (CHUNK - 10), size))
        elif name == "gzip_bomb":
            bomb = gzip_bomb()
            extra = {"Content-Type": "text/xml", "Content-Encoding": "gzip"}
            conn.sendall(_head(200, "OK", extra, len(bomb)))
            self._stream(conn, (bomb[i : i + CHUNK] for i in range(0, len(bomb), CHUNK)))
        elif name == "trickle_headers":
            padding = b"x" * 10_000
            self._trickle(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nX-Slow: " + padding, mode)
        elif name == "trickle_body":
            conn.sendall(_head(200, "OK", {"Content-Type": "text/xml"}, 10_000))
            self._trickle(conn, b"<response>" + b" " * 9_990, mode)
        elif name == "reason_echo":
            echo = _echo(received)
            head = (
                b"HTTP/1.1 500 " + echo + b"\r\nContent-Type: text/plain\r\nX-Echo: " + echo + b"\r\n"
                b"Content-Length: " + str(len(echo)).encode() + b"\r\nConnection: close\r\n\r\n"
            )
            conn.sendall(head + echo)
        else:  # pragma: no cover - answer() refuses unknown modes
            raise AssertionError(name)

    def _stream(self, conn: socket.socket, chunks: Iterator[bytes]) -> None:
        """Send ``chunks`` until they run out, the client goes away or the server stops."""
        conn.settimeout(10)
        for chunk in chunks:  # finite: every caller passes a bounded generator
            if not self._running():
                return
            conn.sendall(chunk)

    def _trickle(self, conn: socket.socket, data: bytes, mode: _Mode) -> None:
        interval = float(str(mode.options.get("interval", 1.0)))
        max_bytes = int(str(mode.options.get("max_bytes", 60)))
        for index in range(min(max_bytes, len(data))):
            if not self._running():
                return
            conn.sendall(data[index : index + 1])
            if self._stop.wait(interval):
                return

    def _tls(self, conn: socket.socket, name: str) -> None:
        conn.settimeout(2)
        try:
            conn.recv(4096)  # the ClientHello (or whatever arrives first)
        except TimeoutError:
            return
        if name == "tls_garbage":
            conn.sendall(b"HTTP/1.1 400 Not TLS\r\nContent-Length: 0\r\n\r\n" + b"\x00garbage" * 16)


def _head(code: int, reason: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"HTTP/1.1 {code} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"Content-Length: {length}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _repeat(chunk: bytes, size: int) -> Iterator[bytes]:
    """``size`` bytes as repeats of ``chunk``, lazily."""
    sent = 0
    while sent < size:  # bounded: size / len(chunk) rounds
        piece = chunk[: size - sent]
        sent += len(piece)
        yield piece


def _echo(received: Received) -> bytes:
    """The raw query, then ``pwd`` as sent, as latin-1 and as UTF-8 bytes (no CR or LF)."""
    raw_pwd = ""
    for item in received.query.split("&"):
        key, _, value = item.partition("=")
        if key == "pwd":
            raw_pwd = value
    decoded = unquote_plus(raw_pwd)
    pieces = [
        received.query.encode("latin-1", "replace"),
        raw_pwd.encode("latin-1", "replace"),
        decoded.encode("latin-1", "replace"),
        decoded.encode("utf-8"),
    ]
    return b" | ".join(pieces).replace(b"\r", b"").replace(b"\n", b"")


# ----------------------------------------------------------------------------- for the tests

LOGIN = "ops@example.com"
#: Non-ASCII, with characters URL-encoding changes: every form of it is distinct.
PASSWORD = "pässwörd+1/é"
CALLER = "33612345678"
CALLEE = "33687654321"
TRACKING_ID = "abc123"
#: The timeouts of every test; ``total_timeout`` is the whole exchange's deadline.
TIMEOUTS: dict[str, float] = {"connect_timeout": 2, "read_timeout": 3, "total_timeout": 4}
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """A started server (stopped afterwards); the machine's proxy variables do not apply."""
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = HostileServer().start()
    yield server
    server.stop()


def hostile_settings(base_url: str, password: str = PASSWORD, **timeouts: float) -> ClientSettings:
    """Settings for ``base_url`` with the tests' timeouts (or these)."""
    merged = {**TIMEOUTS, **timeouts}
    return ClientSettings(
        LOGIN,
        password,
        base_url=base_url,
        connect_timeout=merged["connect_timeout"],
        read_timeout=merged["read_timeout"],
        total_timeout=merged["total_timeout"],
    )


def xml(*fields: tuple[str, str]) -> str:
    """A ``<response>`` with the given children in order (duplicates allowed)."""
    children = "".join(f"<{name}>{value}</{name}>" for name, value in fields)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<response>{children}</response>\n'


def send_fields(**changes: str) -> list[tuple[str, str]]:
    """An accepted makeSms+ (result code 38), with some fields changed."""
    fields = {"result": "success", "cost": "10", "credits": "90", "id": TRACKING_ID, "result_code": "38"}
    fields.update(changes)
    return list(fields.items())


def sms_plus_tracking(tracking_id: str = TRACKING_ID, **changes: str) -> list[tuple[str, str]]:
    """A makeSms+ tracking log, sent and followed up, with some fields changed."""
    fields = {
        "result": "success",
        "make": "sms+",
        "id": tracking_id,
        "date_created": "65f0a000",
        "from": CALLER,
        "to": CALLEE,
        "insec": "0",
        "date_executed": "65f0a00a",
        "content": "hi",
        "x_date_executed": "65f0a01e",
    }
    fields.update(changes)
    return list(fields.items())


SEND_OK = xml(*send_fields())
TRACKING_OK = xml(*sms_plus_tracking())
CREDITS_OK = xml(("result", "success"), ("login", LOGIN), ("credits", "90"))
