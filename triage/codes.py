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

#: Symptoms that mean "call the emergency number now" whatever else is going on: the cervix's
#: own red flags, and the whole pregnancy's (heart and lungs, shock, sepsis, self-harm).
RED_FLAGS: frozenset[str] = frozenset(
    {
        "heavy_bleeding",
        "severe_constant_pain",
        "fainting",
        "seizure",
        "cord_felt",
        "membranes_felt",
        "chest_pain",  # chest pain or tightness (pulmonary embolism, heart)
        "breathlessness",  # struggling to breathe, can't catch breath at rest
        "confusion",  # new confusion, very drowsy, not making sense (sepsis, eclampsia)
        "mottled_skin",  # grey, blue, mottled or cold clammy skin (shock, sepsis)
        "self_harm",  # thoughts of ending her life or harming herself
        "in_danger",  # someone is about to hurt her now, or she fears for her life
        "self_harm_plan",  # a plan or the means to end her life ("saved my tablets"): also self_harm
        "anaphylaxis",  # swelling of the lips, tongue or throat, a tight throat (severe allergy)
        "stroke_signs",  # a face that droops, an arm that can't be lifted, speech gone wrong
    }
)

#: Red flags that the rule-based extractor never produces: the classifier is sure the patient
#: described an emergency, but no red-flag pattern matched the words (the safe reading of a
#: pattern gap).
CLASSIFIER_RED_FLAGS: frozenset[str] = frozenset({"unspecified_red_flag"})

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
        "period_type_pain",  # period-like cramps (always with abdominal_pain)
        "positional_pain",  # a brief twinge on moving or standing that passes (not an ache)
        "rigors",  # uncontrollable shaking or shivering
        "calf_pain",  # one swollen, painful calf or leg (a clot)
        "abdominal_trauma",  # a fall, a blow, a kick or a crash onto the bump
        "vomiting",  # being sick and not keeping fluids down
        "epigastric_pain",  # pain under the ribs or at the top of the tummy
        "stitch_problem",  # a cervical stitch that feels loose, is coming out or fell out
        "abuse",  # someone hurting, threatening or controlling her
        "abuser_present",  # the person who hurt her is there now; she is hiding or locked in
        "no_self_harm_plan",  # with thoughts of self-harm: she says she has no plan and won't act
        "unwell",  # "something is not right", "I feel really unwell": a problem not yet placed
        "common_complaint",  # a common discomfort of pregnancy: heartburn, a nosebleed, leg cramps
        "rectal_bleeding",  # blood she says comes from her bottom (piles), not the vagina
    }
)

#: A common discomfort of pregnancy that is no warning sign on its own (NHS): heartburn, a
#: nosebleed or bleeding gums, a blocked nose, cramp in both legs at night, ankles that swell by
#: the evening, needing to wee often, constipation, tiredness, the baby's hiccups, sore
#: breasts, itchy skin over the bump (rule SC2).
COMMON_COMPLAINT = "common_complaint"

#: Symptoms recorded by the dialogue, never by the extractor: the classifier read a symptom
#: report, and no pattern named it (it is a problem the bot cannot place).
DIALOGUE_SYMPTOMS: frozenset[str] = frozenset({"unrecognised_symptom"})

#: Findings that only qualify another ("no plan" qualifies thoughts of self-harm): on their own
#: they are nothing to act on, so the catch-all X1 does not count them as a reported problem.
QUALIFIERS: frozenset[str] = frozenset({"no_self_harm_plan"})

#: What the rule-based extractor (nlp/) may produce.
EXTRACTED_SYMPTOMS: frozenset[str] = SEED_SYMPTOMS | RED_FLAGS | OTHER_SYMPTOMS

ALL_SYMPTOMS: frozenset[str] = EXTRACTED_SYMPTOMS | CLASSIFIER_RED_FLAGS | DIALOGUE_SYMPTOMS

#: Every code that means "call the emergency number now".
ALL_RED_FLAGS: frozenset[str] = RED_FLAGS | CLASSIFIER_RED_FLAGS

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
        "previous_ci",  # diagnosed with cervical insufficiency ("weak" or "incompetent" cervix)
        "short_cervix",  # a scan finding: short cervix or funnelling, with or without symptoms
    }
)

#: All risk-factor codes the NLU can produce. ``multiple_pregnancy`` is recorded for the nurses
#: but is not a cervical-insufficiency risk factor in the reference; it is a preterm-labour one.
RISK_FACTORS: frozenset[str] = CI_RISK_FACTORS | {"multiple_pregnancy"}

CONTRACTION_ANSWERS: tuple[str, ...] = ("yes", "no", "unsure", "unknown", "declined")
BLEEDING_AMOUNTS: tuple[str, ...] = ("spotting", "light", "heavy")
#: What the bleeding-amount question can record: an amount, or "unsure" (asked, and she could
#: not say, or the answer named no amount). Only "heavy" changes a level (rule E1); "unsure" is
#: never asked again, and is treated as not known to be heavy.
BLEEDING_ANSWERS: tuple[str, ...] = (*BLEEDING_AMOUNTS, "unsure")
#: The NLU entity role of an amount said without a word for blood ("loads", "not much"): an
#: amount only as the answer to the bleeding-amount question, never a finding on its own.
AMOUNT_ANSWER_ROLE = "answer"

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
    "heart_or_lungs",
    "serious_illness",
    "mental_health_crisis",
    "blood_clot",
    "injury",
    "hyperemesis",
    "safeguarding",
    "ligament_pain",
    "unrecognised_problem",
    "allergic_reaction",
    "stroke",
    "common_complaint",
    "piles",
    "multiple_pregnancy",
    "post_dates",
)
