#!/usr/bin/env bash
# `make lint`: ruff (lint), ruff format --check, mypy (the whole tree, configured in
# pyproject.toml: strict on triage/ and actions/slot_updates.py) and ESLint on the widget
# (web/eslint.config.js). Runs every tool, prints one line per tool, fails if any failed.
# Needs the set-up (`make setup`: the venv and web/node_modules); scripts/test.sh runs it first.
set -uo pipefail
source "$(dirname "$0")/common.sh"
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT
failed=()

run() {  # run NAME COMMAND...: one summary line; the tool's own output only when it fails
  local name=$1; shift
  local start=$SECONDS
  if "$@" >"$LOG/$name" 2>&1; then
    printf 'lint: %-14s ok    (%ss)\n' "$name" $((SECONDS - start))
  else
    printf 'lint: %-14s FAIL  (%ss)\n' "$name" $((SECONDS - start))
    sed 's/^/    /' "$LOG/$name"
    failed+=("$name")
  fi
}

run "ruff check" "$ROOT/.venv/bin/ruff" check --no-cache .
run "ruff format" "$ROOT/.venv/bin/ruff" format --check --no-cache .
run "mypy" "$ROOT/.venv/bin/mypy" .
if [ -x web/node_modules/.bin/eslint ]; then
  # from web/: ESLint finds web/eslint.config.js in its working directory
  run "eslint" bash -c 'cd web && node_modules/.bin/eslint --max-warnings 0 .'
else
  echo "lint: eslint         FAIL  (web/node_modules/.bin/eslint is missing: run make setup)"
  failed+=("eslint")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: failed: ${failed[*]}"
  exit 1
fi
echo "lint: all passed"
