"""Apache Airflow provider for the make telephony API of makesms.fr.

Empty on purpose (Airflow imports provider packages while it parses DAG files): import
the pieces from their modules, such as ``airflow_provider_make.operators.make``.
"""

__version__ = "0.1.0"
