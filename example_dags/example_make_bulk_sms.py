"""A campaign: an upstream task lists the customers, one task sends each a personalised SMS."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator

with DAG(
    dag_id="example_make_bulk_sms",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
):
    # [START howto_operator_make_bulk_sms]
    @task
    def parcels_shipping_today() -> list[dict[str, Any]]:
        """In real life: a query to the warehouse. One dict per customer."""
        return [
            {"recipient": "+33 6 87 65 43 21", "name": "Camille", "parcel": "FR-1001"},
            {"recipient": "+33 6 87 65 43 22", "name": "Yanis", "parcel": "FR-1002"},
            {"recipient": "0033687654323", "name": "Léa", "parcel": "FR-1003"},
            # Sent as written: this row brings its own text.
            {"recipient": "+33 6 87 65 43 24", "message": "Votre colis FR-1004 est en retard, désolé."},
        ]

    campaign = MakeBulkSmsPlusOperator(
        task_id="tell_customers",
        sender="+33 6 12 34 56 78",
        recipients=parcels_shipping_today(),
        message="Bonjour {name}, votre colis {parcel} arrive demain.",
        max_concurrency=8,
        on_invalid="skip",
        max_cost=1000,
        # One record per row: its own fields, the number and text sent, status, error, times.
        results_path="{{ var.value.get('make_results_dir', '/tmp') }}/tell_customers_{{ ts_nodash }}.csv",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=1,
        timeout=300,
        retries=3,
        retry_delay=timedelta(minutes=10),
    )
    # [END howto_operator_make_bulk_sms]
