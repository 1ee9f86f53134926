"""The client layer: everything about the make API, and nothing about Airflow. Import from the submodules."""
