"""Check the account's credits before a campaign; the send runs only if there are enough."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_make.operators.make import MakeCreditsOperator, MakeSmsPlusOperator

with DAG(
    dag_id="example_make_credits_guard",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
):
    # [START howto_operator_make_credits]
    enough_credits = MakeCreditsOperator(task_id="enough_credits", min_credits=50)
    # [END howto_operator_make_credits]

    campaign = MakeSmsPlusOperator(
        task_id="campaign",
        sender="+33 6 12 34 56 78",
        recipient="+33 6 87 65 43 21",
        message="Spring sale: -20% on everything until Sunday.",
    )

    enough_credits >> campaign
