#!/usr/bin/env bash
# Starts one process of the cluster by name, in the foreground, with the settings that
# scripts/cluster.sh saved in $CLUSTER_DIR/cluster.env: actions-1, actions-2, haproxy, rasa-1,
# rasa-2, console or web. Writes its pid to $CLUSTER_DIR/<name>.pid (the pid stays the same:
# the process replaces this script) and its output to $CLUSTER_DIR/<name>.log. Also how a
# stopped node is brought back while the cluster runs: `scripts/cluster_node.sh rasa-1 &`.
set -euo pipefail
source "$(dirname "$0")/common.sh"
NAME=${1:?usage: cluster_node.sh NAME}
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/var/cluster}"
[ -f "$CLUSTER_DIR/cluster.env" ] || { echo "cluster_node: no $CLUSTER_DIR/cluster.env: start the cluster with make cluster" >&2; exit 1; }
# shellcheck source=/dev/null
source "$CLUSTER_DIR/cluster.env"
export SANIC_HOST=127.0.0.1  # the action servers: HAProxy reaches them on loopback
case "$NAME" in
  actions-1) cmd=("$PY" -m actions.server --port "$ACTIONS_1_PORT") ;;
  actions-2) cmd=("$PY" -m actions.server --port "$ACTIONS_2_PORT") ;;
  haproxy) cmd=(haproxy -db -f deploy/haproxy.cfg) ;;
  rasa-1 | rasa-2)
    port=$RASA_1_PORT; [ "$NAME" = rasa-2 ] && port=$RASA_2_PORT
    # shellcheck disable=SC2206 # RASA_CORS is a list of origins
    cmd=("$RASA" run --model "$MODEL" --port "$port" --interface 127.0.0.1
      --credentials "$CLUSTER_CREDENTIALS" --endpoints endpoints.postgresql.yml --cors $RASA_CORS) ;;
  console) cmd=("$PY" -m console serve --host 127.0.0.1 --port "$CONSOLE_PORT") ;;
  web) cmd=("$PY" -m web --port "$WEB_PORT" --bot-url "${BOT_PUBLIC_URL:-http://localhost:$BOT_PORT}") ;;
  *) echo "cluster_node: unknown node $NAME" >&2; exit 2 ;;
esac
echo $$ >"$CLUSTER_DIR/$NAME.pid"
exec "${cmd[@]}" >>"$CLUSTER_DIR/$NAME.log" 2>&1
