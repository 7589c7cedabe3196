#!/usr/bin/env bash
# `make cluster`: the scale-out deployment on this machine (docs/deployment.md). HAProxy on
# $BOT_PORT (5005: REST and socket.io) in front of two Rasa servers (5006, 5007); two action
# servers (5056, 5057) that the Rasa servers reach through HAProxy on 5055; conversations in
# PostgreSQL (database `triage`, created if missing), conversation locks in Redis; the nurse
# console (8000) and the demo page (8080) as in `make run`. Each process writes
# var/cluster/<name>.pid and var/cluster/<name>.log. Ctrl-C or `make cluster-stop` stops them
# all; a node that dies is not restarted (the others carry on; `scripts/cluster_node.sh NAME &`
# brings it back). `make run` stays the one-process default.
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ "${CLUSTER_SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh
command -v haproxy >/dev/null || { echo "cluster: haproxy is missing (apt-get install haproxy)" >&2; exit 1; }
scripts/services.sh
MODEL="${TRIAGE_MODEL:-$(scripts/train.sh | tail -1)}"
source scripts/cluster_env.sh
mkdir -p "$CLUSTER_DIR"
for file in "$CLUSTER_DIR"/*.pid; do
  if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
    echo "cluster: already running ($file); make cluster-stop first" >&2; exit 1
  fi
done

# The database, once.
export PGPASSWORD="$POSTGRES_PASSWORD"
if ! psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'" | grep -q 1; then
  createdb -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" "$POSTGRES_DB"
  echo "cluster: created database $POSTGRES_DB"
fi

# The settings every node starts with, also when one is brought back later: saved with the
# action servers' shared secret (a fresh one unless the deployment sets its own), owner-only.
ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')}"
(
  umask 077
  for var in "${CLUSTER_VARS[@]}" MODEL ACTION_SERVER_TOKEN; do printf 'export %s=%q\n' "$var" "${!var}"; done
) >"$CLUSTER_DIR/cluster.env"

stopping=0
stop() { [ $stopping = 1 ] && return; stopping=1; scripts/cluster_stop.sh; }
trap stop EXIT
trap 'exit 130' INT TERM

up() {  # up URL SECONDS: wait for a 200
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    [ $SECONDS -lt "$deadline" ] || { echo "cluster: $1 not up after $2 s (logs in $CLUSTER_DIR)" >&2; return 1; }
    sleep 0.5
  done
}

nodes=("${CLUSTER_NODES[@]}")
[ "$CLUSTER_EXTRAS" = 1 ] && nodes+=(console web)
for name in "${CLUSTER_NODES[@]}"; do scripts/cluster_node.sh "$name" & done
up "http://127.0.0.1:$RASA_1_PORT/" 300
up "http://127.0.0.1:$RASA_2_PORT/" 300
up "http://127.0.0.1:$BOT_PORT/" 10
if [ "$CLUSTER_EXTRAS" = 1 ]; then
  scripts/cluster_node.sh console &
  scripts/cluster_node.sh web &
fi
echo "cluster: up (${nodes[*]}; pids and logs in $CLUSTER_DIR)"
[ "$CLUSTER_EXTRAS" = 1 ] && echo "cluster: chat page http://localhost:$WEB_PORT/  console http://localhost:$CONSOLE_PORT/"
echo "cluster: REST http://localhost:$BOT_PORT/webhooks/rest/webhook"
wait
