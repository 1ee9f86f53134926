"""The ``/_sandbox/`` control endpoints: how a test drives and inspects the sandbox.

They speak JSON (in and out) and are deliberately not part of the make API: they never
appear in the request log and faults never hit them.

=========================  =====================================================================
``GET /_sandbox/health``    ``{"ok": true}``
``GET /_sandbox/requests``  every API request received, in order
``POST /_sandbox/reset``    start-up accounts and balances back; requests, tracking, faults forgotten
``GET /_sandbox/accounts``  ``[{"login", "credits"}]`` (never the passwords)
``POST /_sandbox/accounts`` ``{"login", "password", "credits"}``: create or replace an account
``GET /_sandbox/faults``    the queued faults, ``[{"mode", "count", "path"}]``
``POST /_sandbox/faults``   ``{"mode", "count": 1, "path": null}``: queue a fault (see :mod:`.faults`)
``GET /_sandbox/clock``     ``{"now", "speed"}``: the simulated time
``POST /_sandbox/clock``    ``{"advance": SECONDS}``: jump the simulated clock forward
=========================  =====================================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from . import api
from .faults import parse_mode
from .state import Account, SandboxState

PREFIX = "/_sandbox/"

#: A status code and the JSON-serialisable payload to send with it.
Reply = tuple[int, object]
_Route = Callable[[SandboxState, bytes], Reply]


def handle(method: str, path: str, body: bytes, state: SandboxState) -> Reply:
    """Answer one control request; ``path`` starts with :data:`PREFIX`."""
    methods = _ROUTES.get(path[len(PREFIX) :].strip("/"))
    if methods is None:
        return 404, {"error": f"no control endpoint {path}"}
    route = methods.get(method)
    if route is None:
        return 405, {"error": f"{method} is not supported on {path}; use {' or '.join(methods)}"}
    return route(state, body)


def _health(state: SandboxState, body: bytes) -> Reply:
    return 200, {"ok": True, "max_in_flight": state.max_in_flight}


def _requests(state: SandboxState, body: bytes) -> Reply:
    return 200, [entry.to_json() for entry in state.requests()]


def _reset(state: SandboxState, body: bytes) -> Reply:
    state.reset()
    return 200, {"ok": True}


def _accounts(state: SandboxState, body: bytes) -> Reply:
    return 200, [{"login": account.login, "credits": account.credits} for account in state.accounts()]


def _put_account(state: SandboxState, body: bytes) -> Reply:
    payload = _json_object(body)
    if isinstance(payload, str):
        return 400, {"error": payload}
    login, password, credits = payload.get("login"), payload.get("password"), payload.get("credits")
    if not isinstance(login, str) or not isinstance(password, str):
        return 400, {"error": "login and password must be strings"}
    if not isinstance(credits, int) or isinstance(credits, bool):
        return 400, {"error": "credits must be an integer"}
    try:
        account = Account(login, password, credits)
    except ValueError as error:
        return 400, {"error": str(error)}
    state.put_account(account)
    return 200, {"login": account.login, "credits": account.credits}


def _faults(state: SandboxState, body: bytes) -> Reply:
    return 200, [
        {"mode": fault.mode, "count": count, "path": fault.path} for fault, count in state.faults.pending()
    ]


def _add_fault(state: SandboxState, body: bytes) -> Reply:
    payload = _json_object(body)
    if isinstance(payload, str):
        return 400, {"error": payload}
    mode, count, path = payload.get("mode"), payload.get("count", 1), payload.get("path")
    if not isinstance(mode, str):
        return 400, {"error": "mode must be a string such as 'code:111', 'garbage' or 'slow:2'"}
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return 400, {"error": "count must be a positive integer"}
    if path is not None:
        if not isinstance(path, str):
            return 400, {"error": "path must be a string such as '/apimakesms.php'"}
        path = path if path.startswith("/") else f"/{path}"
        if not api.is_api_path(path):
            return 400, {"error": f"{path} is not an API path: {sorted(api.API_PATHS)}"}
    try:
        fault = parse_mode(mode, path)
    except ValueError as error:
        return 400, {"error": str(error)}
    state.faults.add(fault, count)
    return 200, {"mode": fault.mode, "count": count, "path": fault.path}


def _clock(state: SandboxState, body: bytes) -> Reply:
    return 200, {"now": state.clock.now(), "speed": state.clock.speed}


def _advance(state: SandboxState, body: bytes) -> Reply:
    payload = _json_object(body)
    if isinstance(payload, str):
        return 400, {"error": payload}
    seconds = payload.get("advance")
    if (
        not isinstance(seconds, (int, float))
        or isinstance(seconds, bool)
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        return 400, {"error": "advance must be a non-negative number of simulated seconds"}
    return 200, {"now": state.clock.advance(seconds), "speed": state.clock.speed}


_ROUTES: dict[str, dict[str, _Route]] = {
    "health": {"GET": _health},
    "requests": {"GET": _requests},
    "reset": {"POST": _reset},
    "accounts": {"GET": _accounts, "POST": _put_account},
    "faults": {"GET": _faults, "POST": _add_fault},
    "clock": {"GET": _clock, "POST": _advance},
}


def _json_object(body: bytes) -> dict[str, object] | str:
    """The body as a JSON object, or a message saying why it is not one."""
    try:
        payload = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return "the body must be a JSON object"
    if not isinstance(payload, dict):
        return "the body must be a JSON object"
    return payload
