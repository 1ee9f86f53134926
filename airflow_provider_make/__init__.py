"""Apache Airflow provider for the make telephony API of makesms.fr.

Kept empty on purpose: Airflow imports provider packages while it parses DAG files, so
importing this package must cost nothing. Import the pieces from their modules:
``airflow_provider_make.hooks.make``, ``.operators.make``, ``.sensors.make``,
``.triggers.make``, ``.notifications.make``.
"""

__version__ = "0.1.0"
