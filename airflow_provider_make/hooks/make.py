"""MakeHook: the make API for Airflow, on top of the Airflow-free client layer (``client/``).

Every request method hands its arguments by name to its builder in ``client/calls.py``
through :meth:`MakeHook.run`; a tracking read that waits goes through :mod:`.waiting`. Errors
come out as Airflow exceptions (:mod:`airflow_provider_make.exceptions`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseHook

from airflow_provider_make.client import calls
from airflow_provider_make.client import validation as check
from airflow_provider_make.client.errors import MakeError
from airflow_provider_make.client.redaction import secret_forms
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.sync_driver import MakeClient
from airflow_provider_make.exceptions import to_airflow_exception

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_make.client.answers import SendResult
    from airflow_provider_make.client.calls import ApiCall
    from airflow_provider_make.client.tracking import AnyTracking

T = TypeVar("T")


@contextlib.contextmanager
def airflow_errors() -> Iterator[None]:
    """Re-raise the client layer's errors as their Airflow classes, showing one traceback, not two."""
    try:
        yield
    except MakeError as error:
        raise to_airflow_exception(error) from None


def settings_from_connection(conn: Connection) -> ClientSettings:
    """The client settings of an Airflow connection of type ``make``."""
    return ClientSettings.from_connection(
        login=conn.login, password=conn.password, host=conn.host, port=conn.port, extra=conn.extra
    )


class MakeHook(BaseHook):
    """Talk to the make API (makesms.fr): rings, calls, recorded calls, SMS, tracking, credits.

    The connection is read on first use; one HTTP session serves the hook's life.

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

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's fields: Airflow 3.1 reads them here, later ones from the provider info."""
        from airflow_provider_make.get_provider_info import get_provider_info

        behaviour: dict[str, Any] = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
        return behaviour

    @cached_property
    def settings(self) -> ClientSettings:
        """The connection's settings, read once; the password's forms go to the secrets masker."""
        from airflow_provider_make.compat import mask_secret

        conn = self.get_connection(self.make_conn_id)
        for form in secret_forms(conn.password or ""):
            mask_secret(form)
        with airflow_errors():
            return settings_from_connection(conn)

    async def aget_settings(self) -> ClientSettings:
        """:attr:`settings`, without blocking the event loop."""
        if "settings" not in self.__dict__:
            from airflow_provider_make.compat import amask_secret

            conn = await self.aget_connection(self.make_conn_id)
            for form in secret_forms(conn.password or ""):
                await amask_secret(form)
            with airflow_errors():
                self.__dict__["settings"] = settings_from_connection(conn)
        return self.settings

    @cached_property
    def client(self) -> MakeClient:
        """The synchronous driver, with its one ``requests.Session``."""
        return MakeClient(self.settings)

    def get_conn(self) -> MakeClient:
        """The client (Airflow's usual accessor)."""
        return self.client

    def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if "client" in self.__dict__:
            self.client.close()

    # ------------------------------------------------------------------ the pipeline

    def build(self, builder: Callable[..., ApiCall[T]], /, **arguments: Any) -> ApiCall[T]:
        """The call to send, once a builder of :mod:`~airflow_provider_make.client.calls` checked it."""
        with airflow_errors():
            return builder(**arguments, region=self.settings.default_region)

    def send(self, call: ApiCall[T]) -> T:
        """Send a call made by :meth:`build`; its answer."""
        with airflow_errors():
            return self.client.request(call)

    def run(self, build: Callable[..., ApiCall[T]], /, **arguments: Any) -> T:
        """:meth:`build`, then :meth:`send`."""
        return self.send(self.build(build, **arguments))

    async def arun(self, build: Callable[..., ApiCall[T]], /, **arguments: Any) -> T:
        """:meth:`run` for the event loop (the async driver shares the loop's HTTP pool)."""
        from airflow_provider_make.client.async_driver import AsyncMakeClient

        settings = await self.aget_settings()
        with airflow_errors():
            return await AsyncMakeClient(settings).request(build(**arguments, region=settings.default_region))

    # ------------------------------------------------------------------ sends
    # Each method hands its arguments by name to its builder (client/calls.py), which checks them.

    def ring(self, caller: str, callee: str, *, delay_seconds: int | None = None) -> SendResult:
        """makeRing: make ``callee``'s phone ring, showing ``caller``."""
        return self.run(calls.ring, caller=caller, callee=callee, delay_seconds=delay_seconds)

    def ring_plus(self, pairs: Iterable[Sequence[str]], *, delay_seconds: int | None = None) -> SendResult:
        """makeRing+: 2 to 10 ``(caller, callee)`` makeRings in one request."""
        return self.run(calls.ring_plus, pairs=pairs, delay_seconds=delay_seconds)

    def ringun(
        self, prefix: str, caller: str, callees: Iterable[str], *, delay_seconds: int | None = None
    ) -> SendResult:
        """makeRingun: ring 1 to 100 national numbers of country ``prefix`` from ``caller``."""
        return self.run(
            calls.ringun, prefix=prefix, caller=caller, callees=callees, delay_seconds=delay_seconds
        )

    def call(self, caller: str, callee: str, *, delay_seconds: int | None = None) -> SendResult:
        """makeCall: ring ``callee``, then bridge ``caller`` in once the callee answers."""
        return self.run(calls.call, caller=caller, callee=callee, delay_seconds=delay_seconds)

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
        return self.run(
            calls.call_plus,
            caller=caller,
            callee=callee,
            max_duration_minutes=max_duration_minutes,
            recording_notice=recording_notice,
            delay_seconds=delay_seconds,
        )

    def sms(
        self, sender: str, recipient: str, catalog_code: str | int, *, delay_seconds: int | None = None
    ) -> SendResult:
        """makeSms: send the message ``catalog_code`` of the account's SMS catalog."""
        return self.run(
            calls.sms,
            sender=sender,
            recipient=recipient,
            catalog_code=catalog_code,
            delay_seconds=delay_seconds,
        )

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
        return self.run(
            calls.sms_plus,
            sender=sender,
            recipient=recipient,
            message=message,
            delay_seconds=delay_seconds,
            transliterate=transliterate,
        )

    # ------------------------------------------------------------------ reads

    def get_tracking(self, tracking_id: str) -> AnyTracking:
        """The tracking log of a request (112 "too early" and 110 "unknown" raise)."""
        return self.run(calls.tracking, tracking_id=tracking_id)

    async def aget_tracking(self, tracking_id: str) -> AnyTracking:
        """:meth:`get_tracking` for the event loop."""
        return await self.arun(calls.tracking, tracking_id=tracking_id)

    def poll_tracking(self, tracking_id: str, *, wait_for_follow_up: bool = False) -> AnyTracking | None:
        """One look, the way every wait looks (:mod:`~airflow_provider_make.waiting`): the tracking
        log once the request is finished (spec decision 8), else None, also while the log is not
        there yet (112) or after a failure worth looking again through (logged); 110 raises."""
        from airflow_provider_make.waiting import wait_for_trackings_blocking

        with airflow_errors():
            check.flag(wait_for_follow_up, "wait_for_follow_up")
            check.tracking_id(tracking_id)
            waited = wait_for_trackings_blocking(
                self.settings,
                [tracking_id],
                deadline=0,
                poll_interval=0,
                wait_for_follow_up=wait_for_follow_up,
            )
            if (error := waited.lost.get(tracking_id)) is not None:
                raise error
        if problem := waited.not_finished.get(tracking_id):
            self.log.warning("Looking at the tracking log of %s failed: %s", tracking_id, problem)
        return waited.finished.get(tracking_id)

    def get_credits(self) -> int:
        """The account's balance, as an int (0 also for wrong credentials: see test_connection)."""
        from airflow_provider_make.monitoring import metrics

        credits = self.run(calls.credits)
        metrics.credits_left(credits)
        return credits

    def tracking_url(self, tracking_id: str) -> str:
        """The URL of a request's tracking log; it needs no password, so it can be shown."""
        call = self.build(calls.tracking, tracking_id=tracking_id)
        path = self.settings.path_for(call.endpoint, call.default_path)
        return f"{self.settings.base_url}{path}?{call.query_string}"

    def test_connection(self) -> tuple[bool, str]:
        """Check the connection with the credits request; 0 credits is a failure (spec decision 10)."""
        try:
            credits = self.get_credits()
        except MakeError as error:
            return False, str(error)
        finally:
            self.close()
        where, login = self.settings.base_url, self.settings.login
        if credits == 0:
            return False, (
                f"Reached the make API at {where}, but it reports 0 credits for {login}. The API answers "
                "0 both for a wrong e-mail or password and for an empty account, so this cannot tell "
                "them apart: check the login and password, then the balance on makesms.fr."
            )
        return True, f"Connected to the make API at {where}: account {login} has {credits} credits."
