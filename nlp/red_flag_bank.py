"""Emergencies by meaning: the sentence encoder compares a message with short descriptions of
each red flag (nlp/patterns/red_flag_bank.yml).

The lexicon finds the words it knows; this finds what is *near* an emergency in meaning ("like
an elephant sitting on my chest" is close to "crushing pain in my chest"). A match only raises
the urgent "this could be an emergency" advice with the 999 list and flags the conversation
(rule X3 in triage/rules.py); it never decides 999 on its own, and the lexicon's red flags
always come first. Pure numpy: the encoder is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import yaml

from .codes import RED_FLAGS
from .lexicon import patterns_path

#: The code a semantic match adds to the message's findings (triage.codes.SEMANTIC_SYMPTOMS).
POSSIBLE_RED_FLAG = "possible_red_flag"
#: The message attribute where the featurizer leaves the best match (code, score), if any.
MATCH_ATTRIBUTE = "semantic_red_flag"


def load_bank(path: Path | None = None) -> dict[str, list[str]]:
    """The descriptions per red-flag code; an unknown code is an error at start-up."""
    data = yaml.safe_load((path or patterns_path("red_flag_bank.yml")).read_text(encoding="utf-8"))
    bank = data.get("bank") if isinstance(data, dict) else None
    if not isinstance(bank, Mapping) or not bank:
        raise ValueError("red_flag_bank.yml: a non-empty 'bank' mapping is required")
    unknown = set(bank) - RED_FLAGS
    if unknown:
        raise ValueError(f"red_flag_bank.yml: unknown red-flag codes {sorted(unknown)}")
    out: dict[str, list[str]] = {}
    for code, texts in bank.items():
        if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError(f"red_flag_bank.yml: {code} needs a list of descriptions")
        out[str(code)] = [t.strip() for t in texts]
    return out


class RedFlagBank:
    """The bank's embeddings (unit rows) and the nearest description to a message."""

    def __init__(
        self, bank: Mapping[str, Sequence[str]], encode: Callable[[str], np.ndarray]
    ) -> None:
        self.codes: list[str] = []
        rows = []
        for code, texts in bank.items():
            for text in texts:
                self.codes.append(code)
                rows.append(_unit(encode(text)))
        self.matrix = np.stack(rows).astype(np.float32)

    def best(self, embedding: np.ndarray) -> tuple[str, float]:
        """The nearest red flag and its cosine similarity."""
        scores = self.matrix @ _unit(embedding)
        i = int(np.argmax(scores))
        return self.codes[i], float(scores[i])

    def match(self, embedding: np.ndarray, threshold: float) -> tuple[str, float] | None:
        code, score = self.best(embedding)
        return (code, score) if score >= threshold else None


def _unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v
