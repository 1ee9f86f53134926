"""Every make request, seen in the Airflow UI: the record each send keeps, and the page that reads it.

:mod:`.records` is the worker's side (cheap to import), :mod:`.reader` the api-server's,
:mod:`.plugin` the Airflow plugin, :mod:`.app` its FastAPI app, :mod:`.page` the HTML.
"""
