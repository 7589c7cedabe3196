#!/usr/bin/env bash
# What the browser tests need beyond the venv: Debian's Chromium and ChromeDriver
# (never a test tool's own browser download).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "test deps: installing Debian's chromium" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
