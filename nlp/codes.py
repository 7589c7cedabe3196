"""The symptom and risk-factor codes of docs/architecture.md that the NLU may produce.

The pattern files are checked against these sets when the pipeline is built, so a typo in a
code ("vaginal_presure") fails loudly at start-up instead of silently never matching. They mirror
``triage/codes.py``; ``tests/test_nlp_extraction.py`` checks that the two agree. (``nlp`` does not
import ``triage``: the folders are independent.)
"""

from __future__ import annotations

SEED_SYMPTOMS: frozenset[str] = frozenset(
    {"vaginal_pressure", "bleeding", "abdominal_pain", "back_pain", "discharge_change"}
)
RED_FLAGS: frozenset[str] = frozenset(
    {"heavy_bleeding", "severe_constant_pain", "fainting", "seizure", "cord_felt", "membranes_felt"}
)
OTHER_SYMPTOMS: frozenset[str] = frozenset(
    {
        "contractions",
        "fluid_leak",
        "reduced_movements",
        "mucus_plug",
        "headache",
        "visual_disturbance",
        "swelling",
        "fever",
        "itching",
        "smelly_discharge",
        "itchy_discharge",
        "burning_urination",
        "one_sided_pain",
        "shoulder_tip_pain",
        "dizziness",
    }
)
SYMPTOMS: frozenset[str] = SEED_SYMPTOMS | RED_FLAGS | OTHER_SYMPTOMS

RISK_FACTORS: frozenset[str] = frozenset(
    {
        "cervical_surgery",
        "previous_midtrimester_loss",
        "previous_preterm_birth",
        "connective_tissue_disorder",
        "uterine_anomaly",
        "cerclage_in_place",
        "multiple_pregnancy",
    }
)

#: Least to most severe; the extraction reports the most severe affirmed amount.
BLEEDING_AMOUNTS: tuple[str, ...] = ("spotting", "light", "heavy")

#: Where a mention stands: the patient now, a what-if, the past, or somebody else.
CONTEXTS: tuple[str, ...] = ("current", "hypothetical", "historical", "other_person")
