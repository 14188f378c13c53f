#!/bin/sh
# Sets up .venv if needed and starts Shuxi: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else a terminal chat.
# Extra arguments go to `python -m bot` (e.g. `sh scripts/start.sh chat --as zhang`).
set -e
cd "$(dirname "$0")/.."
sh scripts/setup_venv.sh
exec .venv/bin/python -m bot "$@"
