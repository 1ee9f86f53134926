"""Campaigns: one task sends a makeSms+ to every row of a list (issue 9).

One concept per module: :mod:`.rows` (what to send: parsing, checks, duplicates),
:mod:`.ledger` (durable progress: intents and results, in chunks), :mod:`.runner` (the
asyncio loop that sends), :mod:`.report` (summary, per-row results, the results file)
and :mod:`.delivery` (waiting for the trackings). Nothing here is imported when a DAG
file is parsed: :mod:`airflow_provider_make.operators.bulk` imports it when the task runs.
"""
