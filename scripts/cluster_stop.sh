#!/usr/bin/env bash
# `make cluster-stop` (and Ctrl-C in `make cluster`): stops every process named by a pid file
# in $CLUSTER_DIR (SIGTERM, then SIGKILL after 20 s), and removes the pid files and the saved
# settings (they hold the action server's secret). Logs stay. A pid whose process no longer
# runs from this repository (a recycled pid) is left alone.
set -uo pipefail
source "$(dirname "$0")/common.sh"
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/var/cluster}"
ours() { [ -d "/proc/$1" ] && [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$ROOT" ]; }
pids=()
for file in "$CLUSTER_DIR"/*.pid; do
  [ -f "$file" ] || continue
  pid=$(cat "$file")
  if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  fi
  rm -f "$file"
done
for _ in $(seq 40); do
  alive=()
  for pid in "${pids[@]}"; do ours "$pid" && alive+=("$pid"); done
  [ ${#alive[@]} -eq 0 ] && break
  sleep 0.5
done
for pid in "${pids[@]}"; do ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
rm -f "$CLUSTER_DIR/cluster.env" "$CLUSTER_DIR/haproxy.sock"
[ ${#pids[@]} -gt 0 ] && echo "cluster: stopped ${#pids[@]} processes"
exit 0
