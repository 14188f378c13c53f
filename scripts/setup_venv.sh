#!/bin/sh
# Creates .venv on first use and (re)installs the project into it when pyproject.toml changed.
# Usage: sh scripts/setup_venv.sh [EXTRAS]   e.g. "dev"
set -e
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
