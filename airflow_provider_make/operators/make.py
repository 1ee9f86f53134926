"""One operator per make request, safe to retry, optionally waiting for the request to finish.

Cheap to import (Airflow parses DAG files constantly): the hook, HTTP and ``phonenumbers``
load when a task runs, and every argument is checked then, before any request leaves. An
argument given literally that needs no ``phonenumbers`` (a delay, a duration, a flag, the
shape of a list) is also checked in the constructor, by the same check: a mistake shows as
a DAG import error.

Side effects happen once (spec decision 13: the API has no idempotency key): the checked
request's intent is kept durably (:mod:`~airflow_provider_make.durable`), then it is sent,
then its answer is kept. A retry that finds the answer goes on from it; one that finds only
the intent cannot tell "never sent" from "accepted, answer lost", so it fails rather than
send again, unless ``resend_unknown`` says a duplicate is better than a miss.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, BaseOperatorLink

from airflow_provider_make import xcom_keys
from airflow_provider_make.compat import AirflowException, AirflowFailException
from airflow_provider_make.links.make import MakeCallRecordingLink, MakeTrackingLink, remember_record_link
from airflow_provider_make.tasks import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    UsesMakeHook,
    check_if_literal,
    checked,
    deferrable_or_default,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_make.client.answers import SendResult
    from airflow_provider_make.client.calls import ApiCall
    from airflow_provider_make.durable import DurableState


class BaseMakeSendOperator(UsesMakeHook, BaseOperator):
    """Send one make request; return its ``id``, ``kind``, ``cost``, ``credits`` left, ``result_code``.

    :param make_conn_id: the Airflow connection of type ``make``.
    :param resend_unknown: when an earlier try stopped while its request was on the wire (a
        killed worker), send it again, a duplicate rather than a miss (default: fail, saying why).
    :param delay_seconds: seconds between the API receiving the request and acting on it
        (0 to 7200); None uses the delay saved on the account's settings page.
    :param dry_run: check and build the request, read the balance and compare it with
        ``cost_per_request`` when given, but send nothing; return ``{"would_send": True, ...}``.
        Fails when the balance cannot pay the request (or is 0, when the cost is unknown).
    :param cost_per_request: the credits the request costs, for ``dry_run`` (the API publishes
        no price; its answers tell what each request cost).
    """

    template_fields: Sequence[str] = ("delay_seconds", "make_conn_id")
    operator_extra_links: tuple[BaseOperatorLink, ...] = (MakeTrackingLink(),)
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        make_conn_id: str = "make_default",
        delay_seconds: int | str | None = None,
        resend_unknown: bool = False,
        dry_run: bool = False,
        cost_per_request: int | None = None,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.make_conn_id = make_conn_id
        self.delay_seconds: Any = delay_seconds  # Any: a rendered template may be a string
        self.resend_unknown = resend_unknown
        self.is_dry_run = dry_run  # BaseOperator.dry_run is a method
        self.cost_per_request = cost_per_request
        # Known once the API accepts the request; the extra links read them (links/make.py).
        self.make_tracking_id: str | None = None
        self.make_record_link: str | None = None
        check_if_literal(check.delay_seconds, delay_seconds)
        check_if_literal(lambda value: check.flag(value, "resend_unknown"), resend_unknown)
        check_if_literal(lambda value: check.flag(value, "dry_run"), dry_run)
        check_if_literal(lambda value: check.credit_amount(value, "cost_per_request"), cost_per_request)

    def api_call(self) -> ApiCall[SendResult]:
        """This task's API call, checked and built by the hook (each class passes its own arguments)."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """What this task asks for (its class and rendered arguments), to match an earlier try's request."""
        arguments = {name: getattr(self, name) for name in self.template_fields}
        text = json.dumps([type(self).__name__, arguments], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_make.client.kinds import RequestKind  # the client loads when a task runs
        from airflow_provider_make.durable import DurableState
        from airflow_provider_make.monitoring.records import MONITOR

        if self.is_dry_run:
            return self.rehearse()
        durable = DurableState(context)
        earlier = durable.get(xcom_keys.STATE_REQUEST)
        earlier = earlier if isinstance(earlier, dict) else {}
        fingerprint = self.fingerprint()
        if earlier.get("id"):
            request: dict[str, Any] = {k: v for k, v in earlier.items() if k not in ("fingerprint", MONITOR)}
            label = RequestKind(request["kind"]).label
            if earlier.get("fingerprint") != fingerprint:
                raise AirflowFailException(
                    f"an earlier try of this task instance had a different {label} accepted "
                    f"(id={request['id']}): its arguments have changed since. It is not sent again on a "
                    "guess; to send the new one, trigger a new DAG run, or delete this task's "
                    f"'{xcom_keys.STATE_REQUEST}' {durable.backend} record first"
                )
            self.log.info(
                "An earlier try already had %s accepted (id=%s): not sending it again", label, request["id"]
            )
        elif earlier.get("intent") and not self.resend_unknown:
            raise AirflowFailException(
                f"an earlier try of this task instance stopped while its request was being sent (its "
                f"worker died or it timed out, at {earlier.get('at', '?')}): the API may have accepted "
                "it, and the answer is lost. It is not sent again on a guess: check the account's "
                "history on makesms.fr; to send it anyway, set resend_unknown=True"
            )
        else:
            request = self._send_once(durable, context, fingerprint, earlier)
        self.make_tracking_id = request["id"]
        context["ti"].xcom_push(key=xcom_keys.TRACKING_ID, value=request["id"])
        context["ti"].xcom_push(key=xcom_keys.REQUEST, value=request)
        return request

    def _send_once(
        self, durable: DurableState, context: Context, fingerprint: str, earlier: dict[str, Any]
    ) -> dict[str, Any]:
        """Check, keep the intent, send, keep the answer, each write carrying the monitoring record
        (:mod:`~airflow_provider_make.monitoring.records`). Only a refusal before the request left
        forgets the intent (keeping the refusal): after a timeout or a kill, the next try knows
        it may have gone out."""
        from airflow_provider_make.campaign.costs import remember_cost
        from airflow_provider_make.client.errors import Action, MakeError, action_of
        from airflow_provider_make.client.kinds import RequestKind
        from airflow_provider_make.monitoring import metrics
        from airflow_provider_make.monitoring.records import RequestRecord

        call = self.api_call()
        kind = RequestKind[call.endpoint.upper()]  # a send's endpoint is its kind's
        record = RequestRecord(durable, context, kind=kind.value, recipients=call.recipients, earlier=earlier)
        try:
            record.intent(
                {"intent": fingerprint, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            )
        except Exception as error:  # noqa: BLE001 - nothing was sent: retrying is safe
            raise AirflowException(
                f"keeping the intent to send in the {durable.backend} failed: {error}"
            ) from None
        try:
            result = self.hook.send(call)
        except MakeError as error:
            if error.result_code is not None:  # the API answered: refused
                metrics.refused(kind, result_code=error.result_code)
            if action_of(error) is not Action.UNKNOWN:  # refused, or never reached the API
                record.refusal(error.result_code, str(error))
            raise
        self.log.info(result.summary())
        metrics.accepted(kind, cost=result.cost, credits_left=result.credits)
        request = result.to_dict()
        try:
            record.answer(request, {**request, "fingerprint": fingerprint}, self.hook.tracking_url(result.id))
        except Exception as error:  # noqa: BLE001 - whatever it is, a retry would find only the intent
            raise AirflowFailException(
                f"{result.summary()}, but keeping that in the {durable.backend} failed ({error}); the task "
                "is not retried, so the request is not sent twice"
            ) from None
        if result.kind is RequestKind.SMS_PLUS:  # for dry runs to come (campaign/costs.py)
            remember_cost(self.hook.settings.login, result.cost)
        return request

    def rehearse(self) -> dict[str, Any]:
        """``dry_run``: the request checked and built, the balance read and compared, nothing sent.
        The cost is ``cost_per_request``, else for a makeSms+ the last one charged to the account."""
        from airflow_provider_make.campaign.costs import last_cost
        from airflow_provider_make.client import validation as check
        from airflow_provider_make.client.kinds import RequestKind

        call = self.api_call()
        cost = checked(lambda value: check.credit_amount(value, "cost_per_request"), self.cost_per_request)
        if cost is None and call.endpoint == RequestKind.SMS_PLUS.endpoint:
            cost = last_cost(self.hook.settings.login)
        credits = self.hook.get_credits()
        rehearsal = {"would_send": True, "request": call.label, "query": call.query_string}
        rehearsal |= {"cost": cost, "credits": credits}
        self.log.info("Dry run: %s would be sent (%s); nothing was sent", call.label, call.query_string)
        if cost is None and credits == 0:
            raise AirflowFailException(
                f"dry run: the make account has 0 credits, and the API also answers 0 for a wrong e-mail "
                f"or password; {call.label} would be refused (its cost is unknown: set cost_per_request)"
            )
        if cost is not None and credits < cost:
            raise AirflowFailException(
                f"dry run: the make account has {credits} credits, less than the {cost} {call.label} costs"
            )
        return rehearsal


class BaseMakeWaitingOperator(BaseMakeSendOperator):
    """A send whose tracking log has dates, so the task can wait for the request to finish.

    :param wait_for_completion: wait until the request is finished (spec decision 8) and
        add its ``tracking`` (JSON, ISO-8601 dates) to the returned dict.
    :param poll_interval: seconds between two looks at the tracking log.
    :param timeout: seconds to wait at most before failing.
    :param deferrable: wait in the triggerer, freeing the worker (default ``[operators] default_deferrable``).
    """

    wait_for_follow_up: bool = False

    def __init__(
        self,
        *,
        wait_for_completion: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.wait_for_completion = wait_for_completion
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.deferrable = deferrable_or_default(deferrable)
        check_if_literal(lambda value: check.flag(value, "wait_for_completion"), wait_for_completion)
        check_if_literal(lambda value: check.positive_seconds(value, "poll_interval"), poll_interval)
        check_if_literal(lambda value: check.positive_seconds(value, "timeout"), timeout)
        check_if_literal(lambda value: check.flag(value, "deferrable"), self.deferrable)

    def execute(self, context: Context) -> dict[str, Any]:
        request = super().execute(context)
        if self.is_dry_run or not self.wait_for_completion:
            return request
        if self.deferrable:
            from airflow_provider_make.triggers.make import MakeTrackingTrigger

            end_time = time.time() + self.timeout
            args = (request["id"], self.make_conn_id, end_time, self.poll_interval, self.wait_for_follow_up)
            MakeTrackingTrigger(*args).defer_task(self)
        return self.with_tracking(context, request, self.wait_in_worker(request["id"]))

    def wait_in_worker(self, tracking_id: str) -> dict[str, Any]:
        """Wait for the request the one way every wait does (:mod:`~airflow_provider_make.waiting`),
        ending as the trigger's event would (a timeout may be retried: the retry waits again)."""
        from airflow_provider_make.triggers.make import event_of, tracking_from_event
        from airflow_provider_make.waiting import wait_for_trackings_blocking

        started = time.time()
        waited = wait_for_trackings_blocking(
            self.hook.settings,
            [tracking_id],
            deadline=started + self.timeout,
            poll_interval=self.poll_interval,
            wait_for_follow_up=self.wait_for_follow_up,
            log=self.log,
        )
        return tracking_from_event(event_of(waited, tracking_id, time.time() - started))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the trigger fired (only ``event`` is relied on, as ``airflow dags test`` passes)."""
        from airflow_provider_make.triggers.make import tracking_from_event

        tracking = tracking_from_event(event)
        ti = context["ti"]
        pulled = ti.xcom_pull(task_ids=self.task_id, key=xcom_keys.REQUEST, map_indexes=ti.map_index)
        request = dict(pulled or {"id": tracking.get("id"), "kind": tracking.get("kind")})
        self.make_tracking_id = request["id"]
        return self.with_tracking(context, request, tracking)

    def with_tracking(
        self, context: Context, request: dict[str, Any], tracking: dict[str, Any]
    ) -> dict[str, Any]:
        """The task's result once the request is finished: the request and its ``tracking``."""
        from airflow_provider_make.client.kinds import RequestKind
        from airflow_provider_make.durable import DurableState
        from airflow_provider_make.monitoring.records import record_finished

        self.log.info("%s %s is finished", RequestKind(request["kind"]).label, request["id"])
        record_finished(DurableState(context), finished_at(tracking))
        remember_record_link(self, context, tracking)
        return {**request, "tracking": tracking}


def finished_at(tracking: dict[str, Any]) -> datetime:
    """When a request finished: the latest date of its tracking (its hang-up or execution date)."""
    dates = [
        datetime.fromisoformat(value) for name, value in tracking.items() if name.endswith("_at") and value
    ]
    return max(dates, default=datetime.now(timezone.utc))


class _CallerCalleeOperator(BaseMakeWaitingOperator):
    """A request from one caller to one callee: makeRing, makeCall, makeCall+."""

    template_fields: Sequence[str] = ("caller", "callee", "delay_seconds", "make_conn_id")

    def __init__(self, *, caller: str, callee: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.caller = caller
        self.callee = callee


class MakeRingOperator(_CallerCalleeOperator):
    """makeRing: make ``callee``'s phone ring, showing ``caller``.

    :param caller: the number shown, country code first (``+33 6 12 34 56 78``).
    :param callee: the number that rings.
    """

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(
            calls.ring, caller=self.caller, callee=self.callee, delay_seconds=self.delay_seconds
        )


class MakeRingPlusOperator(BaseMakeSendOperator):
    """makeRing+: 2 to 10 makeRings in one request. Its tracking has no dates: nothing to wait for.

    :param pairs: ``[(caller, callee), ...]``, 2 to 10 of them.
    """

    template_fields: Sequence[str] = ("pairs", "delay_seconds", "make_conn_id")

    def __init__(self, *, pairs: Sequence[Sequence[str]], **kwargs: Any) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.pairs = pairs
        if isinstance(pairs, (str, list, tuple)):  # never an iterator: reading it would empty it
            check_if_literal(check.ring_plus_pair_list, pairs)

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(calls.ring_plus, pairs=self.pairs, delay_seconds=self.delay_seconds)


class MakeRingunOperator(BaseMakeSendOperator):
    """makeRingun: ring 1 to 100 numbers of one country. Its tracking has no dates.

    :param prefix: the country calling code (``"33"``).
    :param caller: the number shown, national (``"687345678"`` or ``"06 87 34 56 78"``).
    :param callees: 1 to 100 national numbers.
    """

    template_fields: Sequence[str] = ("prefix", "caller", "callees", "delay_seconds", "make_conn_id")

    def __init__(self, *, prefix: str, caller: str, callees: Sequence[str], **kwargs: Any) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.prefix = prefix
        self.caller = caller
        self.callees = callees
        if isinstance(callees, (str, list, tuple)):  # never an iterator: reading it would empty it
            check_if_literal(check.ringun_callee_list, callees)

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(
            calls.ringun,
            prefix=self.prefix,
            caller=self.caller,
            callees=self.callees,
            delay_seconds=self.delay_seconds,
        )


class MakeCallOperator(_CallerCalleeOperator):
    """makeCall: ring ``callee`` and, once answered, bridge ``caller`` in.

    :param caller: the number bridged in second (country code first).
    :param callee: the number rung first.
    """

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(
            calls.call, caller=self.caller, callee=self.callee, delay_seconds=self.delay_seconds
        )


class MakeCallPlusOperator(_CallerCalleeOperator):
    """makeCall+: a recorded makeCall. Shows a "Call recording" link once the recording exists.

    :param caller: the number bridged in second (country code first).
    :param callee: the number rung first.
    :param max_duration_minutes: 1 to 10 minutes.
    :param recording_notice: must be ``True``: your commitment to tell both parties that
        the call is recorded (the API's ``engage=1``).
    """

    template_fields: Sequence[str] = (*_CallerCalleeOperator.template_fields, "max_duration_minutes")
    operator_extra_links = (MakeTrackingLink(), MakeCallRecordingLink())

    def __init__(self, *, max_duration_minutes: int | str, recording_notice: bool, **kwargs: Any) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.max_duration_minutes: Any = max_duration_minutes
        self.recording_notice = recording_notice
        check_if_literal(check.duration_minutes, max_duration_minutes)
        check_if_literal(check.recording_notice, recording_notice)

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(
            calls.call_plus,
            caller=self.caller,
            callee=self.callee,
            max_duration_minutes=self.max_duration_minutes,
            recording_notice=self.recording_notice,
            delay_seconds=self.delay_seconds,
        )


class MakeSmsOperator(BaseMakeWaitingOperator):
    """makeSms: send a message of the account's SMS catalog.

    :param sender: the sender's number (country code first).
    :param recipient: the recipient's number.
    :param catalog_code: the code of the message in the catalog (``"123"``).
    """

    template_fields: Sequence[str] = ("sender", "recipient", "catalog_code", "delay_seconds", "make_conn_id")

    def __init__(self, *, sender: str, recipient: str, catalog_code: str | int, **kwargs: Any) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.sender = sender
        self.recipient = recipient
        self.catalog_code = catalog_code
        check_if_literal(check.catalog_code, catalog_code)

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(
            calls.sms,
            sender=self.sender,
            recipient=self.recipient,
            catalog_code=self.catalog_code,
            delay_seconds=self.delay_seconds,
        )


class MakeSmsPlusOperator(BaseMakeWaitingOperator):
    """makeSms+: send free text in the GSM 03.38 basic alphabet.

    :param sender: the sender's number (country code first).
    :param recipient: the recipient's number.
    :param message: the text; a character outside the GSM 03.38 basic set fails the task
        before sending, naming the character and its position.
    :param transliterate: replace the accents and typographic signs French text uses
        (``ê``, ``’``, ``œ``...) by their GSM look-alikes instead of failing.
    :param wait_for_follow_up: when waiting, also wait for the follow-up SMS
        (``x_date_executed``).
    """

    template_fields: Sequence[str] = ("sender", "recipient", "message", "delay_seconds", "make_conn_id")

    def __init__(
        self,
        *,
        sender: str,
        recipient: str,
        message: str,
        transliterate: bool = False,
        wait_for_follow_up: bool = False,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_make.client import validation as check

        super().__init__(**kwargs)
        self.sender = sender
        self.recipient = recipient
        self.message = message
        self.transliterate = transliterate
        self.wait_for_follow_up = wait_for_follow_up
        check_if_literal(lambda value: check.flag(value, "transliterate"), transliterate)
        check_if_literal(lambda value: check.flag(value, "wait_for_follow_up"), wait_for_follow_up)
        check_if_literal(lambda value: check.sms_text(value, allow_transliteration=transliterate), message)

    def api_call(self) -> ApiCall[SendResult]:
        from airflow_provider_make.client import calls

        return self.hook.build(
            calls.sms_plus,
            sender=self.sender,
            recipient=self.recipient,
            message=self.message,
            delay_seconds=self.delay_seconds,
            transliterate=self.transliterate,
        )


class MakeCreditsOperator(UsesMakeHook, BaseOperator):
    """Return the account's credits; fail when they are below ``min_credits`` (a guard before a campaign).

    :param min_credits: the balance below which the task fails (without retries).
    """

    template_fields: Sequence[str] = ("min_credits", "make_conn_id")

    def __init__(
        self, *, make_conn_id: str = "make_default", min_credits: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.make_conn_id = make_conn_id
        self.min_credits: Any = min_credits  # Any: a rendered template is a string
        check_if_literal(self.checked_minimum, min_credits)

    @staticmethod
    def checked_minimum(value: object) -> int | None:
        from airflow_provider_make.client import validation as check

        return check.credit_amount(value, "min_credits")

    def execute(self, context: Context) -> int:
        minimum = checked(self.checked_minimum, self.min_credits)
        credits = self.hook.get_credits()
        self.log.info("The make account has %d credits", credits)
        zero = "the API also answers 0 for a wrong e-mail or password" if credits == 0 else ""
        if zero:
            self.log.warning("0 credits: %s (spec decision 10)", zero)
        if minimum is not None and credits < minimum:
            raise AirflowFailException(
                f"the make account has {credits} credits, below the minimum of {minimum} this task requires"
                + (f"; note that {zero}, so check the connection's credentials too" if zero else "")
            )
        return credits


# Re-exported, where the other operators live (its module is as cheap to import as this one).
from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator as MakeBulkSmsPlusOperator  # noqa: E402
