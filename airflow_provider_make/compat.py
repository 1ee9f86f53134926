"""The Airflow names this provider uses, in one place (the version shims go here)."""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowTaskTimeout

__all__ = ["AirflowException", "AirflowFailException", "AirflowTaskTimeout"]
