"""Clinical extraction for the cervical-insufficiency chatbot (spaCy rules, no trained model).

    >>> from nlp import extract, to_rasa_entities
    >>> x = extract("im 20 weeks, no bleeding but some pressure")
    >>> sorted(x.present), sorted(x.absent), x.gestational_weeks
    (['vaginal_pressure'], ['bleeding'], 20.0)

See docs/nlp.md. Patient text is health data: nothing in this package logs it.
"""

from __future__ import annotations

from .extraction import (
    Extraction,
    RiskFactorMention,
    SymptomMention,
    make_extract,
    role_of,
    to_rasa_entities,
)
from .pipeline import build_pipeline, get_pipeline

extract = make_extract(get_pipeline)

__all__ = [
    "extract",
    "Extraction",
    "SymptomMention",
    "RiskFactorMention",
    "get_pipeline",
    "build_pipeline",
    "to_rasa_entities",
    "role_of",
]
