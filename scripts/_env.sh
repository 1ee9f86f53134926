# Sourced by the other scripts: makes .venv with Airflow, this package and its dev tools,
# pinned by constraints/airflow-<line>.txt (see scripts/refresh-constraints).
# Fast when nothing changed (a stamp holds the hash of what the install depends on).
# Environment:
#   AIRFLOW_VERSION   the Airflow release to install (default 3.3.2); its line (3.3 for
#                     3.3.2) picks constraints/airflow-3.3.txt. Another patch of a line
#                     keeps the line's pins for everything but Airflow's own packages.
#   MAKE_CONSTRAINTS  another constraints file, or "none" to install without pins
#   MAKE_VENV         where the venv goes (default .venv)
#   PYTHON_BIN        the interpreter (default python3.11 when there is one, the Python
#                     the constraints were resolved with, else python3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MAKE_VENV:-$ROOT/.venv}"
AIRFLOW_VERSION="${AIRFLOW_VERSION:-3.3.2}"  # the newest 3.x release, the one the suite runs on
if [ -z "${PYTHON_BIN:-}" ]; then
    PYTHON_BIN="$(command -v python3.11 || echo python3)"
fi
AIRFLOW_LINE="$(echo "$AIRFLOW_VERSION" | cut -d. -f1,2)"
CONSTRAINTS="${MAKE_CONSTRAINTS:-$ROOT/constraints/airflow-$AIRFLOW_LINE.txt}"
if [ "$CONSTRAINTS" != none ] && [ ! -f "$CONSTRAINTS" ]; then
    echo "No constraints file $CONSTRAINTS for Airflow $AIRFLOW_VERSION (lines with one:" \
        "$(cd "$ROOT/constraints" && ls airflow-*.txt | sed 's/^airflow-//; s/\.txt$//' | tr '\n' ' '))." >&2
    echo "Make one with: bash scripts/refresh-constraints $AIRFLOW_LINE, or set MAKE_CONSTRAINTS=none." >&2
    exit 1
fi

if ! "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "airflow-provider-make needs Python 3.11 or newer ($PYTHON_BIN is $("$PYTHON_BIN" -V 2>&1))" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV ..." >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi
CONSTRAINTS_HASH="$({ [ "$CONSTRAINTS" = none ] && echo none || cat "$CONSTRAINTS"; } | sha256sum | cut -c1-16)"
STAMP="$VENV/.installed-$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/_env.sh" | sha256sum | cut -c1-16)-$AIRFLOW_VERSION-c$CONSTRAINTS_HASH"
if [ ! -f "$STAMP" ]; then
    CONSTRAINT_ARGS=()
    if [ "$CONSTRAINTS" != none ]; then
        PINNED="$(sed -n 's/^apache-airflow==//p' "$CONSTRAINTS")"
        if [ -n "$PINNED" ] && [ "$PINNED" != "$AIRFLOW_VERSION" ]; then
            # Another patch of the line: keep every pin but Airflow's own packages.
            echo "$(basename "$CONSTRAINTS") pins Airflow $PINNED; using its other pins for $AIRFLOW_VERSION." >&2
            grep -v -E '^apache-airflow(-core|-task-sdk)?==' "$CONSTRAINTS" > "$VENV/constraints-used.txt"
        else
            cp "$CONSTRAINTS" "$VENV/constraints-used.txt"
        fi
        CONSTRAINT_ARGS=(-c "$VENV/constraints-used.txt")
    fi
    echo "Installing apache-airflow==$AIRFLOW_VERSION and airflow-provider-make into $VENV" \
        "(constraints: $([ "$CONSTRAINTS" = none ] && echo none || basename "$CONSTRAINTS"); about a minute) ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" >&2 || true
    INSTALL_RC=0
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${CONSTRAINT_ARGS[@]}" \
        "apache-airflow==$AIRFLOW_VERSION" -e "$ROOT[dev,docs,bench]" > "$VENV/install.log" 2>&1 || INSTALL_RC=$?
    grep -v "^WARNING: Location" "$VENV/install.log" >&2 || true
    [ "$INSTALL_RC" -eq 0 ] && "$VENV/bin/python" -c "import airflow_provider_make, airflow.sdk, pytest" || {
        echo "The install failed; see the messages above." >&2
        if [ "$CONSTRAINTS" != none ]; then
            echo "The constraints were resolved with $(sed -n 's/^# with \(Python [0-9.]*\).*/\1/p' "$CONSTRAINTS" | head -1)" \
                "(this venv: $("$VENV/bin/python" -V 2>&1)); MAKE_CONSTRAINTS=none installs without pins." >&2
        fi
        exit 1
    }
    rm -f "$VENV"/.installed-*
    touch "$STAMP"
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
