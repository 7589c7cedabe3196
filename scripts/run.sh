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

# rasa_sdk listens where SANIC_HOST says (its default is every interface): loopback unless the
# deployment says otherwise (docs/deployment.md).
SANIC_HOST="${SANIC_HOST:-127.0.0.1}" "$RASA" run actions --port 5055 --actions actions & pids+=($!)
"$RASA" run --model "$MODEL" --port 5005 --interface "${RASA_INTERFACE:-127.0.0.1}" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" \
  --cors ${RASA_CORS:-http://localhost:8080 http://127.0.0.1:8080} & pids+=($!)
"$PY" -m web --port 8080 --bot-url "${BOT_PUBLIC_URL:-http://localhost:5005}" & pids+=($!)
"$PY" -m console serve --host 127.0.0.1 --port 8000 & pids+=($!)
echo "run: chat page http://localhost:8080/  console http://localhost:8000/  REST http://localhost:5005/webhooks/rest/webhook"
wait -n "${pids[@]}"
