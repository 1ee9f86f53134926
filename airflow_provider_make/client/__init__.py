"""The client layer: everything about the make API, and nothing about Airflow.

Request building and validation (:mod:`.calls`, :mod:`.validation`, :mod:`.gsm`), XML
parsing (:mod:`.parsing`), result codes (:mod:`.result_codes`), typed results
(:mod:`.responses`, :mod:`.tracking`), errors (:mod:`.errors`), and the HTTP clients
(:mod:`.transport`, :mod:`.async_transport`). Import from the submodules.
"""
