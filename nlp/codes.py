"""The symptom and risk-factor codes the NLU may produce, taken from ``triage.codes``.

``triage/codes.py`` is the one place where a code is defined; this module only names the subset
the rule-based extractor produces, plus the extractor's own vocabularies (bleeding amounts,
contexts). The pattern files are checked against these sets when the pipeline is built, so a typo
in a code ("vaginal_presure") fails loudly at start-up instead of silently never matching.
"""

from __future__ import annotations

from triage.codes import (
    AMOUNT_ANSWER_ROLE,
    BLEEDING_AMOUNTS,
    COMMON_COMPLAINT,
    EXTRACTED_SYMPTOMS,
    RED_FLAGS,
    RISK_FACTORS,
    SEED_SYMPTOMS,
)

#: Every symptom code the rule-based extractor may produce.
SYMPTOMS: frozenset[str] = EXTRACTED_SYMPTOMS

#: Where a mention stands: the patient now, earlier today but stopped, a what-if, the past, or
#: somebody else. A "resolved" symptom (a bleed this morning that has stopped) is still a finding.
CONTEXTS: tuple[str, ...] = ("current", "resolved", "hypothetical", "historical", "other_person")

__all__ = [
    "AMOUNT_ANSWER_ROLE",
    "BLEEDING_AMOUNTS",
    "COMMON_COMPLAINT",
    "CONTEXTS",
    "RED_FLAGS",
    "RISK_FACTORS",
    "SEED_SYMPTOMS",
    "SYMPTOMS",
]
