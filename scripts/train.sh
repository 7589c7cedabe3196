#!/usr/bin/env bash
# Trains the model only when config, domain, data, the NLP code or the lock file changed.
# Prints the model's path as the last line.
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$PY" scripts/build_spacy_base.py >/dev/null
KEY=$(scripts/model_hash.sh)
MODEL="$TRIAGE_MODELS/triage-$KEY.tar.gz"
if [ -f "$MODEL" ]; then
  echo "train: model is up to date ($MODEL)" >&2
else
  echo "train: data, config or NLP changed; training $MODEL" >&2
  mkdir -p "$TRIAGE_MODELS"
  "$RASA" train --fixed-model-name "triage-$KEY" --out "$TRIAGE_MODELS" >&2
fi
echo "$MODEL"
