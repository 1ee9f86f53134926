"""The synchronous driver: moves the pipeline's bytes with one reused ``requests.Session``.

The URL carrying the password exists here only as a local variable; no exception of
``requests`` (whose messages quote it) leaves this module, and none is chained.

``requests`` has no total timeout: its read timeout applies to each socket read, so a
server trickling one byte a second could hold a call for ever. A watchdog thread shuts
the socket of an exchange that outlives its deadline, which makes the blocked read fail
at once; the connection classes below tell it the socket when they open or send on it.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from dataclasses import dataclass
from http.client import HTTPException
from typing import TYPE_CHECKING, Any, TypeVar

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError

from airflow_provider_make.client import pipeline
from airflow_provider_make.client.pipeline import Answer, Cause, Failure, Transmit
from airflow_provider_make.client.redaction import guard_http_loggers

if TYPE_CHECKING:
    import requests

    from airflow_provider_make.client.calls import ApiCall
    from airflow_provider_make.client.settings import ClientSettings

T = TypeVar("T")
_CHUNK = 16 * 1024


@dataclass(eq=False)
class _Watch:
    """One exchange's deadline, and the socket it is using."""

    deadline: float
    sock: socket.socket | None = None
    fired: bool = False
    written: bool = False  # the request began to be written (after any connect and TLS handshake)


class _Watchdog:
    """One daemon thread for the process: shuts the socket of any exchange past its deadline.

    It sleeps until the earliest deadline it watches; an exchange wakes it only when its
    deadline comes sooner, so a call costs a set insertion and removal, not a thread wake-up.
    """

    def __init__(self) -> None:
        self._watches: set[_Watch] = set()
        self._watches_changed = threading.Condition()  # guards _watches and _wakes_at
        self._wakes_at = math.inf
        self._thread: threading.Thread | None = None
        self.current = threading.local()

    def watch(self, deadline: float) -> _Watch:
        """Start watching the calling thread's exchange, until :meth:`release`."""
        watch = _Watch(deadline)
        self.current.watch = watch
        with self._watches_changed:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="make-deadlines", daemon=True)
                self._thread.start()
            elif deadline < self._wakes_at:
                self._watches_changed.notify()
        return watch

    def release(self, watch: _Watch) -> None:
        self.current.watch = None
        with self._watches_changed:
            self._watches.discard(watch)

    def note(self, sock: socket.socket | None, *, writing: bool = False) -> None:
        """Record the socket the calling thread's exchange is using, and whether the request
        is being written on it (called by the connections)."""
        watch = getattr(self.current, "watch", None)
        if watch is not None:
            watch.written |= writing
            if sock is not None:
                watch.sock = sock
                if watch.fired:  # the deadline passed while connecting
                    _shut(sock)

    def _run(self) -> None:
        with self._watches_changed:
            while True:
                now = time.monotonic()
                for watch in self._watches:
                    if watch.deadline <= now and not watch.fired:
                        watch.fired = True
                        if watch.sock is not None:
                            _shut(watch.sock)
                self._wakes_at = min((w.deadline for w in self._watches if not w.fired), default=math.inf)
                self._watches_changed.wait(None if self._wakes_at == math.inf else self._wakes_at - now)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        WATCHDOG.note(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        # An https:// connection (or a proxy's tunnel) is open and its handshake done by now.
        WATCHDOG.note(self.sock, writing=True)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


_POOL_CLASSES = {
    "http": type("_WatchedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": _WatchedHTTPConnection}),
    "https": type("_WatchedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": _WatchedHTTPSConnection}),
}


def _watched_session(may_use_proxy: bool) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    class WatchedAdapter(HTTPAdapter):
        """Opens connections the watchdog can see, direct or through a proxy's tunnel."""

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = _POOL_CLASSES
            return manager

    session = requests.Session()
    session.headers.update({"User-Agent": pipeline.USER_AGENT, "Accept-Encoding": pipeline.ACCEPT_ENCODING})
    session.trust_env = may_use_proxy  # ClientSettings.may_use_proxy; False also saves two env scans a call
    for prefix in ("http://", "https://"):
        session.mount(prefix, WatchedAdapter())
    return session


class MakeClient:
    """The synchronous driver: ``request(call)`` returns the call's result; one session for its life."""

    def __init__(self, settings: ClientSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self._session = session
        guard_http_loggers(settings.password)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = _watched_session(self.settings.may_use_proxy)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> MakeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(self, call: ApiCall[T]) -> T:
        """Run ``call``'s exchange; its result, or the :class:`MakeError` that says why not."""
        return pipeline.drive(call, self.settings, self._transmit)

    def _transmit(self, step: Transmit) -> Answer | Failure:
        timeout = (self.settings.connect_timeout, step.read_timeout(self.settings))
        url = pipeline.build_url(self.settings, step.call)
        watch = WATCHDOG.watch(step.deadline)
        try:
            with self.session.get(url, timeout=timeout, allow_redirects=False, stream=True) as response:
                answer = Answer(
                    response.status_code, response.reason, response.headers.get("Content-Encoding")
                )
                for chunk in response.raw.stream(_CHUNK, decode_content=False):
                    if answer.add(chunk):
                        break
                return answer
        except (HTTPError, HTTPException, OSError, ValueError) as exc:  # requests', or urllib3's mid-body
            failure = pipeline.failure_of(exc, _cause(exc), written=watch.written)
        except BaseException as exc:  # noqa: BLE001 - re-raised, without the frames below (URL in locals)
            raise exc.with_traceback(None) from None
        finally:
            url = response = None  # type: ignore[assignment]  # ours (and the response's) too
            WATCHDOG.release(watch)
        return Failure(Cause.DEADLINE, written=watch.written) if watch.fired else failure


def _cause(exc: Exception) -> Cause:
    """What an exception of ``requests`` (or of urllib3, reading the body) says happened."""
    import requests
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return Cause.CONNECT_TIMEOUT
    if isinstance(exc, requests.exceptions.SSLError):  # its chain does not reach the ssl.SSLError
        return Cause.TLS
    if isinstance(exc, requests.ReadTimeout):
        return Cause.READ_TIMEOUT
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        connect = isinstance(getattr(reason, "reason", reason), (NewConnectionError, NameResolutionError))
        return Cause.CONNECT if connect else Cause.BROKEN
    return Cause.BROKEN if type(exc).__module__.startswith("urllib3") else Cause.OTHER
