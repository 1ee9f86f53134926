"""How to reach the API: base URL, credentials, timeouts, and the checks that keep them safe."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_make.client.errors import MakeConfigurationError
from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.client.validation import shown

DEFAULT_BASE_URL = "https://makesms.fr/"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
MAX_TIMEOUT = 600.0
_PATH = re.compile(r"/?[A-Za-z0-9._\-/]+")  # a relative path: no query, scheme or odd characters

_ENDPOINTS = {kind.endpoint for kind in RequestKind} | {"tracking", "credits"}


def _is_loopback(host: str) -> bool:
    with contextlib.suppress(ValueError):
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    return False


def normalise_base_url(raw: str | None, port: int | None = None) -> str:
    """The API's base URL, ending in '/' (empty: ``https://makesms.fr/``; a bare host gets ``https://``;
    ``port`` goes after the host unless it has one). Plain ``http://`` only for a loopback host (the
    sandbox): the password travels in the query string and must not cross a network in clear (spec
    decision 12)."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_BASE_URL
    if any(char.isspace() or not char.isprintable() for char in text):
        raise MakeConfigurationError("the base URL contains spaces or control characters")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The URL is not quoted: it may carry credentials (ftp://user:secret@host).
        raise MakeConfigurationError(
            f"the base URL is not an http(s) URL (scheme {parts.scheme[:10]!r}); "
            f"leave it empty for {DEFAULT_BASE_URL}"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise MakeConfigurationError(
            "the base URL must not carry credentials, a query or a fragment: put the account "
            "e-mail and password in the connection's login and password fields"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise MakeConfigurationError(
            f"the base URL uses plain http:// for {parts.hostname}: the password travels in the "
            "query string, so http:// is allowed only for a loopback address (the sandbox); use https://"
        )
    if port and parts.port is None:
        text = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))
    return text if text.endswith("/") else text + "/"


def _seconds(name: str, value: object, default: float) -> float:
    """A timeout from the connection: a number (or numeric text) of seconds, above 0, at most 600."""
    if value is None or value == "":
        return default
    number = math.nan
    with contextlib.suppress(ValueError):  # also from str() of an int of over 4,300 digits
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and len(str(value)) <= 20:
            number = float(value)
    if not 0 < number <= MAX_TIMEOUT:  # also refuses NaN
        raise MakeConfigurationError(
            f"{name} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {shown(value)}"
        )
    return number


@dataclass(frozen=True)
class ClientSettings:
    """Everything the client needs; built once per connection, every field checked."""

    login: str
    password: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    default_region: str | None = None  # "FR": lets national numbers like 06... through
    endpoints: Mapping[str, str] = field(default_factory=dict)  # path overrides, spec decision 2
    #: The deadline of one whole exchange: connect, headers, body and every retry.
    #: None: connect_timeout + read_timeout.
    total_timeout: float | None = None

    def __post_init__(self) -> None:
        url = normalise_base_url(self.base_url)
        for name, what in (("login", "e-mail address"), ("password", "password")):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise MakeConfigurationError(f"the connection has no {name}: set the make account's {what}")
        connect = _seconds("connect_timeout", self.connect_timeout, DEFAULT_CONNECT_TIMEOUT)
        read = _seconds("read_timeout", self.read_timeout, DEFAULT_READ_TIMEOUT)
        total = _seconds("total_timeout", self.total_timeout, connect + read)
        # Frozen: the checked values go in past __setattr__.
        vars(self).update(base_url=url, connect_timeout=connect, read_timeout=read, total_timeout=total)
        if self.default_region is not None:
            region = self.default_region.strip().upper() if isinstance(self.default_region, str) else ""
            if len(region) != 2 or not region.isascii() or not region.isalpha():
                raise MakeConfigurationError(
                    "default_region must be a two-letter country code like 'FR', "
                    f"got {shown(self.default_region)}"
                )
            vars(self)["default_region"] = region
        if not isinstance(self.endpoints, Mapping):
            raise MakeConfigurationError(
                'endpoints must be an object of paths like {"ring_plus": "apimakeringplus.php"}, '
                f"got {shown(self.endpoints)}"
            )
        for name, path in self.endpoints.items():
            if name not in _ENDPOINTS:
                raise MakeConfigurationError(
                    f"endpoints: unknown name {shown(name)}; known: {', '.join(sorted(_ENDPOINTS))}"
                )
            if not isinstance(path, str) or not path or len(path) > 200 or not _PATH.fullmatch(path):
                raise MakeConfigurationError(
                    f"endpoints: {name} must be a relative path like 'apimaking.php'"
                )

    @classmethod
    def from_connection(
        cls, *, login: str | None, password: str | None, host: str | None, port: int | None, extra: object
    ) -> ClientSettings:
        """The settings of a ``make`` connection: ``host`` is the base URL, with ``port``. Extras (maybe
        with the UI's old ``extra__make__`` prefix): ``default_region``, ``connect_timeout``, ``read_timeout``
        (or ``timeout`` for both), ``total_timeout``, ``endpoints`` (path overrides, spec decision 2)."""
        extras = _json_object("extra", extra or {}).items()
        values = {key.removeprefix("extra__make__"): item for key, item in extras if item not in ("", None)}
        endpoints = values.get("endpoints", {})
        timeout: Any = values.get("timeout")
        _seconds("timeout", timeout, 0.0)  # checked under the name the user wrote
        return cls(
            login=(login or "").strip(),
            password=password or "",
            base_url=normalise_base_url(host, port),
            connect_timeout=values.get("connect_timeout", timeout),
            read_timeout=values.get("read_timeout", timeout),
            total_timeout=values.get("total_timeout"),
            default_region=values.get("default_region"),
            endpoints=_json_object("endpoints", endpoints) if isinstance(endpoints, str) else endpoints,
        )

    def __repr__(self) -> str:
        return f"ClientSettings(login={self.login!r}, password='***', base_url={self.base_url!r})"

    @property
    def may_use_proxy(self) -> bool:
        """The one proxy policy of every driver: never for loopback (127.0.0.0/8, ::1), the only
        host plain http:// may reach (a proxy would see its password); https:// is tunnelled.
        A driver given True honours the environment's ``*_PROXY`` and ``NO_PROXY``."""
        return not _is_loopback(urlsplit(self.base_url).hostname or "")

    @property
    def proxy_named(self) -> bool:
        """Whether the environment names a proxy this connection may use (``NO_PROXY`` not read:
        a driver that cannot go through proxies leaves such a connection to one that can)."""
        if not self.may_use_proxy:
            return False
        import urllib.request

        proxies = urllib.request.getproxies()
        return bool(proxies.get(urlsplit(self.base_url).scheme) or proxies.get("all"))

    def path_for(self, endpoint: str, default_path: str) -> str:
        """The path of an endpoint, honouring the connection's overrides."""
        return self.endpoints.get(endpoint, default_path).lstrip("/")


def _json_object(name: str, raw: object) -> Mapping[str, Any]:
    """A JSON object given as a dict or as JSON text; anything else is a configuration error."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if len(raw) <= 100_000 else None
        except (ValueError, RecursionError):
            raise MakeConfigurationError(f"the connection's {name} is not valid JSON") from None
    if not isinstance(raw, Mapping):
        raise MakeConfigurationError(f"the connection's {name} must be a JSON object, got {shown(raw)}")
    return raw
