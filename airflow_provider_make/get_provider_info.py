"""What Airflow learns about this provider, declared without importing any of its code.

Airflow validates this dict when it starts (a mistake breaks every Airflow command:
``tests/test_provider_info.py`` checks it against Airflow's schemas). Airflow 3.2+ reads
the connection form from here without importing the hook. No ``versions`` key: the
runtime schema defines none. ``logo`` and ``how-to-guide`` are paths from the repository
root, as in the official providers.
"""

from __future__ import annotations

from typing import Any

INTEGRATION = "make"
_REQUESTS = ("ring", "ring_plus", "ringun", "call", "call_plus", "sms", "sms_plus")
HOW_TO_GUIDES = (*_REQUESTS, "credits", "sensor", "notifier", "bulk_sms", "campaign_alert", "monitoring")


def _modules(*names: str) -> list[dict[str, Any]]:
    return [
        {"integration-name": INTEGRATION, "python-modules": [f"airflow_provider_make.{n}" for n in names]}
    ]


def get_provider_info() -> dict[str, Any]:
    """The provider's metadata, in the ``apache_airflow_provider`` entry-point format."""
    return {
        "package-name": "airflow-provider-make",
        "name": "make (makesms.fr)",
        "description": "Rings, calls, recorded calls and SMS through the make API of makesms.fr.",
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://makesms.fr/",
                "logo": "/docs/integration-logos/make.svg",
                "how-to-guide": [f"/docs/howto/{page}.rst" for page in HOW_TO_GUIDES],
                "tags": ["service"],
            }
        ],
        "hooks": _modules("hooks.make"),
        "operators": _modules("operators.make", "operators.bulk"),
        "sensors": _modules("sensors.make"),
        "triggers": _modules("triggers.make", "triggers.bulk"),
        "notifications": ["airflow_provider_make.notifications.make.MakeSmsNotifier"],
        # Read when [core] lazy_discover_providers is off; the airflow.plugins entry point
        # (monitoring/entry_point.py) then steps aside, so the plugin is loaded once.
        "plugins": [{"name": "make", "plugin-class": "airflow_provider_make.monitoring.plugin.MakePlugin"}],
        "extra-links": [
            "airflow_provider_make.links.make.MakeTrackingLink",
            "airflow_provider_make.links.make.MakeCallRecordingLink",
        ],
        "connection-types": [
            {
                "connection-type": "make",
                "hook-class-name": "airflow_provider_make.hooks.make.MakeHook",
                "hook-name": "Make (makesms.fr)",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {
                        "host": "API base URL",
                        "login": "Account e-mail",
                        "password": "Account password",
                    },
                    "placeholders": {
                        "host": "https://makesms.fr/ (leave empty for this default)",
                        "login": "john@example.com",
                        "password": "the password of the make account",
                    },
                },
                "conn-fields": {
                    "default_region": {
                        "label": "Default country",
                        "description": (
                            "Two-letter country code (FR, BE, ...) used to read national phone numbers "
                            "such as 06 12 34 56 78. Empty: every number must carry its country code."
                        ),
                        "schema": {"type": ["string", "null"], "pattern": "^([A-Za-z]{2})?$"},
                    },
                    "connect_timeout": {
                        "label": "Connect timeout (seconds)",
                        "description": "How long to wait for a connection to the API.",
                        "schema": {"type": ["number", "null"], "default": 10, "minimum": 1, "maximum": 600},
                    },
                    "read_timeout": {
                        "label": "Read timeout (seconds)",
                        "description": "How long to wait for the API's answer once connected.",
                        "schema": {"type": ["number", "null"], "default": 30, "minimum": 1, "maximum": 600},
                    },
                    "total_timeout": {
                        "label": "Total timeout (seconds)",
                        "description": (
                            "The deadline of one whole exchange (connecting, the answer, every retry). "
                            "Empty: connect timeout + read timeout."
                        ),
                        "schema": {"type": ["number", "null"], "minimum": 1, "maximum": 600},
                    },
                    "endpoints": {
                        "label": "Endpoint paths",
                        "description": (
                            'Override request paths, e.g. {"ring_plus": "apimakeringplus.php"} (the '
                            "document spells makeRing+'s path two ways). Names: ring, ring_plus, ringun, "
                            "call, call_plus, sms, sms_plus, tracking, credits."
                        ),
                        "schema": {"type": ["object", "null"]},
                    },
                },
            }
        ],
    }
