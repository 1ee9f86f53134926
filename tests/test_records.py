"""The record's format: masked recipients, the API's kind names, times.

The records written by real task runs, in both stores, are read back in test_reader.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_make.client.kinds import RequestKind
from airflow_provider_make.monitoring.records import KINDS, iso, kind_name, mask


@pytest.mark.parametrize(
    ("recipient", "shown"),
    [("+33 6 12 34 56 78", "*********78"), ("33612345678", "*********78"), ("7", "7"), ("", "")],
)
def test_recipients_are_masked_to_their_last_two_digits(recipient: str, shown: str) -> None:
    assert mask(recipient) == shown


def test_every_client_kind_has_its_api_name() -> None:
    assert [kind_name(kind.value) for kind in RequestKind] == [kind for kind in KINDS if kind != "campaign"]


def test_an_unknown_kind_names_the_argument() -> None:
    with pytest.raises(ValueError, match=r"kind must be one of .*got 'fax'"):
        kind_name("fax")


def test_times_are_utc_with_z() -> None:
    paris = timezone(timedelta(hours=1))
    assert iso(datetime(2026, 1, 31, 9, 0, 3, 999, tzinfo=paris)) == "2026-01-31T08:00:03.000Z"


def test_a_naive_time_is_utc() -> None:
    assert iso(datetime(2026, 1, 31, 8, 0, 3)) == "2026-01-31T08:00:03.000Z"
