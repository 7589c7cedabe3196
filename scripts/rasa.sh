#!/usr/bin/env bash
# `rasa` without the libraries' start-up DeprecationWarnings (common/quiet.py says which and why):
# the venv's rasa console script, run through `python -m common.quiet`. scripts/common.sh's $RASA.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$ROOT/.venv/bin/python" -m common.quiet rasa "$@"
