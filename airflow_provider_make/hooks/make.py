"""MakeHook: the make API for Airflow, on top of the Airflow-free client layer."""

from __future__ import annotations

import contextlib
import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from airflow_provider_make.client import calls
from airflow_provider_make.client.errors import MakeConfigurationError, MakeError, MakeTrackingNotReadyError
from airflow_provider_make.client.redaction import secret_forms
from airflow_provider_make.client.result_codes import Action
from airflow_provider_make.client.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    ClientSettings,
    with_port,
)
from airflow_provider_make.client.tracking import is_done
from airflow_provider_make.client.transport import MakeClient
from airflow_provider_make.exceptions import to_airflow_exception

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from airflow.sdk import Connection

    from airflow_provider_make.client.async_transport import AsyncMakeClient
    from airflow_provider_make.client.responses import SendResult
    from airflow_provider_make.client.tracking import AnyTracking


@contextlib.contextmanager
def airflow_errors() -> Iterator[None]:
    """Re-raise the client layer's errors as their Airflow classes (see ``exceptions``)."""
    try:
        yield
    except MakeError as error:
        converted = to_airflow_exception(error)
    else:
        return
    # "from None": the traceback shows one clear error, not the same one twice.
    raise converted from None


def _mask(password: str) -> None:
    """Register the password and its URL-encoded forms with Airflow's secrets masker."""
    from airflow.sdk.log import mask_secret

    for form in secret_forms(password):
        mask_secret(form)


async def _amask(password: str) -> None:
    """:func:`_mask` for the event loop (the sync version would round-trip through greenback)."""
    from airflow.sdk.log import amask_secret

    for form in secret_forms(password):
        await amask_secret(form)


def settings_from_connection(conn: Connection, *, mask: bool = True) -> ClientSettings:
    """Build the client settings from an Airflow connection of type ``make``.

    ``host`` is the API base URL (empty: ``https://makesms.fr/``); ``port``, when set, is
    added to it. Extra fields: ``default_region``, ``connect_timeout``, ``read_timeout``
    (or ``timeout`` for both), ``endpoints`` (path overrides, spec decision 2).
    """
    password = conn.password or ""
    if mask:
        _mask(password)
    extra = _extra(conn)
    base_url = with_port((conn.host or "").strip(), conn.port)
    timeout = extra.get("timeout")
    endpoints = extra.get("endpoints") or {}
    if isinstance(endpoints, str):
        endpoints = _json_object(endpoints, "endpoints")
    return ClientSettings(
        login=(conn.login or "").strip(),
        password=password,
        base_url=base_url or DEFAULT_BASE_URL,
        connect_timeout=_seconds(
            extra.get("connect_timeout", timeout), DEFAULT_CONNECT_TIMEOUT, "connect_timeout"
        ),
        read_timeout=_seconds(extra.get("read_timeout", timeout), DEFAULT_READ_TIMEOUT, "read_timeout"),
        default_region=(extra.get("default_region") or None),
        endpoints=endpoints,
    )


def _extra(conn: Connection) -> dict[str, Any]:
    raw = conn.extra
    if not raw:
        return {}
    value = _json_object(raw, "extra") if isinstance(raw, str) else raw
    # The UI may store fields with the old ``extra__make__`` prefix; accept both.
    return {key.removeprefix("extra__make__"): item for key, item in value.items() if item not in ("", None)}


def _json_object(raw: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise MakeConfigurationError(f"the connection's {name} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MakeConfigurationError(f"the connection's {name} must be a JSON object")
    return value


def _seconds(value: Any, default: float, name: str) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MakeConfigurationError(f"{name} must be a number of seconds, got {value!r}") from None


class MakeHook(BaseHook):
    """Talk to the make API (makesms.fr): rings, calls, recorded calls, SMS, tracking, credits.

    The connection is read on first use, not in the constructor, and one HTTP session
    is reused for the hook's life. Every argument is checked before a request leaves;
    errors are Airflow exceptions that tell the task what to do (see
    :mod:`airflow_provider_make.exceptions`).

    :param make_conn_id: the Airflow connection of type ``make``.
    """

    conn_name_attr = "make_conn_id"
    default_conn_name = "make_default"
    conn_type = "make"
    hook_name = "Make (makesms.fr)"

    def __init__(self, make_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.make_conn_id = make_conn_id

    def __repr__(self) -> str:
        return f"MakeHook(make_conn_id={self.make_conn_id!r})"

    @cached_property
    def settings(self) -> ClientSettings:
        """The connection's settings, read once."""
        with airflow_errors():
            return settings_from_connection(self.get_connection(self.make_conn_id))

    async def aget_settings(self) -> ClientSettings:
        """The connection's settings, fetched without blocking the event loop."""
        if "settings" not in self.__dict__:
            conn = await self.aget_connection(self.make_conn_id)
            await _amask(conn.password or "")
            with airflow_errors():
                self.__dict__["settings"] = settings_from_connection(conn, mask=False)
        return self.settings

    @cached_property
    def client(self) -> MakeClient:
        """The synchronous client, with its one ``requests.Session``."""
        return MakeClient(self.settings)

    def get_conn(self) -> MakeClient:
        """The client (Airflow's usual accessor)."""
        return self.client

    async def aget_client(self) -> AsyncMakeClient:
        """The asynchronous client, sharing the event loop's ``httpx.AsyncClient``."""
        from airflow_provider_make.client.async_transport import AsyncMakeClient

        return AsyncMakeClient(await self.aget_settings())

    def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if "client" in self.__dict__:
            self.client.close()

    # ------------------------------------------------------------------ sends

    def ring(self, caller: str, callee: str, *, delay_seconds: int | None = None) -> SendResult:
        """makeRing: make ``callee``'s phone ring, showing ``caller``."""
        with airflow_errors():
            return self.client.ring(caller, callee, delay_seconds=delay_seconds)

    def ring_plus(self, pairs: Iterable[Sequence[str]], *, delay_seconds: int | None = None) -> SendResult:
        """makeRing+: 2 to 10 ``(caller, callee)`` makeRings in one request."""
        with airflow_errors():
            return self.client.ring_plus(pairs, delay_seconds=delay_seconds)

    def ringun(
        self, prefix: str, caller: str, callees: Iterable[str], *, delay_seconds: int | None = None
    ) -> SendResult:
        """makeRingun: ring 1 to 100 national numbers of country ``prefix`` from ``caller``."""
        with airflow_errors():
            return self.client.ringun(prefix, caller, callees, delay_seconds=delay_seconds)

    def call(self, caller: str, callee: str, *, delay_seconds: int | None = None) -> SendResult:
        """makeCall: ring ``callee``, then bridge ``caller`` in once the callee answers."""
        with airflow_errors():
            return self.client.call(caller, callee, delay_seconds=delay_seconds)

    def call_plus(
        self,
        caller: str,
        callee: str,
        *,
        max_duration_minutes: int,
        recording_notice: bool,
        delay_seconds: int | None = None,
    ) -> SendResult:
        """makeCall+: a recorded makeCall; ``recording_notice=True`` is the caller's commitment."""
        with airflow_errors():
            return self.client.call_plus(
                caller,
                callee,
                max_duration_minutes=max_duration_minutes,
                recording_notice=recording_notice,
                delay_seconds=delay_seconds,
            )

    def sms(
        self, sender: str, recipient: str, catalog_code: str | int, *, delay_seconds: int | None = None
    ) -> SendResult:
        """makeSms: send the message ``catalog_code`` of the account's SMS catalog."""
        with airflow_errors():
            return self.client.sms(sender, recipient, catalog_code, delay_seconds=delay_seconds)

    def sms_plus(
        self,
        sender: str,
        recipient: str,
        message: str,
        *,
        delay_seconds: int | None = None,
        transliterate: bool = False,
    ) -> SendResult:
        """makeSms+: send ``message`` (GSM 03.38 basic alphabet; ``transliterate`` for French accents)."""
        with airflow_errors():
            return self.client.sms_plus(
                sender, recipient, message, delay_seconds=delay_seconds, transliterate=transliterate
            )

    # ------------------------------------------------------------------ reads

    def get_tracking(self, tracking_id: str) -> AnyTracking:
        """The tracking log of a request (112 "too early" and 110 "unknown" raise)."""
        with airflow_errors():
            return self.client.get_tracking(tracking_id)

    async def aget_tracking(self, tracking_id: str) -> AnyTracking:
        """:meth:`get_tracking` for the event loop."""
        client = await self.aget_client()
        with airflow_errors():
            return await client.get_tracking(tracking_id)

    def poll_tracking(self, tracking_id: str, *, wait_for_follow_up: bool = False) -> AnyTracking | None:
        """The tracking log once the request is finished (spec decision 8), else None.

        "Too early" (112) counts as not finished and "unknown" (110) raises (spec
        decision 9). A failure worth retrying (0, 111, a dropped connection) counts as not
        finished too: a read is safe to repeat, and the trigger waits through them the
        same way. With ``wait_for_follow_up``, a makeSms+ is finished once its follow-up
        SMS is sent.
        """
        try:
            tracking = self.get_tracking(tracking_id)
        except MakeTrackingNotReadyError:
            self.log.info(
                "The tracking log of %s is not available yet (it appears 10 s after the request)", tracking_id
            )
            return None
        except MakeError as error:
            if error.action is not Action.RETRY:
                raise
            self.log.warning("Reading the tracking log of %s failed, will look again: %s", tracking_id, error)
            return None
        return tracking if is_done(tracking, wait_for_follow_up=wait_for_follow_up) else None

    async def apoll_tracking(
        self, tracking_id: str, *, wait_for_follow_up: bool = False
    ) -> AnyTracking | None:
        """:meth:`poll_tracking` for the event loop."""
        try:
            tracking = await self.aget_tracking(tracking_id)
        except MakeTrackingNotReadyError:
            return None
        return tracking if is_done(tracking, wait_for_follow_up=wait_for_follow_up) else None

    def get_credits(self) -> int:
        """The account's balance, as an int (0 also for wrong credentials: see test_connection)."""
        with airflow_errors():
            return self.client.get_credits()

    def tracking_url(self, tracking_id: str) -> str:
        """The URL of a request's tracking log; it needs no password, so it can be shown."""
        call = calls.tracking(tracking_id)
        path = self.settings.path_for(call.endpoint, call.default_path)
        return f"{self.settings.base_url}{path}?{call.query_string}"

    def test_connection(self) -> tuple[bool, str]:
        """Check the connection with the credits request, honestly.

        The API answers "success, 0 credits" for a wrong e-mail or password as well as
        for an empty account (spec decision 10), so 0 credits is reported as a failure
        that says so, never as a success.
        """
        try:
            settings = settings_from_connection(self.get_connection(self.make_conn_id))
            with MakeClient(settings) as client:
                credits = client.get_credits()
        except MakeError as error:
            return False, str(error)
        where = settings.base_url
        if credits == 0:
            return False, (
                f"Reached the make API at {where}, but it reports 0 credits for {settings.login}. "
                "The API answers 0 both for a wrong e-mail or password and for an empty account, so "
                "this cannot tell them apart: check the login and password, then the balance on makesms.fr."
            )
        return True, f"Connected to the make API at {where}: account {settings.login} has {credits} credits."
