"""Builds the spaCy pipeline Rasa's SpacyNLP loads: blank English plus lookup lemmas.

spaCy's trained models cannot be downloaded on the machines this project runs on, and Rasa's
SpacyNLP only loads pipelines from disk (spacy.load). So setup saves a blank English pipeline
with spacy-lookups-data's lemma table to nlp/base_model/ (generated, not committed). Its content
depends only on the pinned spaCy and lookups versions, so rebuilding is skipped when present.
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

TARGET = Path(__file__).resolve().parent.parent / "nlp" / "base_model"


def build(target: Path = TARGET) -> Path:
    if (target / "meta.json").exists():
        return target
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "triage_base"
    nlp.to_disk(target)
    return target


if __name__ == "__main__":
    print(f"spaCy base pipeline: {build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)}")
