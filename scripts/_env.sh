# Sourced by the other scripts: makes .venv with Airflow, this package and its dev tools.
# Fast when nothing changed (a stamp holds the hash of what the install depends on).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MAKE_VENV:-$ROOT/.venv}"
AIRFLOW_VERSION="${AIRFLOW_VERSION:-3.3.2}"  # the newest 3.x release, the one the suite runs on
PYTHON_BIN="${PYTHON_BIN:-python3}"

if ! "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "airflow-provider-make needs Python 3.10 or newer ($PYTHON_BIN is $("$PYTHON_BIN" -V 2>&1))" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV ..." >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi
STAMP="$VENV/.installed-$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/_env.sh" | sha256sum | cut -c1-16)-$AIRFLOW_VERSION"
if [ ! -f "$STAMP" ]; then
    echo "Installing apache-airflow==$AIRFLOW_VERSION and airflow-provider-make into $VENV (about a minute) ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" >&2 || true
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "apache-airflow==$AIRFLOW_VERSION" -e "$ROOT[dev,docs,bench]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
    "$VENV/bin/python" -c "import airflow_provider_make, airflow.sdk, pytest" || {
        echo "The install failed; see the messages above." >&2
        exit 1
    }
    rm -f "$VENV"/.installed-*
    touch "$STAMP"
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
