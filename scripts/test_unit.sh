#!/usr/bin/env bash
# `make test-unit`: the fast tests. No trained model, no Rasa or action server, no browser, no
# PostgreSQL or Redis: pytest without the e2e, browser, postgres and redis markers (pytest.ini),
# and the widget helpers' node tests. Sets up the venv, the encoder weights and the widget build
# first (quick when done). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/common.sh"
scripts/setup.sh
"$PY" scripts/build_spacy_base.py >/dev/null

echo "== node --test (the widget's helpers and bundle)"
node --test --test-reporter=spec web/test/*.test.js

echo "== pytest (not e2e, browser, postgres or redis)"
"$PY" -m pytest -m "not e2e and not browser and not postgres and not redis" "$@"
