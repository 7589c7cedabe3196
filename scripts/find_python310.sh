#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter, or explains in one line what to install.
# Rasa Open Source 3.6.21 (the last open-source Rasa) needs Python < 3.11, and under 3.11 pip
# silently resolves `rasa` to 1.10.2, so we never fall back to the machine's default python3.
set -euo pipefail
for candidate in "${PYTHON310:-}" "$(command -v python3.10 || true)" \
                 $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "$candidate"; exit 0
  fi
done
echo "Python 3.10 is required (Rasa 3.6.21 does not run on 3.11+): install it with 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv', or set PYTHON310=/path/to/python3.10." >&2
exit 1
