"""A campaign, then an SMS to the on-call number with its summary, whether the campaign succeeded or not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_make.operators.bulk import MakeBulkSmsPlusOperator
from airflow_provider_make.operators.make import MakeSmsPlusOperator

# [START howto_make_campaign_alert_text]
#: The on-call SMS, rendered by Jinja once the campaign is done. Only digits and plain words
#: go in it: a dict or a list printed as is carries '{', '}', '[' and ']', which are not in
#: the GSM basic alphabet makeSms+ takes. A campaign that failed has no summary (its return
#: value); it may still have published the results of the rows it sent.
ON_CALL_TEXT = (
    "{% set summary = ti.xcom_pull(task_ids='tell_customers') %}"
    "{% set results = ti.xcom_pull(task_ids='tell_customers', key='make_campaign_results') %}"
    "Campaign {{ dag.dag_id }} of {{ dag_run.run_after | ds }}: "
    "{% if summary %}"
    "{{ summary.accepted }} of {{ summary.total }} accepted, {{ summary.refused }} refused, "
    "{{ summary.invalid }} invalid, {{ summary.unknown }} unknown, {{ summary.cost }} credits."
    "{% elif results %}"
    "FAILED after {{ results | selectattr('status', 'equalto', 'accepted') | list | length }} "
    "of {{ results | length }} rows were accepted. See the task log in Airflow."
    "{% else %}"
    "FAILED with no results. See the task log in Airflow."
    "{% endif %}"
)
# [END howto_make_campaign_alert_text]

with DAG(
    dag_id="example_make_campaign_alert",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["make"],
    params={
        "customers": Param(
            [
                {"recipient": "+33 6 87 65 43 21", "name": "Camille"},
                {"recipient": "+33 6 87 65 43 22", "name": "Yanis"},
                {"recipient": "+33 6 87 65 43 23", "name": "Léa"},
            ],
            type="array",
            description="The rows of the campaign (in real life, an upstream query).",
        ),
        "on_call": Param("+33 6 12 34 56 79", type="string", description="Who hears about the campaign."),
    },
):
    # [START howto_make_campaign_alert]
    @task
    def customers(params: dict[str, Any]) -> list[dict[str, Any]]:
        """In real life: a query to the warehouse. Here: the run's ``customers`` parameter."""
        return list(params["customers"])

    campaign = MakeBulkSmsPlusOperator(
        task_id="tell_customers",
        sender="+33 6 12 34 56 78",
        recipients=customers(),
        message="Bonjour {name}, votre commande est prete.",
        on_invalid="fail",
        retries=2,
        retry_delay=timedelta(minutes=10),
    )

    alert = MakeSmsPlusOperator(
        task_id="alert_on_call",
        sender="+33 6 12 34 56 78",
        recipient="{{ params.on_call }}",
        message=ON_CALL_TEXT,
        # Run once the campaign is done, its retries included, whether it succeeded or failed.
        trigger_rule="all_done",
    )
    campaign >> alert
    # [END howto_make_campaign_alert]
