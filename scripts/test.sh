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
# Headless Chromium (Debian's package) opens `warta report` pages in tests/test_report.py;
# under CI=true it must be there (elsewhere those tests skip with the reason).
if [ "${CI:-}" = "true" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "scripts/test.sh: could not install chromium" >&2
fi
exec "$VENV/bin/python" -m pytest "$@"
