"""The triage rule table: one row per rule, read top to bottom like docs/triage-rules.md.

Why a table of small named conditions rather than nested ifs: a midwife can read each row,
the docs table is generated from the same rows (``rules_table_markdown``; a test checks the
docs match), and every row carries the published source it implements.

Conventions:
- the letter of a rule id is its level (E emergency, U urgent, S same day, R routine,
  SC self care; X is the catch-all); a "b"/"c" suffix is a variant of the same rule (other
  answers, or a gestation where the guidance asks for less urgency), so read the level column;
- gestational windows (the constants below are the only week numbers a rule may use):
  early < 13 (the sources say "about 14"; one week's margin for dating); cervical-insufficiency
  window 13 <= weeks < 28; preterm < 37; term >= 37. Unknown weeks (not said, or declined) are
  treated as inside the window and preterm: the safe, more urgent assumption, recorded in the
  reason text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .codes import (
    ALL_SYMPTOMS,
    CI_RISK_FACTORS,
    COMMON_COMPLAINT,
    CONCERNS,
    QUALIFIERS,
    SEED_SYMPTOMS,
)
from .decision import Level
from .findings import Findings

# -- sources (the published guidance; docs/clinical-sources.md says what each one says) ------

SRC_EMERGENCY = "UK maternity units and Tommy's: when to call the emergency number"
SRC_TRIAGE = "UK maternity units and Tommy's: call maternity triage straight away"
SRC_EARLY = (
    "UK maternity units and Tommy's: bleeding before about 14 weeks (early pregnancy unit "
    "or GP the same day; an emergency with one-sided pain, shoulder-tip pain, dizziness or "
    "fainting, possible ectopic pregnancy)"
)
SRC_ECTOPIC = (
    "RCOG Green-top Guideline 21 (ectopic pregnancy) and NICE NG126 (ectopic pregnancy and "
    "miscarriage): a ruptured ectopic pregnancy often shows without vaginal bleeding; "
    "one-sided or shoulder-tip pain with dizziness or fainting is an emergency"
)
SRC_SHOCK = (
    "NICE NG126; MBRRACE-UK (haemorrhage): bleeding or tummy pain with dizziness or feeling "
    "faint may be blood loss with shock"
)
SRC_SAME_DAY = (
    "UK maternity units and Tommy's: itchy discharge or burning on passing urine, "
    "midwife or GP the same day"
)
SRC_MSD = "MSD Manual consumer page 'Cervical Insufficiency'"
SRC_CI = (
    "MSD Manual consumer page 'Cervical Insufficiency'; ACOG Practice Bulletin 142 (2014); "
    "RCOG Green-top Guideline 75 (2022)"
)
SRC_NG25 = "NICE NG25 (preterm labour and birth)"
SRC_RISK = (
    "RCOG Green-top Guideline 75 (2022); NICE NG25; MSD Manual 'Cervical Insufficiency' "
    "(risk factors)"
)
SRC_STITCH = (
    "RCOG Green-top Guideline 75 (2022): with a cervical stitch in place, contractions, "
    "waters breaking or bleeding need assessment straight away (the stitch may need removing)"
)
SRC_HEART_LUNGS = (
    "RCOG Green-top Guideline 37b (thromboembolism in pregnancy); MBRRACE-UK (maternal "
    "deaths from heart disease and pulmonary embolism): chest pain or sudden breathlessness "
    "in pregnancy, call the emergency number"
)
SRC_SEPSIS = (
    "NICE NG51 (sepsis) high-risk criteria: new confusion, mottled or ashen skin, blue lips, "
    "very fast breathing; RCOG Green-top Guideline 64a (sepsis in pregnancy)"
)
SRC_CLOT = (
    "RCOG Green-top Guideline 37a/37b (thromboembolism in pregnancy): one swollen, painful "
    "leg needs assessment the same day, straight away"
)
SRC_TRAUMA = (
    "RCOG and Tommy's guidance on falls and injury in pregnancy: a fall or blow to the bump "
    "after the first trimester needs checking at the maternity unit straight away"
)
SRC_PET = "NICE NG133 (hypertension in pregnancy): signs of pre-eclampsia"
SRC_HYPEREMESIS = (
    "RCOG Green-top Guideline 69 (nausea, vomiting and hyperemesis gravidarum): not keeping "
    "fluids down, contact the midwife or GP the same day"
)
SRC_MENTAL = (
    "NICE CG192 (antenatal and postnatal mental health); MBRRACE-UK: thoughts of suicide or "
    "self-harm in pregnancy need urgent help; call the emergency number if in danger"
)
SRC_ABUSE = (
    "NICE PH50 (domestic violence and abuse) and NICE CG110 (pregnancy and complex social "
    "factors): ask, listen and refer; the emergency number if in danger now"
)
SRC_DANGER = (
    SRC_ABUSE + "; Police.uk and the IOPC, 'Silent Solution': how a caller who cannot speak "
    "makes an emergency call (clinic.yml silent_emergency_call)"
)
SRC_ANAPHYLAXIS = (
    "NICE CG134 (anaphylaxis) and the Resuscitation Council UK: call the emergency number, use "
    "an adrenaline auto-injector if one has been prescribed"
)
SRC_STROKE = (
    "NHS and the Stroke Association, FAST (face, arms, speech: time to call the emergency "
    "number); NICE NG128 (stroke and TIA): a suspected stroke goes straight to hospital by "
    "emergency ambulance"
)
SRC_TWINS = (
    "NICE NG137 (twin and triplet pregnancy): care from a specialist multidisciplinary team, "
    "with more scans; twins are a preterm-labour risk (NICE NG25)"
)
SRC_POST_DATES = (
    "NICE NG207 (inducing labour): offer induction from 41+0 weeks, and closer monitoring to "
    "anyone who chooses to wait"
)
SRC_PILES = (
    "NICE CKS Haemorrhoids (common in pregnancy; fibre, fluids and a topical treatment; "
    "assess rectal bleeding that is not typical of piles); NHS, piles and common health problems "
    "in pregnancy: bright red blood after a poo, see a GP or midwife, A&E for a lot of blood or "
    "bleeding that does not stop; the NHS telephone triage asks where the blood comes from before it "
    "triages bleeding in pregnancy"
)
SRC_COMMON = (
    "NHS, common health problems in pregnancy (heartburn, nosebleeds and bleeding gums, a "
    "blocked nose, leg cramps, swollen ankles, peeing often, constipation, tiredness, sore "
    "breasts, itchy skin over the bump); NICE NG201 (antenatal care); the warning signs with "
    "them from NICE NG133 (pre-eclampsia), NICE NG158 (a clot) and RCOG Green-top Guideline 43 "
    "(itching of the hands and feet: cholestasis)"
)
SRC_SAFETY = "Almond, Mant & Thompson, BJGP 2009; Jones et al., BJGP 2019 (safety-netting)"
PROJECT = "project decision (docs/triage-rules.md)"

# -- gestational boundaries in weeks: the only week numbers a rule may use ------------------

#: Early pregnancy ends here. The sources say "about 14 weeks"; a week's margin for dating
#: (review HZ-07), so a symptom at 13+0 is treated as in the window.
EARLY_END = 13.0
#: From here a cervical-insufficiency history (previous loss, preterm birth, diagnosed CI,
#: short cervix) turns a seed symptom urgent (stitches go in at 11-14 weeks, RCOG GTG 75).
HISTORY_FROM = 12.0
#: Fetal movements are usually felt from 16-24 weeks; before 16 a change is not a sign.
MOVEMENTS_FROM = 16.0
#: Smelly discharge from about 16 weeks is maternity triage (the reference).
SMELLY_FROM = 16.0
#: Pre-eclampsia (and eclampsia) from about 20 weeks.
PET_FROM = 20.0
#: The cervical-insufficiency window ends (about 28 weeks)...
CI_WINDOW_END = 28.0
#: ...but tummy or back pain without contractions stays urgent two weeks longer (dating margin).
PAIN_MARGIN_END = 30.0
#: Term.
TERM = 37.0
#: From here, with nothing wrong, the induction of labour is offered (NICE NG207: at 41+0).
POST_DATES_FROM = 41.0

#: Every boundary, sorted: engine.floor tries one gestation inside each band between them.
WEEK_BOUNDARIES: tuple[float, ...] = tuple(
    sorted(
        {
            EARLY_END,
            HISTORY_FROM,
            MOVEMENTS_FROM,
            SMELLY_FROM,
            PET_FROM,
            CI_WINDOW_END,
            PAIN_MARGIN_END,
            TERM,
            POST_DATES_FROM,
        }
    )
)

#: The form's quick-reply ranges, and the week each records: the most cautious week of the
#: range, so that choosing a range never lowers the level (tests/test_triage_rules.py checks
#: every week of each range against it). 28-36 records 29.9, not 36.9: pain without
#: contractions is urgent only to 30 weeks (U16). "37 or more" records 41.1: nothing at 41 weeks
#: is a talk about induction (R4), and no rule is less cautious at 41 than at 37.
GESTATION_RANGES: tuple[tuple[str, float], ...] = (
    (f"Under {EARLY_END:g} weeks", EARLY_END - 0.1),
    (f"{EARLY_END:g} to {CI_WINDOW_END - 1:g} weeks", CI_WINDOW_END - 0.1),
    (f"{CI_WINDOW_END:g} to {TERM - 1:g} weeks", PAIN_MARGIN_END - 0.1),
    (f"{TERM:g} weeks or more", POST_DATES_FROM + 0.1),
)

# -- notes added to a reason when the weeks are not known ----------------------------------

ASSUMED_WINDOW = (
    "Weeks of pregnancy not known, so treated as inside the window of about 14 to 28 weeks "
    "and before 37 weeks (the safer, more urgent assumption)."
)
ASSUMED_EARLY = (
    "Weeks of pregnancy not known, so an early (under about 14 weeks) pregnancy could not be "
    "ruled out (the safer, more urgent assumption)."
)
ASSUMED_LATE = (
    "Weeks of pregnancy not known, so treated as 20 weeks or more (the safer, more urgent "
    "assumption)."
)

# -- gestational windows -------------------------------------------------------------------


def _weeks(f: Findings, lo: float | None, hi: float | None, *, if_unknown: bool) -> bool:
    """lo <= weeks < hi; ``if_unknown`` is the answer when the weeks are not known."""
    w = f.gestational_weeks
    if w is None:
        return if_unknown
    return (lo is None or w >= lo) and (hi is None or w < hi)


def early(f: Findings) -> bool:
    """Known to be under 13 weeks."""
    return _weeks(f, None, EARLY_END, if_unknown=False)


def ci_window(f: Findings) -> bool:
    """Known to be 13 to under 28 weeks: where cervical insufficiency matters most."""
    return _weeks(f, EARLY_END, CI_WINDOW_END, if_unknown=False)


def late_preterm(f: Findings) -> bool:
    """Known to be 28 to under 37 weeks."""
    return _weeks(f, CI_WINDOW_END, TERM, if_unknown=False)


def term(f: Findings) -> bool:
    """Known to be 37 weeks or more."""
    return _weeks(f, TERM, None, if_unknown=False)


def weeks_unknown(f: Findings) -> bool:
    return f.gestational_weeks is None


# -- small helpers -----------------------------------------------------------------------

PAINS = ("abdominal_pain", "back_pain")
#: Risk factors of a cervix that opened early before (not a surgery or anomaly: a history).
CI_HISTORY = frozenset(
    {"previous_midtrimester_loss", "previous_preterm_birth", "previous_ci", "short_cervix"}
)


def _discharge_change(f: Findings) -> bool:
    """A change in discharge, unless it is explained as itchy (thrush: S1, same day)."""
    return f.has("discharge_change") and not f.has("itchy_discharge")


def _seed(f: Findings) -> bool:
    return f.has(*(SEED_SYMPTOMS - {"discharge_change"})) or _discharge_change(f)


def _bleeding_not_heavy(f: Findings) -> bool:
    return f.has("bleeding") and not f.has("heavy_bleeding")


def _contractions(f: Findings, *answers: str) -> bool:
    return f.contraction_status in answers


# -- the conditions, one small named function per rule ------------------------------------


def heavy_bleeding(f: Findings) -> bool:
    """heavy_bleeding, or a bleeding amount of "heavy"."""
    return f.has("heavy_bleeding")


def severe_constant_pain(f: Findings) -> bool:
    """severe_constant_pain."""
    return f.has("severe_constant_pain")


def fainting_or_seizure(f: Findings) -> bool:
    """fainting or seizure."""
    return f.has("fainting", "seizure")


def seizure_from_20_weeks(f: Findings) -> bool:
    """seizure at >= 20 weeks or weeks unknown."""
    return f.has("seizure") and _weeks(f, PET_FROM, None, if_unknown=True)


def unspecified_red_flag(f: Findings) -> bool:
    """unspecified_red_flag: the message reads as an emergency but names no known red flag."""
    return f.has("unspecified_red_flag")


def cord_felt(f: Findings) -> bool:
    """cord_felt."""
    return f.has("cord_felt")


def membranes_felt(f: Findings) -> bool:
    """membranes_felt (something bulging or coming out of the vagina)."""
    return f.has("membranes_felt")


def early_ectopic_signs(f: Findings) -> bool:
    """at < 13 weeks or weeks unknown: bleeding (any amount) with one_sided_pain,
    shoulder_tip_pain or dizziness; or one_sided_pain or shoulder_tip_pain with dizziness or
    fainting, with or without bleeding."""
    with_bleeding = f.has("bleeding", "heavy_bleeding") and f.has(
        "one_sided_pain", "shoulder_tip_pain", "dizziness"
    )
    without_bleeding = f.has("one_sided_pain", "shoulder_tip_pain") and f.has(
        "dizziness", "fainting"
    )
    return (with_bleeding or without_bleeding) and _weeks(f, None, EARLY_END, if_unknown=True)


def bleeding_or_pain_with_dizziness(f: Findings) -> bool:
    """bleeding, abdominal_pain, one_sided_pain or back_pain with dizziness, any weeks."""
    return f.has(
        "bleeding", "heavy_bleeding", "abdominal_pain", "one_sided_pain", "back_pain"
    ) and f.has("dizziness")


def chest_pain_or_breathlessness(f: Findings) -> bool:
    """chest_pain or breathlessness, any weeks."""
    return f.has("chest_pain", "breathlessness")


def confusion_or_mottled_skin(f: Findings) -> bool:
    """confusion or mottled_skin (grey, blue, mottled, cold and clammy), any weeks."""
    return f.has("confusion", "mottled_skin")


def self_harm(f: Findings) -> bool:
    """self_harm (thoughts of ending her life or harming herself), unless she says she has no
    plan and will not act on them (no_self_harm_plan) and names no plan or means
    (self_harm_plan), any weeks."""
    return f.has("self_harm_plan") or (f.has("self_harm") and not f.has("no_self_harm_plan"))


def self_harm_thoughts_no_plan(f: Findings) -> bool:
    """self_harm with no_self_harm_plan, and no self_harm_plan, any weeks."""
    return f.has("self_harm") and f.has("no_self_harm_plan") and not f.has("self_harm_plan")


def seed_in_window_no_contractions(f: Findings) -> bool:
    """a seed symptom, 13 <= weeks < 28, contractions "no"."""
    return _seed(f) and ci_window(f) and _contractions(f, "no")


def seed_in_window_contractions_not_known(f: Findings) -> bool:
    """a seed symptom, 13 <= weeks < 28 or weeks unknown, contractions "unknown" or
    "declined"."""
    return (
        _seed(f) and (ci_window(f) or weeks_unknown(f)) and _contractions(f, "unknown", "declined")
    )


def seed_weeks_unknown_no_contractions(f: Findings) -> bool:
    """a seed symptom, weeks unknown (not said or declined), contractions "no"."""
    return _seed(f) and weeks_unknown(f) and _contractions(f, "no")


def contractions_preterm(f: Findings) -> bool:
    """contractions "yes" or "unsure", 13 <= weeks < 37 or weeks unknown."""
    return _contractions(f, "yes", "unsure") and _weeks(f, EARLY_END, TERM, if_unknown=True)


def contractions_at_term(f: Findings) -> bool:
    """contractions "yes", weeks >= 37."""
    return _contractions(f, "yes") and term(f)


def fluid_leak(f: Findings) -> bool:
    """fluid_leak, any weeks."""
    return f.has("fluid_leak")


def bleeding_from_13_weeks(f: Findings) -> bool:
    """bleeding (not heavy), weeks >= 13 or unknown."""
    return _bleeding_not_heavy(f) and _weeks(f, EARLY_END, None, if_unknown=True)


def pressure_in_window(f: Findings) -> bool:
    """vaginal_pressure, 13 <= weeks < 28 or weeks unknown."""
    return f.has("vaginal_pressure") and (ci_window(f) or weeks_unknown(f))


def pressure_late_preterm(f: Findings) -> bool:
    """vaginal_pressure, 28 <= weeks < 37."""
    return f.has("vaginal_pressure") and late_preterm(f)


def show_preterm(f: Findings) -> bool:
    """mucus_plug, 13 <= weeks < 37 or weeks unknown."""
    return f.has("mucus_plug") and _weeks(f, EARLY_END, TERM, if_unknown=True)


def show_early(f: Findings) -> bool:
    """mucus_plug, weeks < 13."""
    return f.has("mucus_plug") and early(f)


def reduced_movements_from_16(f: Findings) -> bool:
    """reduced_movements, weeks >= 16 or unknown."""
    return f.has("reduced_movements") and _weeks(f, MOVEMENTS_FROM, None, if_unknown=True)


def reduced_movements_before_16(f: Findings) -> bool:
    """reduced_movements, weeks < 16."""
    return f.has("reduced_movements") and _weeks(f, None, MOVEMENTS_FROM, if_unknown=False)


_PET_SIGNS = ("headache", "visual_disturbance", "swelling", "epigastric_pain")


def pre_eclampsia_signs_from_20(f: Findings) -> bool:
    """headache, visual_disturbance, swelling or epigastric_pain, weeks >= 20 or unknown."""
    return f.has(*_PET_SIGNS) and _weeks(f, PET_FROM, None, if_unknown=True)


def pre_eclampsia_signs_before_20(f: Findings) -> bool:
    """headache, visual_disturbance, swelling or epigastric_pain, weeks < 20."""
    return f.has(*_PET_SIGNS) and _weeks(f, None, PET_FROM, if_unknown=False)


def fever(f: Findings) -> bool:
    """fever or rigors, any weeks."""
    return f.has("fever", "rigors")


def itching_from_13(f: Findings) -> bool:
    """itching (palms or soles), weeks >= 13 or unknown."""
    return f.has("itching") and _weeks(f, EARLY_END, None, if_unknown=True)


def smelly_discharge_from_16(f: Findings) -> bool:
    """smelly_discharge, weeks >= 16 or unknown."""
    return f.has("smelly_discharge") and _weeks(f, SMELLY_FROM, None, if_unknown=True)


def smelly_discharge_before_16(f: Findings) -> bool:
    """smelly_discharge, weeks < 16."""
    return f.has("smelly_discharge") and _weeks(f, None, SMELLY_FROM, if_unknown=False)


def discharge_change_late_preterm(f: Findings) -> bool:
    """discharge_change (not itchy), 28 <= weeks < 37."""
    return _discharge_change(f) and late_preterm(f)


def pain_late_preterm_contractions_not_known(f: Findings) -> bool:
    """abdominal_pain or back_pain, 28 <= weeks < 37, contractions "unknown" or "declined"."""
    return f.has(*PAINS) and late_preterm(f) and _contractions(f, "unknown", "declined")


def pain_in_margin_no_contractions(f: Findings) -> bool:
    """abdominal_pain or back_pain, 28 <= weeks < 30, contractions "no"."""
    return (
        f.has(*PAINS)
        and _weeks(f, CI_WINDOW_END, PAIN_MARGIN_END, if_unknown=False)
        and _contractions(f, "no")
    )


def stitch_with_symptoms(f: Findings) -> bool:
    """cerclage_in_place with a seed symptom, fluid_leak, mucus_plug or contractions "yes" or
    "unsure", any weeks."""
    return "cerclage_in_place" in f.risk_factors and (
        _seed(f) or f.has("fluid_leak", "mucus_plug") or _contractions(f, "yes", "unsure")
    )


def stitch_problem(f: Findings) -> bool:
    """stitch_problem (the stitch feels loose, is coming out or fell out), any weeks."""
    return f.has("stitch_problem")


def ci_history_with_seed(f: Findings) -> bool:
    """previous_midtrimester_loss, previous_preterm_birth, previous_ci or short_cervix with a
    seed symptom, 12 <= weeks < 37 or weeks unknown."""
    return (
        bool(f.risk_factors & CI_HISTORY)
        and _seed(f)
        and _weeks(f, HISTORY_FROM, TERM, if_unknown=True)
    )


def twins_with_pain_late_preterm(f: Findings) -> bool:
    """multiple_pregnancy with abdominal_pain or back_pain, 28 <= weeks < 37."""
    return "multiple_pregnancy" in f.risk_factors and f.has(*PAINS) and late_preterm(f)


def period_type_pain_preterm(f: Findings) -> bool:
    """period_type_pain, 13 <= weeks < 37 or weeks unknown."""
    return f.has("period_type_pain") and _weeks(f, EARLY_END, TERM, if_unknown=True)


def calf_pain(f: Findings) -> bool:
    """calf_pain (one swollen, painful calf or leg), any weeks."""
    return f.has("calf_pain")


def trauma_from_13(f: Findings) -> bool:
    """abdominal_trauma, weeks >= 13 or unknown."""
    return f.has("abdominal_trauma") and _weeks(f, EARLY_END, None, if_unknown=True)


def trauma_early(f: Findings) -> bool:
    """abdominal_trauma, weeks < 13."""
    return f.has("abdominal_trauma") and early(f)


def unrecognised_symptom(f: Findings) -> bool:
    """unrecognised_symptom (a problem the bot could not place) or unwell ("something is not
    right"), any weeks."""
    return f.has("unrecognised_symptom", "unwell")


def itchy_discharge_or_burning(f: Findings) -> bool:
    """itchy_discharge or burning_urination, any weeks."""
    return f.has("itchy_discharge", "burning_urination")


def bleeding_before_13(f: Findings) -> bool:
    """bleeding (not heavy), weeks < 13."""
    return _bleeding_not_heavy(f) and early(f)


def pain_before_13(f: Findings) -> bool:
    """abdominal_pain, back_pain, vaginal_pressure, one_sided_pain or shoulder_tip_pain, or
    contractions "yes"/"unsure", at weeks < 13."""
    return early(f) and (
        f.has(*PAINS, "vaginal_pressure", "one_sided_pain", "shoulder_tip_pain")
        or _contractions(f, "yes", "unsure")
    )


def pain_late_preterm_no_contractions(f: Findings) -> bool:
    """abdominal_pain or back_pain, 30 <= weeks < 37, contractions "no"."""
    return (
        f.has(*PAINS)
        and _weeks(f, PAIN_MARGIN_END, TERM, if_unknown=False)
        and _contractions(f, "no")
    )


def labour_signs_at_term(f: Findings) -> bool:
    """at weeks >= 37: vaginal_pressure, abdominal_pain, back_pain or mucus_plug without
    contractions "yes", or contractions "unsure"."""
    return term(f) and (
        (f.has(*PAINS, "vaginal_pressure", "mucus_plug") and not _contractions(f, "yes"))
        or _contractions(f, "unsure")
    )


def positional_pain(f: Findings) -> bool:
    """positional_pain (a brief twinge on moving or standing that passes), any weeks."""
    return f.has("positional_pain")


def common_complaint(f: Findings) -> bool:
    """common_complaint (heartburn, a nosebleed, bleeding gums, a blocked nose, cramp in both
    legs, ankles that swell by the evening, needing to wee often, constipation, tiredness, the
    baby's hiccups), any weeks."""
    return f.has(COMMON_COMPLAINT)


def piles(f: Findings) -> bool:
    """rectal_bleeding (blood she says comes from her bottom, not the vagina), any weeks."""
    return f.has("rectal_bleeding")


def vomiting(f: Findings) -> bool:
    """vomiting (not keeping fluids down), any weeks."""
    return f.has("vomiting")


def abuse(f: Findings) -> bool:
    """abuse (someone hurting, threatening or controlling her) or abuser_present, any weeks."""
    return f.has("abuse") or f.has("abuser_present")


def anaphylaxis(f: Findings) -> bool:
    """anaphylaxis (swelling of the lips, tongue or throat, a tight throat), any weeks."""
    return f.has("anaphylaxis")


def stroke(f: Findings) -> bool:
    """stroke_signs (a face that droops, an arm that can't be lifted, speech gone wrong), any
    weeks."""
    return f.has("stroke_signs")


def in_danger_now(f: Findings) -> bool:
    """in_danger (someone is about to hurt her, she fears for her life), or abuser_present (the
    person is there now, she is hiding or locked in) with abuse or abdominal_trauma, any weeks."""
    return f.has("in_danger") or (
        f.has("abuser_present") and (f.has("abuse") or f.has("abdominal_trauma"))
    )


def discharge_change_before_13(f: Findings) -> bool:
    """discharge_change, weeks < 13."""
    return f.has("discharge_change") and early(f)


def _reported(f: Findings) -> frozenset[str]:
    """Everything the patient reported now, counting an unsure/yes contractions answer (not the
    qualifiers, such as "no plan", that are nothing on their own)."""
    if _contractions(f, "yes", "unsure"):
        return (f.symptoms - QUALIFIERS) | {"contractions"}
    return f.symptoms - QUALIFIERS


def risk_factor_only(f: Findings) -> bool:
    """a cervical-insufficiency risk factor, and no symptom and no contractions reported."""
    return bool(f.risk_factors & CI_RISK_FACTORS) and not _reported(f)


def twins_only(f: Findings) -> bool:
    """multiple_pregnancy (twins or more), and no symptom and no contractions reported."""
    return "multiple_pregnancy" in f.risk_factors and not _reported(f)


def post_dates_only(f: Findings) -> bool:
    """weeks >= 41, and no symptom and no contractions reported."""
    return _weeks(f, POST_DATES_FROM, None, if_unknown=False) and not _reported(f)


def nothing_reported(f: Findings) -> bool:
    """no symptom, no contractions and no cervical-insufficiency risk factor reported."""
    return not _reported(f) and not (f.risk_factors & CI_RISK_FACTORS)


def unaccounted_symptom(f: Findings) -> bool:
    """a reported symptom that no other rule accounts for (e.g. dizziness alone, an unknown
    code)."""
    return bool(unaccounted_symptoms(f))


# -- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One row of the rule table.

    ``covers`` lists the symptom codes the rule accounts for, so that the catch-all X1 can
    tell when something the patient reported was not looked at by any rule.
    ``if_weeks_unknown`` is added to the reason when the rule fired on unknown weeks.
    ``notes_history`` adds the patient's cervical-insufficiency risk factors to the reason.
    """

    id: str
    when: Callable[[Findings], bool]
    level: Level
    concerns: tuple[str, ...]
    text: str
    source: str
    covers: frozenset[str] = frozenset()
    if_weeks_unknown: str | None = None
    notes_history: bool = False

    @property
    def condition(self) -> str:
        """The condition in words: the condition function's docstring."""
        return " ".join((self.when.__doc__ or self.when.__name__).split())


E, U, S, R, SC = Level.EMERGENCY, Level.URGENT, Level.SAME_DAY, Level.ROUTINE, Level.SELF_CARE
_SEEDS = SEED_SYMPTOMS
_EARLY_PAINS = frozenset(
    {*PAINS, "vaginal_pressure", "one_sided_pain", "shoulder_tip_pain", "contractions"}
)

RULES: tuple[Rule, ...] = (
    # ---- emergency: call the emergency number now ----
    Rule(
        "E1",
        heavy_bleeding,
        E,
        ("bleeding",),
        "Heavy bleeding (soaking a pad in an hour or less, blood running down the legs, or "
        "large clots) is an emergency: call the emergency number.",
        SRC_EMERGENCY,
        frozenset({"heavy_bleeding", "bleeding"}),
    ),
    Rule(
        "E2",
        severe_constant_pain,
        E,
        ("severe_pain",),
        "Severe or constant abdominal pain that does not come and go is an emergency: call "
        "the emergency number.",
        SRC_EMERGENCY,
        frozenset({"severe_constant_pain"}),
    ),
    Rule(
        "E3",
        fainting_or_seizure,
        E,
        ("collapse",),
        "Fainting, collapse or a fit is an emergency: call the emergency number.",
        SRC_EMERGENCY,
        frozenset({"fainting", "seizure"}),
    ),
    Rule(
        "E3b",
        seizure_from_20_weeks,
        E,
        ("pre_eclampsia",),
        "A fit from 20 weeks may be eclampsia (pre-eclampsia with seizures).",
        SRC_EMERGENCY + "; " + SRC_PET,
        frozenset({"seizure"}),
        ASSUMED_LATE,
    ),
    Rule(
        "E4",
        cord_felt,
        E,
        ("cord_prolapse",),
        "Seeing or feeling the umbilical cord is an emergency (cord prolapse).",
        SRC_EMERGENCY + "; RCOG Green-top Guideline 50 (umbilical cord prolapse)",
        frozenset({"cord_felt"}),
    ),
    Rule(
        "E5",
        membranes_felt,
        E,
        ("cervical_insufficiency", "preterm_labour"),
        "Something bulging or coming out of the vagina may be the membranes (bag of waters) "
        "bulging through an open cervix.",
        SRC_MSD
        + " (membranes bulging through an open cervix); "
        + SRC_EMERGENCY
        + "; RCOG Green-top Guideline 75 (2022: rescue cerclage up to 27+6 weeks)",
        frozenset({"membranes_felt"}),
    ),
    Rule(
        "E6",
        early_ectopic_signs,
        E,
        ("early_pregnancy",),
        "In early pregnancy, bleeding with one-sided pain, shoulder-tip pain or dizziness, or "
        "one-sided or shoulder-tip pain with dizziness or fainting even without bleeding, may "
        "be an ectopic pregnancy.",
        SRC_EARLY + "; " + SRC_ECTOPIC,
        frozenset(
            {"bleeding", "heavy_bleeding", "one_sided_pain", "shoulder_tip_pain", "dizziness"}
        ),
        ASSUMED_EARLY,
    ),
    Rule(
        "E7",
        unspecified_red_flag,
        E,
        ("possible_emergency",),
        "What you describe may be an emergency, even though I could not tell exactly which "
        "symptom it is.",
        SRC_EMERGENCY + "; project decision: an emergency-sounding message is never "
        "down-graded because its words were not recognised",
        frozenset({"unspecified_red_flag"}),
    ),
    Rule(
        "E8",
        bleeding_or_pain_with_dizziness,
        E,
        ("bleeding",),
        "Bleeding or tummy pain with dizziness or feeling faint may be serious blood loss, "
        "at any stage of pregnancy.",
        SRC_SHOCK + "; " + SRC_EMERGENCY,
        frozenset({"bleeding", "abdominal_pain", "back_pain", "one_sided_pain", "dizziness"}),
    ),
    Rule(
        "E9",
        chest_pain_or_breathlessness,
        E,
        ("heart_or_lungs",),
        "Chest pain or struggling to breathe in pregnancy may be a clot in the lungs or a "
        "heart problem.",
        SRC_HEART_LUNGS,
        frozenset({"chest_pain", "breathlessness"}),
    ),
    Rule(
        "E10",
        confusion_or_mottled_skin,
        E,
        ("serious_illness",),
        "New confusion, or grey, blue, mottled or cold clammy skin, may be sepsis or shock.",
        SRC_SEPSIS,
        frozenset({"confusion", "mottled_skin"}),
    ),
    Rule(
        "E11",
        self_harm,
        E,
        ("mental_health_crisis",),
        "Thoughts of ending your life or harming yourself need help now.",
        SRC_MENTAL,
        frozenset({"self_harm", "self_harm_plan"}),
    ),
    Rule(
        "E13",
        anaphylaxis,
        E,
        ("allergic_reaction",),
        "Swelling of the lips, tongue or throat, or a tight throat, can be a severe allergic "
        "reaction (anaphylaxis), which can stop you breathing.",
        SRC_ANAPHYLAXIS,
        frozenset({"anaphylaxis"}),
    ),
    Rule(
        "E14",
        stroke,
        E,
        ("stroke",),
        "A face that droops, an arm that is weak or numb, or speech that comes out wrong can be "
        "a stroke, which needs treatment within minutes.",
        SRC_STROKE,
        frozenset({"stroke_signs"}),
    ),
    Rule(
        "E12",
        in_danger_now,
        E,
        ("safeguarding",),
        "You may be in danger now. Your safety and your baby's come first, and the police and "
        "an ambulance can come to you.",
        SRC_DANGER,
        frozenset({"in_danger", "abuser_present", "abuse"}),
    ),
    # ---- urgent: call maternity triage now and go in to be checked ----
    Rule(
        "U1",
        seed_in_window_no_contractions,
        U,
        ("cervical_insufficiency",),
        "A symptom of cervical insufficiency between about 14 and 28 weeks without "
        "contractions. In cervical insufficiency the cervix opens without contractions: the "
        "absence of contractions is what separates it from preterm labour, and it is not "
        "reassurance.",
        SRC_CI,
        _SEEDS,
        notes_history=True,
    ),
    Rule(
        "U2",
        seed_in_window_contractions_not_known,
        U,
        ("cervical_insufficiency", "preterm_labour"),
        "A symptom of cervical insufficiency, and whether there are contractions is not known "
        "(not answered or declined): both cervical insufficiency (no contractions) and "
        "preterm labour (contractions) are possible, so both are assumed.",
        SRC_CI + "; " + SRC_NG25,
        _SEEDS,
        ASSUMED_WINDOW,
        notes_history=True,
    ),
    Rule(
        "U2b",
        seed_weeks_unknown_no_contractions,
        U,
        ("cervical_insufficiency",),
        "A symptom of cervical insufficiency without contractions, weeks not known. The "
        "absence of contractions is what separates it from preterm labour and is not "
        "reassurance.",
        SRC_CI,
        _SEEDS,
        ASSUMED_WINDOW,
        notes_history=True,
    ),
    Rule(
        "U3",
        contractions_preterm,
        U,
        ("preterm_labour",),
        "Contractions (or not sure) before 37 weeks may be preterm labour.",
        SRC_NG25 + "; " + SRC_TRIAGE + " (contractions or period-type pains before 37 weeks)",
        _SEEDS | {"contractions"},
        ASSUMED_WINDOW,
    ),
    Rule(
        "U4",
        contractions_at_term,
        U,
        ("labour",),
        "Contractions from 37 weeks: labour may be starting; call the labour ward.",
        SRC_TRIAGE,
        _SEEDS | {"contractions", "mucus_plug"},
    ),
    Rule(
        "U5",
        fluid_leak,
        U,
        ("ruptured_membranes",),
        "Fluid leaking (a gush or a trickle) may be the waters breaking, at any stage.",
        SRC_TRIAGE + " (waters breaking or leaking)",
        frozenset({"fluid_leak"}),
    ),
    Rule(
        "U6",
        bleeding_from_13_weeks,
        U,
        ("bleeding",),
        "Any vaginal bleeding or spotting after the first trimester needs checking now, even "
        "if it has stopped.",
        SRC_TRIAGE + " (any bleeding or spotting after the first trimester)",
        frozenset({"bleeding"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "U7",
        pressure_in_window,
        U,
        ("cervical_insufficiency",),
        "Pressure in the vagina between about 14 and 28 weeks may be the cervix opening early.",
        SRC_TRIAGE + " (pressure in the vagina before 37 weeks); " + SRC_MSD,
        frozenset({"vaginal_pressure"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "U7b",
        pressure_late_preterm,
        U,
        ("preterm_labour",),
        "Pressure in the vagina between 28 and 37 weeks may be preterm labour.",
        SRC_TRIAGE + " (pressure in the vagina before 37 weeks)",
        frozenset({"vaginal_pressure"}),
    ),
    Rule(
        "U8",
        show_preterm,
        U,
        ("preterm_labour",),
        "A show (mucus plug) before 37 weeks may be preterm labour.",
        SRC_TRIAGE + " (a show before 37 weeks)",
        frozenset({"mucus_plug"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "U9",
        reduced_movements_from_16,
        U,
        ("reduced_fetal_movements",),
        "Reduced or changed movements of the baby need checking straight away, once "
        "movements have been felt.",
        SRC_TRIAGE + " (reduced or changed fetal movements; no lower gestation is given)",
        frozenset({"reduced_movements"}),
        ASSUMED_LATE,
    ),
    Rule(
        "U9c",
        reduced_movements_before_16,
        R,
        ("reduced_fetal_movements",),
        "Movements are not usually felt before 16 weeks; mention it at the next appointment.",
        SRC_TRIAGE + " (reduced fetal movements); " + PROJECT,
        frozenset({"reduced_movements"}),
    ),
    Rule(
        "U10",
        pre_eclampsia_signs_from_20,
        U,
        ("pre_eclampsia",),
        "Severe headache, changes in vision, sudden swelling or pain under the ribs from 20 "
        "weeks may be pre-eclampsia.",
        SRC_TRIAGE + " (pre-eclampsia after about 20 weeks); " + SRC_PET,
        frozenset(_PET_SIGNS),
        ASSUMED_LATE,
    ),
    Rule(
        "U10b",
        pre_eclampsia_signs_before_20,
        S,
        ("other_symptom",),
        "Headache, changes in vision, swelling or pain under the ribs before 20 weeks are "
        "unlikely to be pre-eclampsia but need checking today.",
        SRC_TRIAGE + " (pre-eclampsia after about 20 weeks); " + PROJECT,
        frozenset(_PET_SIGNS),
    ),
    Rule(
        "U11",
        fever,
        U,
        ("infection",),
        "A high temperature or shivering fits in pregnancy may be an infection.",
        SRC_TRIAGE + " (high temperature); " + SRC_SEPSIS,
        frozenset({"fever", "rigors"}),
    ),
    Rule(
        "U12",
        itching_from_13,
        U,
        ("cholestasis",),
        "Itching of the palms or soles may be obstetric cholestasis.",
        SRC_TRIAGE + " (itching of the palms or soles)",
        frozenset({"itching"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "U13",
        smelly_discharge_from_16,
        U,
        ("infection",),
        "Strange or smelly discharge from about 16 weeks may be an infection.",
        SRC_TRIAGE + " (strange or smelly discharge after about 16 weeks)",
        frozenset({"smelly_discharge"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "U13b",
        smelly_discharge_before_16,
        S,
        ("infection",),
        "Smelly discharge before 16 weeks may be an infection; midwife or GP today.",
        SRC_SAME_DAY + "; " + PROJECT,
        frozenset({"smelly_discharge"}),
    ),
    Rule(
        "U14",
        discharge_change_late_preterm,
        U,
        ("preterm_labour",),
        "A change in discharge between 28 and 37 weeks could be the waters leaking or a show.",
        SRC_TRIAGE + " (waters leaking; a show before 37 weeks); " + PROJECT,
        frozenset({"discharge_change"}),
    ),
    Rule(
        "U15",
        pain_late_preterm_contractions_not_known,
        U,
        ("preterm_labour",),
        "Tummy or back pain between 28 and 37 weeks, and whether it comes and goes is not "
        "known: preterm labour is assumed (as in U2).",
        SRC_NG25 + "; " + SRC_TRIAGE + " (period-type pains or backache that comes and goes "
        "before 37 weeks); " + PROJECT,
        frozenset(PAINS),
    ),
    Rule(
        "U16",
        pain_in_margin_no_contractions,
        U,
        ("cervical_insufficiency", "preterm_labour"),
        "Tummy or back pain at 28 or 29 weeks without contractions: the window of about 14 "
        "to 28 weeks has no sharp edge, and dates can be a week or two out.",
        SRC_CI + "; " + SRC_NG25 + "; " + PROJECT + " (safety review HZ-07: no cliff at 28+0)",
        frozenset(PAINS),
    ),
    Rule(
        "U17",
        stitch_with_symptoms,
        U,
        ("cervical_insufficiency",),
        "With a stitch in the cervix, any of these signs needs checking straight away: the "
        "stitch may need to come out.",
        SRC_STITCH,
        _SEEDS | {"fluid_leak", "mucus_plug", "contractions"},
        notes_history=True,
    ),
    Rule(
        "U18",
        stitch_problem,
        U,
        ("cervical_insufficiency",),
        "A stitch that feels loose, is coming out or has fallen out needs checking straight away.",
        SRC_STITCH,
        frozenset({"stitch_problem"}),
    ),
    Rule(
        "U19",
        ci_history_with_seed,
        U,
        ("cervical_insufficiency", "preterm_labour"),
        "A symptom of cervical insufficiency with a history of a cervix that opened early "
        "(a loss or birth in the middle of a pregnancy, a short cervix or a diagnosis): "
        "checked straight away from 12 weeks.",
        SRC_RISK + "; RCOG Green-top Guideline 75 (2022: history-indicated stitch at 11-14 weeks)",
        _SEEDS,
        ASSUMED_WINDOW,
        notes_history=True,
    ),
    Rule(
        "U20",
        twins_with_pain_late_preterm,
        U,
        ("preterm_labour",),
        "Tummy or back pain between 28 and 37 weeks with twins or more: preterm labour is "
        "more likely.",
        SRC_NG25 + " (multiple pregnancy and preterm birth); " + SRC_TRIAGE,
        frozenset(PAINS),
    ),
    Rule(
        "U21",
        period_type_pain_preterm,
        U,
        ("preterm_labour",),
        "Period-type pains before 37 weeks may be preterm labour.",
        SRC_TRIAGE + " (period-type pains before 37 weeks); " + SRC_NG25,
        frozenset({"period_type_pain", "abdominal_pain"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "U22",
        calf_pain,
        U,
        ("blood_clot",),
        "One swollen, painful leg in pregnancy may be a blood clot (a deep vein thrombosis).",
        SRC_CLOT,
        frozenset({"calf_pain"}),
    ),
    Rule(
        "U24",
        self_harm_thoughts_no_plan,
        U,
        ("mental_health_crisis",),
        "Thoughts of not wanting to be alive need help today, even when you would not act on "
        "them: talk to the mental health crisis line now, and call the emergency number if "
        "that changes.",
        SRC_MENTAL + "; NHS: urgent mental health help (the crisis line) for thoughts of "
        "suicide without a plan, the emergency number or A&E if she might act on them",
        frozenset({"self_harm", "no_self_harm_plan"}),
    ),
    Rule(
        "U23",
        trauma_from_13,
        U,
        ("injury",),
        "A fall, a blow or a crash that hurt the bump needs checking straight away, even if "
        "you feel fine.",
        SRC_TRAUMA,
        frozenset({"abdominal_trauma"}),
        ASSUMED_WINDOW,
    ),
    Rule(
        "X2",
        unrecognised_symptom,
        U,
        ("unrecognised_problem",),
        "You told me about a problem I could not place. A midwife needs to ask you about it "
        "now, rather than a chatbot guessing.",
        SRC_SAFETY
        + "; Tommy's: if something does not feel right, call the maternity unit; "
        + PROJECT
        + " (no reassurance from what the bot did not understand)",
        frozenset({"unrecognised_symptom", "unwell"}),
    ),
    # ---- same day: midwife, GP or early pregnancy unit today ----
    Rule(
        "S1",
        itchy_discharge_or_burning,
        S,
        ("infection",),
        "Itchy discharge or burning when passing urine may be thrush or a urine infection.",
        SRC_SAME_DAY,
        frozenset({"itchy_discharge", "burning_urination", "discharge_change"}),
    ),
    Rule(
        "S2",
        bleeding_before_13,
        S,
        ("early_pregnancy",),
        "Bleeding before about 14 weeks: early pregnancy unit or GP the same day.",
        SRC_EARLY,
        frozenset({"bleeding"}),
    ),
    Rule(
        "S3",
        pain_before_13,
        S,
        ("early_pregnancy",),
        "Pain, cramps or pressure before about 14 weeks need checking by the early pregnancy "
        "unit or GP today.",
        SRC_EARLY + "; " + PROJECT,
        _EARLY_PAINS | {"period_type_pain"},
    ),
    Rule(
        "S4",
        pain_late_preterm_no_contractions,
        S,
        ("preterm_labour",),
        "Tummy or back pain between 30 and 37 weeks without contractions: maternity triage "
        "today, and straight away if the pains start to come and go.",
        SRC_NG25 + "; " + SRC_TRIAGE + " (pains or backache that come and go before 37 weeks)",
        frozenset(PAINS),
    ),
    Rule(
        "S5",
        labour_signs_at_term,
        S,
        ("labour",),
        "From 37 weeks, pressure, tummy or back pain or a show without regular contractions "
        "may be early labour: check today.",
        SRC_TRIAGE + "; " + PROJECT,
        frozenset({*PAINS, "vaginal_pressure", "mucus_plug", "contractions"}),
    ),
    Rule(
        "S6",
        show_early,
        S,
        ("early_pregnancy",),
        "A show or mucus before about 14 weeks: early pregnancy unit or GP today.",
        SRC_EARLY + "; " + PROJECT + " (safety review: not the labour ward this early)",
        frozenset({"mucus_plug"}),
    ),
    Rule(
        "S7",
        positional_pain,
        S,
        ("ligament_pain",),
        "A brief sharp pain when moving or standing up that passes is often the stretching "
        "of the ligaments that support the womb; a midwife should hear about it today.",
        SRC_EMERGENCY + " (only pain that is constant or does not come in waves is an "
        "emergency); " + PROJECT,
        frozenset({"positional_pain"}),
    ),
    Rule(
        "S8",
        vomiting,
        S,
        ("hyperemesis",),
        "Being sick and not keeping fluids down can make you dehydrated.",
        SRC_HYPEREMESIS,
        frozenset({"vomiting"}),
    ),
    Rule(
        "S9",
        abuse,
        S,
        ("safeguarding",),
        "Being hurt, threatened or controlled by someone is not your fault, and help is there.",
        SRC_ABUSE,
        frozenset({"abuse", "abuser_present"}),
    ),
    Rule(
        "S10",
        trauma_early,
        S,
        ("injury",),
        "A fall or blow before about 14 weeks: the baby is well protected, but check with "
        "the early pregnancy unit or GP today.",
        SRC_TRAUMA + "; " + PROJECT,
        frozenset({"abdominal_trauma"}),
    ),
    # ---- routine: at the next appointment / within a week ----
    Rule(
        "R1",
        discharge_change_before_13,
        R,
        ("infection",),
        "A change in discharge before about 14 weeks, not smelly or itchy: mention at the "
        "next appointment; sooner if it becomes smelly or itchy.",
        SRC_SAME_DAY + "; " + PROJECT,
        frozenset({"discharge_change"}),
    ),
    Rule(
        "R2",
        risk_factor_only,
        R,
        ("cervical_insufficiency",),
        "A risk factor for cervical insufficiency and no symptoms: tell the midwife or doctor "
        "at the next appointment and plan care with them.",
        SRC_RISK,
        notes_history=True,
    ),
    Rule(
        "R3",
        twins_only,
        R,
        ("multiple_pregnancy",),
        "Twins or more and no symptoms: care planned with a specialist team; tell the midwife "
        "at the next appointment if that has not been arranged.",
        SRC_TWINS,
    ),
    Rule(
        "R4",
        post_dates_only,
        R,
        ("post_dates",),
        "41 weeks or more and no symptoms: the midwife offers the induction of labour, or "
        "closer monitoring.",
        SRC_POST_DATES,
    ),
    Rule(
        "R5",
        piles,
        R,
        ("piles",),
        "Blood she says comes from her bottom (piles), not her vagina: the midwife or GP "
        "within the week, with what means calling maternity triage now (any blood from the "
        "vagina) and the emergency number (a lot of blood).",
        SRC_PILES,
        frozenset({"rectal_bleeding"}),
    ),
    # ---- self care ----
    Rule(
        "SC2",
        common_complaint,
        SC,
        ("common_complaint",),
        "A common discomfort of pregnancy with no warning sign: self-care advice from a "
        "pharmacist, midwife or GP, with the warning signs that mean calling now.",
        SRC_COMMON,
        frozenset({COMMON_COMPLAINT}),
    ),
    Rule(
        "SC1",
        nothing_reported,
        SC,
        (),
        "No symptom and no risk factor reported: no action now; safety-netting advice given.",
        SRC_SAFETY,
    ),
    # ---- catch-all: nothing reported may go unexamined ----
    Rule(
        "X1",
        unaccounted_symptom,
        S,
        ("other_symptom",),
        "A reported symptom that no specific rule covers: checked by a midwife or GP today "
        "rather than ignored.",
        SRC_SAFETY + "; " + PROJECT,
    ),
)

#: Rules whose condition looks at the outcome of the others; evaluated last.
_RESIDUAL = frozenset({"X1"})


def _check_table(rules: tuple[Rule, ...]) -> None:
    """Fail at import, not in a patient's conversation, if the table has a typo."""
    ids = [rule.id for rule in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate rule ids in {ids}")
    for rule in rules:
        unknown = (set(rule.covers) - ALL_SYMPTOMS) | (set(rule.concerns) - set(CONCERNS))
        if unknown:
            raise ValueError(f"rule {rule.id}: unknown codes {sorted(unknown)}")


_check_table(RULES)


def _fired_specific(f: Findings) -> list[Rule]:
    return [rule for rule in RULES if rule.id not in _RESIDUAL and rule.when(f)]


def unaccounted_symptoms(f: Findings, fired: list[Rule] | None = None) -> frozenset[str]:
    """Reported symptoms that no fired rule (other than X1) accounts for; ``fired``: those
    rules, when the caller has evaluated them already."""
    covered: set[str] = set()
    for rule in _fired_specific(f) if fired is None else fired:
        covered |= rule.covers
    return _reported(f) - covered


def _check_residual(rules: tuple[Rule, ...]) -> None:
    """The residual rule comes last and its condition is unaccounted_symptom, so fired_rules
    can decide it from the other rules' results instead of evaluating them all a second time."""
    last = rules[-len(_RESIDUAL) :]
    if sorted(rule.id for rule in last) != sorted(_RESIDUAL) or any(
        rule.when is not unaccounted_symptom for rule in last
    ):
        raise ValueError(f"the residual rules {sorted(_RESIDUAL)} must end the table")


_check_residual(RULES)


def fired_rules(f: Findings) -> list[Rule]:
    """The rules that fire, in table order (the same as ``[r for r in RULES if r.when(f)]``,
    which tests/test_triage_rules.py checks, with each condition evaluated once)."""
    fired = _fired_specific(f)
    if unaccounted_symptoms(f, fired):
        fired.extend(rule for rule in RULES if rule.id in _RESIDUAL)
    return fired


def rules_table_markdown() -> str:
    """The rule table for docs/triage-rules.md, generated from RULES so the two cannot drift."""
    lines = [
        "| id | condition | level | concerns | source |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES:
        concerns = ", ".join(rule.concerns) or "-"
        cells = (rule.id, rule.condition, rule.level.value, concerns, rule.source)
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)
