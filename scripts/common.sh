# Shared by the scripts: paths, the venv's python, and the model location.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TRIAGE_CACHE="${TRIAGE_CACHE:-$HOME/.cache/cervical-triage}"
export TRIAGE_MODELS="${TRIAGE_MODELS:-$ROOT/models}"
PY="$ROOT/.venv/bin/python"
# rasa itself, without the libraries' screen of start-up DeprecationWarnings (common/quiet.py);
# the venv's own is "$ROOT/.venv/bin/rasa".
RASA="$ROOT/scripts/rasa.sh"
# Quiet TensorFlow's start-up chatter; keep Rasa at INFO, which never logs message text.
export TF_CPP_MIN_LOG_LEVEL=2 LOG_LEVEL="${LOG_LEVEL:-INFO}" PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false
