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
  LOG="$TRIAGE_MODELS/train-$KEY.log"
  START=$(date +%s)
  "$RASA" train --fixed-model-name "triage-$KEY" --out "$TRIAGE_MODELS" >"$LOG" 2>&1 \
    || { tail -40 "$LOG" >&2; echo "train: failed, full log in $LOG" >&2; exit 1; }
  echo "train: done in $(( $(date +%s) - START ))s (log: $LOG)" >&2
fi
echo "$MODEL"
