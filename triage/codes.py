"""The code words shared by the NLU, the rules and the advice.

They are the symptom and risk-factor codes of docs/architecture.md, gathered in one place so a
typo in a rule's codes ("vaginal_presure") fails loudly at import time (rules._check_table)
instead of silently never firing.
"""

from __future__ import annotations

#: The five symptoms the MSD Manual lists for cervical insufficiency. None of them is a
#: contraction: that is the point of the condition.
SEED_SYMPTOMS: frozenset[str] = frozenset(
    {"vaginal_pressure", "bleeding", "abdominal_pain", "back_pain", "discharge_change"}
)

#: Symptoms that mean "call the emergency number now" whatever else is going on.
RED_FLAGS: frozenset[str] = frozenset(
    {
        "heavy_bleeding",
        "severe_constant_pain",
        "fainting",
        "seizure",
        "cord_felt",
        "membranes_felt",
        # The classifier is sure the patient described an emergency, but no red-flag pattern
        # matched the words: still an emergency (the safe reading of a pattern gap).
        "unspecified_red_flag",
    }
)

#: Every other symptom code the NLU can produce.
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

ALL_SYMPTOMS: frozenset[str] = SEED_SYMPTOMS | RED_FLAGS | OTHER_SYMPTOMS

#: Risk factors for cervical insufficiency (MSD Manual; RCOG GTG 75; NICE NG25). Only these
#: raise the routine "tell your midwife" rule R2 and the history note on U1/U2.
CI_RISK_FACTORS: frozenset[str] = frozenset(
    {
        "cervical_surgery",
        "previous_midtrimester_loss",
        "previous_preterm_birth",
        "connective_tissue_disorder",
        "uterine_anomaly",
        "cerclage_in_place",
    }
)

#: All risk-factor codes the NLU can produce. ``multiple_pregnancy`` is recorded for the nurses
#: but is not a cervical-insufficiency risk factor in the reference, so it escalates nothing.
RISK_FACTORS: frozenset[str] = CI_RISK_FACTORS | {"multiple_pregnancy"}

CONTRACTION_ANSWERS: tuple[str, ...] = ("yes", "no", "unsure", "unknown", "declined")
BLEEDING_AMOUNTS: tuple[str, ...] = ("spotting", "light", "heavy")

#: What a decision can be worried about. The advice has plain-language text for each one.
CONCERNS: tuple[str, ...] = (
    "bleeding",
    "severe_pain",
    "collapse",
    "cord_prolapse",
    "pre_eclampsia",
    "cervical_insufficiency",
    "preterm_labour",
    "early_pregnancy",
    "ruptured_membranes",
    "reduced_fetal_movements",
    "infection",
    "cholestasis",
    "labour",
    "other_symptom",
    "possible_emergency",
)
