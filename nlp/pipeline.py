"""Build the clinical spaCy pipeline (blank English + rule components configured from nlp/patterns/).

    sentencizer -> line_breaks -> typo_normalizer -> clinical_entities -> negex
                -> answer_negation -> clinical_context -> gestational_age

The ``negex`` step is negspacy's negex with three corrections (``nlp.negation.ClinicalNegex``).
Every component is registered with ``@Language.factory`` and can be added to any blank English
pipeline on its own (see tests/test_nlp_extraction.py), and declares the attributes it reads
(``requires``) and writes (``assigns``), so ``nlp.analyze_pipes()`` checks the order above
(tests/test_nlp_pipe_order.py): a new component declares both too. ``get_pipeline()`` builds the
pipeline once per process; ``build_pipeline(patterns_dir=...)`` builds a fresh one, e.g. from
edited patterns.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import spacy
from spacy.language import Language

# Importing the modules registers their factories.
from . import context as _context  # noqa: F401
from . import entities as _entities  # noqa: F401
from . import gestation as _gestation  # noqa: F401
from . import negation as _negation
from . import normalizer as _normalizer  # noqa: F401

PIPE_NAMES = (
    "sentencizer",
    "line_breaks",
    "typo_normalizer",
    "clinical_entities",
    "negex",
    "answer_negation",
    "clinical_context",
    "gestational_age",
)

_lock = threading.Lock()
_pipeline: Language | None = None


def _quiet_loggers() -> None:
    """Patient text must never reach a log. spaCy's and negspacy's loggers never log text at the
    levels we use, but keep them at WARNING so a global DEBUG setting cannot make them chatty."""
    for name in ("spacy", "negspacy"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def build_pipeline(patterns_dir: str | None = None) -> Language:
    """A new pipeline. ``patterns_dir`` replaces ``nlp/patterns`` (all files must be there)."""
    _quiet_loggers()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("line_breaks")
    common: dict[str, Any] = {"patterns_dir": patterns_dir}
    nlp.add_pipe("typo_normalizer", config=dict(common))
    nlp.add_pipe("clinical_entities", config=dict(common))
    nlp.add_pipe(
        "clinical_negex",
        name="negex",
        config={
            "neg_termset": _negation.build_termset(patterns_dir=patterns_dir),
            "ent_types": [],
            "extension_name": "negex",
            "chunk_prefix": [],
            "patterns_dir": patterns_dir,
        },
    )
    nlp.add_pipe("answer_negation", config=dict(common))
    nlp.add_pipe("clinical_context", config=dict(common))
    nlp.add_pipe("gestational_age", config=dict(common))
    return nlp


def get_pipeline() -> Language:
    """The process-wide pipeline, built on first use (thread-safe)."""
    global _pipeline
    if _pipeline is None:
        with _lock:
            if _pipeline is None:
                _pipeline = build_pipeline()
    return _pipeline
