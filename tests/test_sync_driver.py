"""client/sync_driver.py: the blocking driver (the hook's) over ``requests``.

What every driver does is tested once for all in test_pipeline.py; here, what only this one does.
"""

from __future__ import annotations

import signal

import pytest

from airflow_provider_make.client import calls
from airflow_provider_make.client.settings import ClientSettings
from airflow_provider_make.client.sync_driver import MakeClient
from tests.conftest import LOGIN, PASSWORD
from tests.leaks import assert_clean, frame_locals


class _Interrupted(BaseException):
    """What a task timeout looks like to the code it interrupts (Airflow's is raised by SIGALRM)."""


def test_a_task_timeout_mid_request_leaves_no_url_in_any_frame(api):
    def interrupt(*_: object) -> None:
        raise _Interrupted

    api.fault("slow:3", path="/apicredits.php")
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with (
            MakeClient(ClientSettings(LOGIN, PASSWORD, base_url=api.url)) as client,
            pytest.raises(_Interrupted) as caught,
        ):
            client.request(calls.credits())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for text in frame_locals(caught.value):
        assert_clean(text)
