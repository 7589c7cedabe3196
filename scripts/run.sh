#!/usr/bin/env bash
# Runs the product on the embedded default (SQLite): the action server (5055), the Rasa server
# with REST and socket.io (5005), the demo clinic page with the chat widget (8080) and the nurse
# console (8000). Sets up and trains first when needed. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/common.sh"
scripts/setup.sh
MODEL=$(scripts/train.sh | tail -1)
mkdir -p var
ENDPOINTS="${RASA_ENDPOINTS:-endpoints.yml}"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The action server (actions/server.py: rasa_sdk's app) listens where SANIC_HOST says (its
# default is every interface): loopback unless the deployment says otherwise. It refuses calls
# without the shared secret ACTION_SERVER_TOKEN, which the Rasa server sends from the endpoints
# file (action_endpoint.headers); a fresh one per start unless the deployment sets its own
# (docs/deployment.md).
export ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')}"
SANIC_HOST="${SANIC_HOST:-127.0.0.1}" "$PY" -m actions.server --port 5055 --actions actions & pids+=($!)
"$RASA" run --model "$MODEL" --port 5005 --interface "${RASA_INTERFACE:-127.0.0.1}" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" \
  --cors ${RASA_CORS:-http://localhost:8080 http://127.0.0.1:8080} & pids+=($!)
"$PY" -m web --port 8080 --bot-url "${BOT_PUBLIC_URL:-http://localhost:5005}" & pids+=($!)
# --- Test mailbox for alerts (issue 12; console/mailbox.py, docs/console.md "Alerts") -------
# Unless CONSOLE_SMTP_HOST is set, the console's alert emails go to a local SMTP sink on
# 127.0.0.1:${CONSOLE_MAILBOX_PORT:-8025} that saves each one as var/mailbox/<time>-<id>.eml.
# make run only: `python -m console serve` elsewhere sends no email until SMTP is configured.
if [ -z "${CONSOLE_SMTP_HOST:-}" ]; then
  MAILBOX_PORT="${CONSOLE_MAILBOX_PORT:-8025}"
  "$PY" -m console mailbox --host 127.0.0.1 --port "$MAILBOX_PORT" --dir var/mailbox & pids+=($!)
  export CONSOLE_SMTP_HOST=127.0.0.1 CONSOLE_SMTP_PORT="$MAILBOX_PORT" CONSOLE_SMTP_TLS=none
  export CONSOLE_ALERT_FROM="${CONSOLE_ALERT_FROM:-triage-console@localhost}"
  export CONSOLE_ALERT_TO="${CONSOLE_ALERT_TO:-nurses@localhost}"
  export CONSOLE_BASE_URL="${CONSOLE_BASE_URL:-http://localhost:8000}"
fi
# --- end of the test mailbox block ----------------------------------------------------------
"$PY" -m console serve --host 127.0.0.1 --port 8000 & pids+=($!)
echo "run: chat page http://localhost:8080/  console http://localhost:8000/  REST http://localhost:5005/webhooks/rest/webhook"
wait -n "${pids[@]}"
