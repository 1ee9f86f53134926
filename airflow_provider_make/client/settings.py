"""How to reach the API: base URL, credentials, timeouts, and the checks that keep them safe."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_make.client.errors import MakeConfigurationError
from airflow_provider_make.client.kinds import RequestKind

DEFAULT_BASE_URL = "https://makesms.fr/"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0

_ENDPOINTS = {kind.endpoint for kind in RequestKind} | {"tracking", "credits"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(raw: str | None) -> str:
    """The API's base URL, ending in '/'. Empty means ``https://makesms.fr/``.

    A bare host (``makesms.fr``) gets ``https://``. Plain ``http://`` is refused unless
    the host is a loopback address (the sandbox): the password travels in the query
    string and must not cross a network in clear (spec decision 12).
    """
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
    return text if text.endswith("/") else text + "/"


@dataclass(frozen=True)
class ClientSettings:
    """Everything the client needs; built once per connection."""

    login: str
    password: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    default_region: str | None = None  # "FR": lets national numbers like 06... through
    endpoints: Mapping[str, str] = field(default_factory=dict)  # path overrides, spec decision 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", normalise_base_url(self.base_url))
        if not self.login:
            raise MakeConfigurationError(
                "the connection has no login: set it to the make account's e-mail address"
            )
        if not self.password:
            raise MakeConfigurationError("the connection has no password: set the make account's password")
        for name, value in (("connect_timeout", self.connect_timeout), ("read_timeout", self.read_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
                raise MakeConfigurationError(f"{name} must be a number of seconds above 0 and at most 600")
        if self.default_region is not None:
            region = self.default_region.strip().upper()
            if len(region) != 2 or not region.isalpha():
                raise MakeConfigurationError(
                    f"default_region must be a two-letter country code like 'FR', got {self.default_region!r}"
                )
            object.__setattr__(self, "default_region", region)
        unknown = set(self.endpoints) - _ENDPOINTS
        if unknown:
            raise MakeConfigurationError(
                f"endpoints: unknown name(s) {sorted(unknown)}; known: {sorted(_ENDPOINTS)}"
            )
        for name, path in self.endpoints.items():
            if not isinstance(path, str) or not path or "?" in path or "://" in path:
                raise MakeConfigurationError(
                    f"endpoints: {name} must be a relative path like 'apimaking.php'"
                )

    def __repr__(self) -> str:
        return f"ClientSettings(login={self.login!r}, password='***', base_url={self.base_url!r})"

    @property
    def is_loopback(self) -> bool:
        """Whether the API is on this machine (the sandbox)."""
        return _is_loopback(urlsplit(self.base_url).hostname or "")

    def path_for(self, endpoint: str, default_path: str) -> str:
        """The path of an endpoint, honouring the connection's overrides."""
        return self.endpoints.get(endpoint, default_path).lstrip("/")

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) timeouts in seconds, always set."""
        return (self.connect_timeout, self.read_timeout)


def with_port(base_url: str, port: int | None) -> str:
    """``base_url`` with ``port`` put after the host (not after the path), unless it has one."""
    if not port or not base_url:
        return base_url
    text = base_url if "://" in base_url else "https://" + base_url
    parts = urlsplit(text)
    if parts.port is not None:
        return text
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))
