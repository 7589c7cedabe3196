#!/usr/bin/env bash
# The whole test suite: unit tests, the real bot over REST and socket.io, the console against
# SQLite and PostgreSQL, Redis, browser tests in Debian's Chromium, `rasa data validate` and
# `rasa test` on the conversation test stories. Lint (scripts/lint.sh) and the widget's node tests
# run first. pytest measures coverage of the product packages, the servers it starts included
# ([tool.coverage] in pyproject.toml). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/common.sh"
scripts/setup.sh

echo "== lint"
scripts/lint.sh

echo "== node --test (the widget's helpers and bundle)"
node --test --test-reporter=spec web/test/*.test.js

scripts/test_deps.sh
scripts/services.sh
MODEL=$(scripts/train.sh | tail -1)
export TRIAGE_MODEL="$MODEL"

echo "== rasa data validate"
"$RASA" data validate --fail-on-warnings --max-history 4

echo "== rasa test (conversation test stories)"
RESULTS=$(mktemp -d)
"$RASA" test core --model "$MODEL" --stories tests/test_stories.yml --out "$RESULTS" \
  --fail-on-prediction-errors --no-plot >"$RESULTS/rasa-test.log" 2>&1 \
  || { tail -60 "$RESULTS/rasa-test.log"; cat "$RESULTS/failed_test_stories.yml" 2>/dev/null; exit 1; }
grep -E "Correct:|Accuracy" "$RESULTS/rasa-test.log" | head -4 || true

# Two workers (pytest-xdist; TEST_WORKERS=1 runs in one process): most of the suite's time is
# spent waiting on servers and browsers, so both cores of the CI machine are used. Whole test
# files go to one worker (--dist loadfile), so a module's browser or server starts once; each
# worker starts its own bot.
echo "== pytest (with coverage, ${TEST_WORKERS:-2} workers)"
rm -f .coverage .coverage.*
"$PY" -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile \
  --cov --cov-report=term-missing:skip-covered --durations=20 "$@"
