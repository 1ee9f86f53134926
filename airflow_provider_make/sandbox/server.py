"""HTTP plumbing of the sandbox: the server, its request handler and the access log.

The sandbox answers like the real make API (HTTP 200 and ``text/xml`` even for a
``failed`` result), so a client can be tested end to end without spending credits.
It is a test server: it listens on loopback addresses only.

The password travels in the query string (spec decision 12), so nothing here ever
writes a query string or a request line to the log: the access log shows the method,
the path and the result code only, and the standard library's own request and error
logging, which would print the request line, is silenced.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TextIO

from . import api, control
from .clock import SimClock
from .faults import Fault, FaultKind
from .state import Account, RequestRecord, SandboxState

#: Used when no account is given (the CLI's default too).
DEFAULT_ACCOUNT = Account("demo@example.com", "demo-password", 1000)

_XML = "text/xml; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_MAX_CONTROL_BODY = 1 << 20
#: The most ``latency`` accepted: an internet round trip is ~0.1 s; more is a typo.
MAX_LATENCY_SECONDS = 5.0


def check_loopback(host: str) -> str:
    """The address to bind for ``host``; ``ValueError`` unless it is a loopback address.

    ``localhost`` means 127.0.0.1 (resolving it could give an address that is not loopback
    on a misconfigured host, and the URL would be ambiguous between IPv4 and IPv6).
    """
    if host == "localhost":
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"refusing to listen on {host!r}: the make sandbox is a test server and only binds "
            "to a loopback address (127.0.0.1, ::1 or localhost)"
        )
    return host


class SandboxServer:
    """A local make API v1.7 on a loopback port, served from a daemon thread.

    >>> with SandboxServer(port=0, speed=100.0, accounts=[Account("a@b.c", "pw", 100)]) as server:
    ...     server.url  # doctest: +SKIP
    'http://127.0.0.1:PORT/'

    ``speed`` makes the simulated clock (and so every delay of the service) run that many
    times faster than real time. ``access_log`` receives one line per request
    (``GET /apimakesms.php -> 38``); None keeps the server silent. ``latency`` adds that
    many real seconds before every API answer, an internet round trip (for benchmarks of
    concurrency). ``state`` is the live state, for in-process inspection.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        accounts: Iterable[Account] | None = None,
        access_log: TextIO | None = None,
        latency: float = 0.0,
    ) -> None:
        self.host = check_loopback(host)
        if not 0 <= latency <= MAX_LATENCY_SECONDS:
            raise ValueError(f"latency must be from 0 to {MAX_LATENCY_SECONDS:g} seconds, got {latency!r}")
        self.latency = latency  # real seconds added before every API answer
        self.requested_port = port
        self.state = SandboxState([DEFAULT_ACCOUNT] if accounts is None else accounts, SimClock(speed))
        self._access_log = access_log
        self._log_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``); only once started."""
        return self._bound().server_address[1]

    @property
    def url(self) -> str:
        """``http://HOST:PORT/``, trailing slash included; only once started."""
        self._bound()
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def _bound(self) -> _HTTPServer:
        if self._httpd is None:
            raise RuntimeError("the sandbox is not started; call start() or use it as a context manager")
        return self._httpd

    def start(self) -> SandboxServer:
        """Bind the port and serve from a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the sandbox is already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._httpd = _HTTPServer((self.host, self.requested_port), self, family)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="make-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; does nothing when not started."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def log(self, method: str, path: str, outcome: str) -> None:
        """One access-log line: method, path (never the query string) and outcome."""
        if self._access_log is None:
            return
        with self._log_lock:
            self._access_log.write(f"{method} {path} -> {outcome}\n")
            self._access_log.flush()


class _HTTPServer(ThreadingHTTPServer):
    """The standard threading server, bound to a :class:`SandboxServer` and a family."""

    daemon_threads = True
    request_queue_size = 256  # the default listen backlog (5) refuses a burst of clients

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer, family: socket.AddressFamily):
        self.address_family = family
        self.sandbox = sandbox
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Report a crash in one line; the default traceback could quote the query string."""
        error = sys.exc_info()[1]
        self.sandbox.log("-", "-", f"internal error {type(error).__name__}")


class _Handler(BaseHTTPRequestHandler):
    """Routes a request to the API, the control endpoints or the recordings."""

    server: _HTTPServer
    server_version = "make-sandbox/1.7"
    # Keep-alive, like the real API behind its web server: clients that reuse their
    # connections (as MakeClient does) are exercised the way production exercises them.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
    # and the client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True

    # -- routing --------------------------------------------------------------------------

    def do_GET(self) -> None:
        path, _, raw_query = self.path.partition("?")
        if path.startswith(control.PREFIX):
            self._control("GET", path, b"")
        elif api.is_api_path(path):
            self._api(path, raw_query)
        elif path.startswith("/rec/"):
            self._recording(path)
        else:
            self._reply(404, _TEXT, b"not found: no such make API endpoint\n")
            self._log(path, "HTTP 404")

    def do_POST(self) -> None:
        path = self.path.partition("?")[0]
        declared = self.headers.get("Content-Length") or "0"
        length = int(declared) if declared.isascii() and declared.isdigit() else -1
        if not 0 <= length <= _MAX_CONTROL_BODY:
            self._reply(400, _TEXT, b"a JSON body of at most 1 MiB with a valid Content-Length, please\n")
            self._log(path, "HTTP 400")
            return
        body = self.rfile.read(length)
        if path.startswith(control.PREFIX):
            self._control("POST", path, body)
        else:
            status = 405 if api.is_api_path(path) else 404
            self._reply(status, _TEXT, b"the make API is GET only\n" if status == 405 else b"not found\n")
            self._log(path, f"HTTP {status}")

    # -- the three kinds of request -------------------------------------------------------

    def _api(self, path: str, raw_query: str) -> None:
        sandbox = self.server.sandbox
        with sandbox.state.serving():
            if sandbox.latency:
                time.sleep(sandbox.latency)  # the round trip of an API across the internet
            self._answer_api(path, raw_query)

    def _answer_api(self, path: str, raw_query: str) -> None:
        sandbox = self.server.sandbox
        state = sandbox.state
        fault = state.faults.take(path)
        if fault is None:
            answer = api.answer(path, raw_query, state, sandbox.url)
            self._note(path, raw_query, answer)
            self._send_xml(answer, path)
        elif fault.kind is FaultKind.CODE:
            answer = api.forced_failure(path, raw_query, state, fault.code)
            self._note(path, raw_query, answer)
            self._send_xml(answer, path, f" (fault {fault.mode})")
        elif fault.kind in (FaultKind.GARBAGE, FaultKind.HTTP500):
            self._unprocessed(fault, path, raw_query)
        else:  # drop and slow: the request is processed (and charged) first
            answer = api.answer(path, raw_query, state, sandbox.url)
            self._note(path, raw_query, answer)
            if fault.kind is FaultKind.DROP:
                self.close_connection = True  # nothing written: the client sees a closed socket
                self._log(path, f"{answer.summary}, connection dropped (fault drop)")
                return
            time.sleep(fault.seconds)
            self._send_xml(answer, path, f" (fault {fault.mode})")

    def _unprocessed(self, fault: Fault, path: str, raw_query: str) -> None:
        """garbage and http500: the request is logged but nothing is done."""
        state = self.server.sandbox.state
        state.log_request(
            RequestRecord(path, raw_query, api.known_params(raw_query), None, None, time.time())
        )
        if fault.kind is FaultKind.GARBAGE:
            # Echoes the URL, password included, on purpose: see faults.py.
            url = self.server.sandbox.url + self.path.lstrip("/")
            body = f"<html>oops, something went wrong while handling {url}</html>\n"
            self._reply(200, "text/html; charset=utf-8", body.encode("utf-8"))
            self._log(path, "garbage (fault garbage)")
        else:
            self._reply(500, _TEXT, b"Internal Server Error (sandbox fault http500)\n")
            self._log(path, "HTTP 500 (fault http500)")

    def _control(self, method: str, path: str, body: bytes) -> None:
        status, payload = control.handle(method, path, body, self.server.sandbox.state)
        self._reply(status, "application/json", json.dumps(payload).encode("utf-8"))
        self._log(path, f"HTTP {status}")

    def _recording(self, path: str) -> None:
        name = path[len("/rec/") :]
        content = api.recording(name, self.server.sandbox.state) if name.endswith(".mp3") else None
        if content is None:
            self._reply(404, _TEXT, b"no such recording\n")
            self._log(path, "HTTP 404")
        else:
            self._reply(200, "audio/mpeg", content)
            self._log(path, "HTTP 200")

    # -- helpers --------------------------------------------------------------------------

    def _note(self, path: str, raw_query: str, answer: api.ApiAnswer) -> None:
        self.server.sandbox.state.log_request(
            RequestRecord(path, raw_query, answer.params, answer.result_code, answer.tracking_id, time.time())
        )

    def _send_xml(self, answer: api.ApiAnswer, path: str, note: str = "") -> None:
        self._reply(200, _XML, answer.body.encode("utf-8"))
        self._log(path, answer.summary + note)

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. timed out on a slow fault)

    def _log(self, path: str, outcome: str) -> None:
        self.server.sandbox.log(self.command, path, outcome)

    # -- silence the standard logging, which prints the request line ----------------------

    def log_message(self, format: str, *args: object) -> None:
        """Never print: the request line carries the password."""

    def log_error(self, format: str, *args: object) -> None:
        """Log only the status of a request http.server rejected (malformed, too long...)."""
        status = args[0] if args and isinstance(args[0], int) else "error"
        self.server.sandbox.log(self.command or "-", "-", f"HTTP {status}")
