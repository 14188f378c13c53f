#!/bin/sh
# Sets up .venv with the dev extras if needed and runs the whole test suite. Extra arguments go to pytest.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup_venv.sh dev
exec .venv/bin/python -m pytest "$@"
