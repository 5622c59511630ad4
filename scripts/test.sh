#!/usr/bin/env bash
# Install Warta with its test extra into a fresh virtualenv and run every test.
# Usage: bash scripts/test.sh [pytest args...]      (VENV=path to choose the virtualenv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Warta needs Python >= 3.11")'
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[test]"
bash scripts/services.sh || true   # PostgreSQL / Redis for the scale-out tests, when installed
exec "$VENV/bin/python" -m pytest "$@"
