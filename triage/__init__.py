"""The clinical triage core of the cervical-insufficiency assistant: pure Python, no Rasa.

Findings in, Decision (level, concerns, reasons with sources) out, and the safety-netting
advice text; the clinic's names and numbers come from clinic.yml. Kept free of Rasa and spaCy
so the rules can be tested, reviewed and reused on their own (see docs/triage-rules.md).
"""

from __future__ import annotations

from .advice import disclaimer, fallback_advice, interim_safety_net, render_advice
from .clinic import Clinic, ClinicConfigError, Service, load_clinic
from .codes import RED_FLAGS, RISK_FACTORS, SEED_SYMPTOMS
from .decision import Decision, Level, Reason
from .engine import assess, floor, hold, missing_information
from .findings import Findings
from .rules import RULES, Rule

__all__ = [
    "Clinic",
    "ClinicConfigError",
    "Decision",
    "Findings",
    "Level",
    "RED_FLAGS",
    "RISK_FACTORS",
    "RULES",
    "Reason",
    "Rule",
    "SEED_SYMPTOMS",
    "Service",
    "assess",
    "disclaimer",
    "fallback_advice",
    "floor",
    "hold",
    "interim_safety_net",
    "load_clinic",
    "missing_information",
    "render_advice",
]
