#!/usr/bin/env bash
# The model's key: everything that changes what `rasa train` produces. Equal key, same model.
set -euo pipefail
cd "$(dirname "$0")/.."
{ cat requirements.lock config.yml domain.yml
  find data nlp -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' -o -name '*.jsonl' -o -name '*.json' -o -name '*.txt' \) \
       -not -path 'nlp/base_model/*' -not -path 'nlp/encoder_model/*' -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat
} | sha256sum | cut -c1-16
