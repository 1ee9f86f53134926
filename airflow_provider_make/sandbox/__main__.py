"""Command line: ``python -m airflow_provider_make.sandbox [options]``.

The first line on stdout is exactly ``make sandbox listening on http://HOST:PORT/``
(flushed at once) so a script or a test can start the sandbox with ``--port 0`` and
read the port it got. The access log goes to stderr and never shows a query string,
since the password is in it. SIGINT and SIGTERM stop the server cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .server import DEFAULT_ACCOUNT, SandboxServer, check_loopback
from .state import Account


def parse_account(text: str) -> Account:
    """``EMAIL:PASSWORD:CREDITS``; the password may contain ``:`` (split on the first and last)."""
    login, first, rest = text.partition(":")
    password, last, credits = rest.rpartition(":")
    if not first or not last or not login:
        raise argparse.ArgumentTypeError(f"expected EMAIL:PASSWORD:CREDITS, got {_mask(text)!r}")
    if not (credits.isascii() and credits.isdigit()):
        raise argparse.ArgumentTypeError(f"credits must be a non-negative integer in {_mask(text)!r}")
    return Account(login, password, int(credits))


def _mask(text: str) -> str:
    """The account argument with its password hidden, for error messages."""
    login, first, rest = text.partition(":")
    if not first:
        return "***"
    _, last, credits = rest.rpartition(":")
    return f"{login}:***:{credits}" if last else f"{login}:***"


def _loopback(text: str) -> str:
    try:
        check_loopback(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0..65535 (0: any free port), got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_make.sandbox",
        description="A local make API v1.7 for tests and demos: nothing is rung or sent, no credit is spent.",
    )
    parser.add_argument(
        "--host",
        type=_loopback,
        default="127.0.0.1",
        help="loopback address to bind (default 127.0.0.1); other addresses are refused",
    )
    parser.add_argument("--port", type=_port, default=0, help="port to bind; 0 (default) picks a free one")
    parser.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="the simulated clock runs this many times faster than real time (default 1)",
    )
    parser.add_argument(
        "--account",
        type=parse_account,
        action="append",
        default=None,
        metavar="EMAIL:PASSWORD:CREDITS",
        help=f"an account (repeatable); default {DEFAULT_ACCOUNT.login} with password "
        f"{DEFAULT_ACCOUNT.password} and {DEFAULT_ACCOUNT.credits} credits",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="real seconds added before every API answer, like an internet round trip (default 0)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until SIGINT or SIGTERM."""
    options = build_parser().parse_args(argv)
    accounts: list[Account] | None = options.account
    try:
        server = SandboxServer(
            host=options.host,
            port=options.port,
            speed=options.speed,
            accounts=accounts,
            access_log=None if options.quiet else sys.stderr,
            latency=options.latency,
        )
        server.start()
    except (ValueError, OSError) as error:
        print(f"make sandbox: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"make sandbox listening on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    if not options.quiet:
        print("make sandbox stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
