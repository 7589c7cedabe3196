"""The words the patient reads: safety-netting advice, the opening disclaimer, the fallback.

Every reply follows the safety-netting structure of Almond, Mant & Thompson (BJGP 2009) and
Jones et al. (BJGP 2019): what may be happening and that we cannot be sure; exactly what to do,
where (a named service and its number) and by when; which symptoms mean call the emergency
number instead; and that it is always right to seek help again. Plain words, short lines,
no markdown (the widget and SMS-like channels show text as it is). Every name and number
comes from the Clinic (clinic.yml), never from this file.
"""

from __future__ import annotations

from datetime import datetime

from .clinic import Clinic, Service
from .codes import QUALIFIERS
from .decision import Decision, Level
from .findings import Findings
from .rules import GESTATION_RANGES

BULLET = "• "

#: What may be happening, per concern. "Could be a sign", never a diagnosis.
WHAT_MAY_BE_HAPPENING: dict[str, tuple[str, ...]] = {
    "cervical_insufficiency": (
        "This could be a sign that your cervix (the neck of the womb) is opening too early.",
        "This can happen without any contractions or labour pains.",
        "Having no contractions does not mean everything is fine.",
    ),
    "preterm_labour": ("This could be a sign that labour is starting early, before 37 weeks.",),
    "bleeding": (
        "Bleeding could be a sign of a problem with your pregnancy.",
        "It needs to be checked.",
    ),
    "severe_pain": ("Strong pain that does not come and go could be a sign of a serious problem.",),
    "collapse": ("Fainting or a fit could be a sign of a serious problem.",),
    "cord_prolapse": ("This could be a sign that the cord has come down before your baby.",),
    "pre_eclampsia": (
        "This could be a sign of pre-eclampsia.",
        "This is high blood pressure in pregnancy. It can be serious.",
    ),
    "early_pregnancy": (
        "This could be a sign of a problem early in pregnancy.",
        "This might be a miscarriage, or a pregnancy growing outside the womb "
        "(an ectopic pregnancy).",
    ),
    "ruptured_membranes": ("This could be a sign that your waters have broken or are leaking.",),
    "reduced_fetal_movements": (
        "A change in your baby's movements could be a sign that your baby needs to be checked.",
    ),
    "infection": ("This could be a sign of an infection.",),
    "cholestasis": (
        "Itchy hands or feet could be a sign of a liver problem in pregnancy "
        "called obstetric cholestasis.",
    ),
    "labour": ("This could be a sign that labour is starting.",),
    "other_symptom": ("Some of what you told me needs to be checked by a midwife or doctor.",),
    "possible_emergency": ("What you describe could be a sign of a serious problem.",),
    "heart_or_lungs": (
        "Chest pain or struggling to breathe could be a sign of a blood clot in the lungs.",
        "It could also be a heart problem.",
    ),
    "serious_illness": (
        "Feeling confused, or skin that looks grey, blue or blotchy, can be serious.",
        "It could be a sign of a bad infection (sepsis) or of losing blood.",
    ),
    "mental_health_crisis": (
        "You are not alone, and these thoughts can get better with the right help.",
        "Many people have thoughts like these in pregnancy. It is not your fault.",
    ),
    "blood_clot": (
        "A swollen, painful leg could be a sign of a blood clot (a deep vein thrombosis).",
        "Clots are more common in pregnancy and need treatment quickly.",
    ),
    "injury": (
        "After a fall or a blow to your bump, your baby needs checking.",
        "This is true even if you feel fine.",
    ),
    "hyperemesis": (
        "Being sick so much that you can't keep fluids down can make you dehydrated.",
        "It can be treated.",
    ),
    "allergic_reaction": (
        "Swelling of the lips, tongue or throat can be a severe allergic reaction.",
        "It can quickly make it hard to breathe.",
    ),
    "stroke": (
        "A drooping face, a weak or numb arm, or speech that comes out wrong can be a stroke.",
        "Every minute counts: treatment works best when it starts quickly.",
    ),
    "common_complaint": (
        "What you describe sounds like one of the common discomforts of pregnancy.",
        "From what you told me, I did not find any warning signs.",
    ),
    "piles": (
        "Bright red blood from your bottom after a poo is often piles (haemorrhoids).",
        "Piles are common in pregnancy. You told me the blood is not coming from your vagina.",
    ),
    "multiple_pregnancy": (
        "With twins or more, your care is planned with a specialist team.",
        "You will be offered more scans and checks.",
    ),
    "post_dates": (
        "From 41 weeks, you will be offered help to start labour (an induction).",
        "If you would rather wait, you will be offered extra checks on you and your baby.",
    ),
    "safeguarding": (
        "Being hurt, threatened or controlled by someone is not your fault.",
        "Your midwife can help you in confidence, and so can the helpline below.",
    ),
    "ligament_pain": (
        "A short, sharp pain when you move is often the ligaments that hold up your womb.",
        "They stretch as your bump grows.",
    ),
    "unrecognised_problem": (
        "I could not work out exactly what you told me, so I can't rule anything out.",
        "A midwife needs to ask you about it.",
    ),
}

#: A risk factor with no symptoms (rule R2) is not "a sign" of anything yet: say what it means.
HISTORY_ONLY: tuple[str, ...] = (
    "Your history means your cervix (the neck of the womb) could open too early in this pregnancy.",
    "This can happen without any contractions or labour pains.",
    "So having no contractions does not mean everything is fine.",
)

#: Extra lines for particular rules, where the level alone does not say enough:
#: first about what may be happening, then about what to do.
RULE_CONTEXT: dict[str, str] = {
    "U9c": "Most people first feel their baby move between 16 and 24 weeks.",
    "S4": "If the pains start to come and go, they could be contractions.",
}
RULE_TODO: dict[str, str] = {
    "R1": "Contact your midwife or GP today if the discharge smells or itches, "
    "or it burns when you pee.",
    "S7": "Call maternity triage now instead if the pain stays, gets worse, or comes in waves.",
    "SC2": "Ask a pharmacist what helps and is safe in pregnancy, or tell your midwife.",
    "R3": "If you are not yet seen by the twins team, ask your midwife to arrange it.",
    "R4": "If you do not have an induction date yet, call your midwife to talk it through.",
    "R5": "Drink plenty, eat fibre, don't strain. A pharmacist can suggest a cream safe in "
    "pregnancy.",
}
#: What the rule R2 says to do depends on the history: a stitch already in is not "offered".
R2_TODO = "Plan your care with them: you may be offered scans of your cervix, or a stitch."
R2_TODO_SCAN = (
    "A short cervix on a scan is not a diagnosis on its own. Your team will plan your care "
    "with you, for example progesterone or a stitch."
)
R2_TODO_STITCH = (
    "If you get contractions, your waters break, or you bleed, call maternity triage "
    "straight away: the stitch may need to come out."
)

#: When to act sooner (call maternity triage now), per concern, for the lower levels.
SOONER: dict[str, tuple[str, ...]] = {
    "cervical_insufficiency": (
        "pressure in your vagina",
        "bleeding or spotting",
        "a change in your discharge",
        "an ache in your tummy or lower back, even with no contractions",
    ),
    "preterm_labour": (
        "pains or tightenings that come and go",
        "pressure in your vagina",
        "bleeding or spotting",
        "fluid leaking from your vagina",
    ),
    "labour": (
        "contractions that come regularly",
        "your waters breaking",
        "any bleeding",
        "your baby moving less than before",
    ),
    "infection": ("a high temperature",),
    "early_pregnancy": ("pain that gets worse", "bleeding that gets heavier"),
    "reduced_fetal_movements": (
        "bleeding or spotting",
        "fluid leaking from your vagina",
        "pains or tightenings that come and go",
        "your baby moving less, once you feel regular movements",
    ),
    "ligament_pain": (
        "pain that stays, or comes in waves",
        "bleeding or spotting",
        "pressure in your vagina",
        "fluid leaking from your vagina",
    ),
    "hyperemesis": ("being sick with blood in it", "pain in your tummy", "not passing urine"),
    "injury": ("bleeding", "pain in your tummy", "fluid leaking", "your baby moving less"),
    "multiple_pregnancy": (
        "pains or tightenings that come and go",
        "bleeding or spotting",
        "fluid leaking from your vagina",
        "pressure in your vagina",
    ),
    "piles": (
        "any blood from your vagina, or blood in your knickers when you have not been to "
        "the toilet",
        "blood from your bottom that does not stop, or more than a little",
        "pain in your tummy, or feeling dizzy or faint",
        "black or dark red poo",
    ),
    "post_dates": (
        "contractions that come regularly",
        "your waters breaking",
        "any bleeding",
        "your baby moving less than before",
    ),
    "common_complaint": (
        "a bad headache, blurred vision or flashing lights, or sudden swelling of your face, "
        "hands or feet",
        "pain under your ribs",
        "pain, swelling or redness in one leg",
        "itching of your hands or feet, or itching all over",
        "burning or stinging when you pee, or a high temperature",
        "bleeding, fluid leaking, or pressure in your vagina",
        "your baby moving less than before",
    ),
}

#: What to watch for when nothing needs doing now (the cervical-insufficiency signs first).
WATCH_FOR: tuple[str, ...] = (
    "pressure in your vagina",
    "bleeding or spotting",
    "a change in your discharge",
    "an ache in your tummy or lower back, even with no contractions",
    "fluid leaking from your vagina",
    "pains or tightenings that come and go",
    "your baby moving less than before",
)

#: First aid while waiting for the ambulance, per concern (RCOG GTG 50 for the cord; the
#: recovery position for a faint or a fit). Worded for the patient, or for the person helping.
FIRST_AID: dict[str, tuple[str, ...]] = {
    "cord_prolapse": (
        "While you wait: get on your knees and elbows with your bottom higher than your head, "
        "or lie on your side.",
        "Do not touch the cord or try to push it back.",
    ),
    "cervical_insufficiency": (),
    "collapse": (),
    "allergic_reaction": (
        "If you have an adrenaline auto-injector (such as an EpiPen), use it now.",
        "Sit up if breathing is hard. If you feel faint, lie on your left side.",
    ),
    "stroke": (
        "Note the time it started and tell the ambulance crew.",
        "Do not eat or drink anything. If you feel drowsy, lie on your left side.",
    ),
}
FIRST_AID_MEMBRANES = (
    "While you wait: lie down on your side. Do not push, and do not touch what you can feel."
)
FIRST_AID_HELPER: dict[str, tuple[str, ...]] = {
    "allergic_reaction": (
        "If she has an adrenaline auto-injector (such as an EpiPen), help her use it now.",
        "Let her sit up if breathing is hard; if she feels faint, lie her on her left side.",
    ),
    "stroke": (
        "Note the time it started and tell the ambulance crew.",
        "Do not give her anything to eat or drink. If she is drowsy, lie her on her left side.",
    ),
    "collapse": (
        "While you wait: if she has fainted or is having a fit, lie her on her left side "
        "(the recovery position).",
        "Do not hold her down or put anything in her mouth. Note the time a fit started.",
        "If she stops breathing, the call handler will tell you what to do.",
    ),
    "cord_prolapse": (
        "While you wait: help her onto her knees and elbows with her bottom higher than her "
        "head, or onto her side.",
        "Do not touch the cord or try to push it back.",
    ),
}

#: Plain words for each finding, for the read-back ("You told me: ...").
SYMPTOM_WORDS: dict[str, str] = {
    "vaginal_pressure": "pressure in the vagina",
    "bleeding": "bleeding or spotting",
    "heavy_bleeding": "heavy bleeding",
    "abdominal_pain": "tummy pain or ache",
    "back_pain": "low back pain",
    "discharge_change": "a change in discharge",
    "contractions": "contractions",
    "fluid_leak": "fluid leaking",
    "reduced_movements": "the baby moving less",
    "mucus_plug": "a show (mucus plug)",
    "headache": "headache",
    "visual_disturbance": "changes in vision",
    "swelling": "swelling",
    "fever": "a temperature",
    "itching": "itchy hands or feet",
    "smelly_discharge": "smelly discharge",
    "itchy_discharge": "itchy discharge",
    "burning_urination": "burning when you pee",
    "one_sided_pain": "pain on one side",
    "shoulder_tip_pain": "shoulder-tip pain",
    "dizziness": "dizziness",
    "severe_constant_pain": "strong pain that does not stop",
    "fainting": "fainting or collapse",
    "seizure": "a fit",
    "cord_felt": "the cord",
    "membranes_felt": "something coming out of the vagina",
    "chest_pain": "chest pain",
    "breathlessness": "struggling to breathe",
    "confusion": "confusion",
    "mottled_skin": "grey, blue or blotchy skin",
    "self_harm": "thoughts of harming yourself",
    "self_harm_plan": "a plan to harm yourself",
    "no_self_harm_plan": "no plan to act on them",
    "period_type_pain": "period-type pains",
    "positional_pain": "a brief sharp pain when moving",
    "rigors": "shaking or shivering",
    "calf_pain": "a swollen or painful leg",
    "abdominal_trauma": "a fall or blow to the bump",
    "vomiting": "being sick",
    "epigastric_pain": "pain under the ribs",
    "stitch_problem": "a problem with the stitch",
    "abuse": "someone hurting you",
    "in_danger": "being in danger now",
    "anaphylaxis": "swelling of the lips, tongue or throat",
    "stroke_signs": "signs of a stroke (face, arm or speech)",
    "common_complaint": "a common discomfort of pregnancy",
    "rectal_bleeding": "bleeding from your bottom",
    "abuser_present": "the person who hurt you being near you",
    "unspecified_red_flag": "something that sounded like an emergency",
    "unrecognised_symptom": "something I could not place",
    "unwell": "feeling that something is not right",
}
CONTRACTION_WORDS = {
    "yes": "contractions",
    "no": "no contractions",
    "unsure": "not sure about contractions",
}


def _bullets(items: tuple[str, ...] | list[str]) -> list[str]:
    return [BULLET + item for item in items]


def _name(service: Service) -> str:
    """A lower-case name ("midwife team") reads better with "the"; proper names stay as they are."""
    name = service.name
    return f"the {name}" if name[:1].islower() and not name.startswith("the ") else name


def _call(service: Service, when: str) -> str:
    return f"Call {_name(service)} on {service.phone} {when}."


def _hours(service: Service) -> list[str]:
    return [f"Opening times: {service.hours}."] if service.hours else []


#: Red flags that matter for one concern only, added to the emergency list (rule E6).
EXTRA_EMERGENCY: dict[str, str] = {
    "early_pregnancy": "pain on one side or in your shoulder tip, with dizziness or "
    "fainting, even without bleeding",
}


def emergency_list(clinic: Clinic, concerns: tuple[str, ...] = ()) -> list[str]:
    """Which symptoms mean "call the emergency number now"; the same list in every reply."""
    items = [
        "heavy bleeding: soaking a pad in an hour or less, or running down your legs, or big clots",
        "strong pain that is there all the time and does not come and go",
        "fainting or collapsing, or bleeding or pain with feeling dizzy or faint",
        "a fit (seizure)",
        "feeling or seeing the cord, or something coming out of your vagina",
        "chest pain, or struggling to breathe",
    ]
    items.extend(EXTRA_EMERGENCY[c] for c in concerns if c in EXTRA_EMERGENCY)
    return [
        f"Call {clinic.emergency_number} straight away if you have any of these:",
        *_bullets(items),
    ]


def always_ok(clinic: Clinic, level: Level | None = None) -> list[str]:
    """It is always right to seek help: the last word of every reply.

    In an emergency reply it says to call the emergency number first, so that a frightened
    reader does not call the maternity unit instead.
    """
    mt = clinic.maternity_triage
    if level is Level.EMERGENCY:
        return [
            f"Call {clinic.emergency_number} first.",
            f"When you have called {clinic.emergency_number}, you can also let {_name(mt)} "
            f"know on {mt.phone}.",
        ]
    lines = [
        "If you are worried at any time, it is always right to get help.",
        f"You can call {_name(mt)} on {mt.phone}, even if you have called before.",
    ]
    if mt.hours:
        lines.append(
            f"They are {mt.hours}."
            if mt.hours.lower().startswith("open")
            else f"Opening times: {mt.hours}."
        )
    return lines


def _what_may_be_happening(decision: Decision, findings: Findings | None) -> list[str]:
    lines: list[str] = []
    for concern in decision.concerns:
        if concern == "cervical_insufficiency" and decision.level <= Level.ROUTINE:
            lines.extend(HISTORY_ONLY)
            continue
        lines.extend(WHAT_MAY_BE_HAPPENING.get(concern, WHAT_MAY_BE_HAPPENING["other_symptom"]))
    lines.extend(RULE_CONTEXT[rule] for rule in decision.rules if rule in RULE_CONTEXT)
    if decision.level is Level.SELF_CARE and "common_complaint" in decision.concerns:
        lines = [*WHAT_MAY_BE_HAPPENING["common_complaint"]]
        lines.append("I can't examine you, so I can't rule anything out.")
    elif decision.level is Level.SELF_CARE or not lines:
        lines = ["From what you told me, I did not find any warning signs."]
        lines.append("I can't examine you, so I can't rule anything out.")
    else:
        if findings is not None and findings.resolved and decision.level >= Level.SAME_DAY:
            lines.append("Even though it has stopped, it still needs to be checked.")
        lines.append("I can't tell you for sure what is happening.")
        lines.append("Only a midwife or doctor who checks you can.")
    return lines


def _what_to_do(
    decision: Decision,
    clinic: Clinic,
    now: datetime | None,
    helper: bool,
    findings: Findings | None,
) -> list[str]:
    weeks = findings.gestational_weeks if findings is not None else None
    lines = _where_and_when(decision, clinic, now, helper, weeks)
    if decision.level < Level.URGENT:
        lines.extend(RULE_TODO[rule] for rule in decision.rules if rule in RULE_TODO)
        if "R2" in decision.rules:
            history = findings.risk_factors if findings is not None else frozenset()
            if "cerclage_in_place" in history:
                lines.append(R2_TODO_STITCH)
            elif "short_cervix" in history:
                lines.append(R2_TODO_SCAN)
            else:
                lines.append(R2_TODO)
    lines.extend(_concern_lines(decision, clinic))
    return lines


def _concern_lines(decision: Decision, clinic: Clinic) -> list[str]:
    """The specialist line for concerns that have one (a crisis line, an abuse helpline)."""
    lines: list[str] = []
    if "mental_health_crisis" in decision.concerns and decision.rules[:1] != ("U24",):
        crisis = clinic.mental_health_crisis or clinic.out_of_hours
        lines.append(f"If you are safe for now, call {_name(crisis)} on {crisis.phone} today.")
    if "safeguarding" in decision.concerns:
        if "E12" not in decision.rules:  # (the emergency call already said it)
            lines.append(f"If you are in danger now, call {clinic.emergency_number}.")
        if clinic.domestic_abuse:
            da = clinic.domestic_abuse
            hours = f" ({da.hours})" if da.hours else ""
            lines.append(f"You can call {_name(da)} on {da.phone}{hours}.")
    return lines


def _emergency_call(decision: Decision, clinic: Clinic, helper: bool) -> list[str]:
    number = clinic.emergency_number
    if "mental_health_crisis" in decision.concerns and decision.rules[:1] == ("E11",):
        return [
            f"If you might act on these thoughts, or you have hurt yourself, call {number} now "
            "or go to A&E.",
            "If you can, stay with someone you trust while you get help.",
        ]
    if decision.rules[:1] == ("E12",):
        lines = [f"Call {number} now, if you can do it safely."]
        if clinic.silent_emergency_call:
            lines.append(clinic.silent_emergency_call)
        lines.append("Tell them you are pregnant, and if you have been hurt.")
        return lines
    if helper:
        lines = [
            f"Call {number} now.",
            "Tell them she is pregnant, and how many weeks if you know.",
            "Stay with her until help comes.",
        ]
        for concern in decision.concerns:
            lines.extend(FIRST_AID_HELPER.get(concern, ()))
        return lines
    lines = [
        f"Call {number} now.",
        "Do not wait and do not drive yourself.",
        "If you can't call, ask someone to call for you.",
        "Tell them you are pregnant and how many weeks.",
    ]
    for concern in decision.concerns:
        lines.extend(FIRST_AID.get(concern, ()))
    if "E5" in decision.rules:
        lines.append(FIRST_AID_MEMBRANES)
    return lines


#: Same-day concerns that stay with the midwife or GP at any gestation (not maternity triage).
COMMUNITY_CONCERNS = frozenset({"infection", "safeguarding", "hyperemesis", "mental_health_crisis"})


def _before(service: Service, weeks: float | None) -> bool:
    """Known weeks below the gestation the service takes calls from (clinic.yml from_weeks)."""
    return weeks is not None and service.from_weeks is not None and weeks < service.from_weeks


def _open_now(service: Service, clinic: Clinic, now: datetime | None) -> bool:
    """Open now, or hours the bot cannot check (no ``open:``): not known to be closed."""
    return not service.open or service.is_open(clinic.local_time(now)) is not False


def _urgent_service(clinic: Clinic, weeks: float | None, now: datetime | None) -> Service:
    """Maternity triage; before the weeks it takes calls from, the gynaecology assessment unit
    (unless its hours say it is closed now), else the early pregnancy unit if its hours say it
    is open now (a unit whose hours the bot cannot check may be closed at night); else
    maternity triage all the same (a call that is redirected is better than none)."""
    mt = clinic.maternity_triage
    if not _before(mt, weeks):
        return mt
    gau, epu = clinic.gynaecology_assessment_unit, clinic.early_pregnancy_unit
    if gau is not None and _open_now(gau, clinic, now):
        return gau
    if epu.open and epu.is_open(clinic.local_time(now)):
        return epu
    return mt


def _where_and_when(
    decision: Decision,
    clinic: Clinic,
    now: datetime | None,
    helper: bool,
    weeks: float | None = None,
) -> list[str]:
    """The named service, its number, and the time frame, by level (and, for the service,
    by the weeks of pregnancy: clinic.yml ``from_weeks``)."""
    level = decision.level
    if level is Level.EMERGENCY:
        return _emergency_call(decision, clinic, helper)
    if level is Level.URGENT and decision.rules[:1] == ("U24",):
        crisis = clinic.mental_health_crisis or clinic.out_of_hours
        return [
            f"Call {_name(crisis)} on {crisis.phone} now"
            + (" and tell them she is pregnant." if helper else " and tell them you are pregnant."),
            "You do not need to wait until you feel worse to ask for help.",
            f"If you might act on these thoughts, or you have hurt yourself, call "
            f"{clinic.emergency_number} or go to A&E.",
            "If you can, tell someone you trust how you feel today.",
        ]
    if level is Level.URGENT:
        mt = _urgent_service(clinic, weeks, now)
        lines = [
            _call(mt, "now"),
            "They will probably ask you to come in straight away.",
            "Do not wait until later, or for your next appointment.",
            "She should not drive herself."
            if helper
            else "Do not drive yourself: ask someone to take you, or get a taxi.",
        ]
        where = (
            f"go straight to {mt.address}" if mt.address else "go straight to the maternity unit"
        )
        lines.append(f"If nobody answers within 15 minutes, {where}.")
        lines.append(f"If you get any of the signs below, call {clinic.emergency_number}.")
        lines.append(
            "Tell them she is pregnant, how many weeks, and what you told me."
            if helper
            else "Tell them how many weeks pregnant you are and what you told me."
        )
        return lines
    if level is Level.SAME_DAY:
        return _same_day(decision, clinic, now, weeks)
    if level is Level.ROUTINE:
        mw = clinic.midwife_team
        return [
            "Tell your midwife or doctor about this at your next appointment, "
            "or within the next week.",
            f"You can call {_name(mw)} on {mw.phone}.",
            *_hours(mw),
            "If you get worse, do not wait for your appointment.",
        ]
    return ["You do not need to do anything right now."]


def _maternity_triage_age(mt: Service, weeks: float | None, concerns: set[str]) -> bool:
    """A pregnancy concern at or after the weeks maternity triage takes calls from."""
    return (
        mt.from_weeks is not None
        and weeks is not None
        and not _before(mt, weeks)
        and not concerns <= COMMUNITY_CONCERNS
    )


def _same_day(
    decision: Decision, clinic: Clinic, now: datetime | None, weeks: float | None = None
) -> list[str]:
    """Today's service, knowing whether it is open now (clinic.yml ``open:``). From the weeks
    maternity triage takes calls from (``from_weeks``), a pregnancy concern goes there, not to
    the GP (the safety review's HZ-14); infection, abuse, sickness and mental health stay with
    the midwife or GP."""
    mt, ooh = clinic.maternity_triage, clinic.out_of_hours
    concerns = set(decision.concerns)
    if "early_pregnancy" in concerns or ("injury" in concerns and "S10" in decision.rules):
        service, gp = clinic.early_pregnancy_unit, True
    elif concerns & {"labour", "preterm_labour"} or _maternity_triage_age(mt, weeks, concerns):
        service, gp = mt, False
    else:
        service, gp = clinic.midwife_team, True
    local = clinic.local_time(now) if service.open else None
    if local is not None and service.is_open(local) is False:
        # Closed now: name the service that is open, then when the usual one opens.
        lines = [
            f"{_name(service)[:1].upper()}{_name(service)[1:]} is closed now.",
            f"Call {_name(ooh)} on {ooh.phone} today instead, or {_name(mt)} on {mt.phone}.",
            *_hours(service),
        ]
        return lines
    if service is mt:
        return [_call(mt, "today"), "They can tell you if you need to go in."]
    lines = [_call(service, "today"), *_hours(service)]
    if gp:
        lines.append("Or see your GP today.")
    lines.append(f"If you can't speak to anyone today, call {_name(ooh)} on {ooh.phone}.")
    return lines


def _act_sooner(decision: Decision, clinic: Clinic) -> list[str]:
    """For the lower levels: what means "call maternity triage now" instead of waiting."""
    if decision.level >= Level.URGENT:
        return []
    items: list[str] = []
    for concern in decision.concerns:
        for item in SOONER.get(concern, ()):
            if item not in items:
                items.append(item)
    if not items:
        items = list(WATCH_FOR)
    mt = clinic.maternity_triage
    intro = "Watch out for these." if decision.level is Level.SELF_CARE else "Do not wait."
    return [
        intro,
        f"Call {_name(mt)} on {mt.phone} now if you get any of these:",
        *_bullets(items),
    ]


def _weeks_words(weeks: float) -> str:
    """ "20 weeks pregnant", "20+3 weeks pregnant", or the range a quick-reply button stood for
    ("13 to 27 weeks pregnant": the button records its range's most cautious week)."""
    for title, recorded in GESTATION_RANGES:
        if abs(weeks - recorded) < 1e-9:
            return title[:1].lower() + title[1:] + " pregnant"
    whole, days = int(weeks), round((weeks - int(weeks)) * 7)
    if days == 7:
        whole, days = whole + 1, 0
    return f"{whole}+{days} weeks pregnant" if days else f"{whole} weeks pregnant"


def read_back(findings: Findings | None) -> list[str]:
    """What the bot understood, so the patient can correct a misreading (Almond 2009: check
    understanding). Empty when nothing was understood."""
    if findings is None:
        return []
    parts: list[str] = []
    if findings.gestational_weeks is not None:
        parts.append(_weeks_words(findings.gestational_weeks))
    # (a qualifier, "no plan to act on them", after what it qualifies)
    symptoms = sorted(
        findings.symptoms - findings.resolved - {"contractions"}, key=lambda c: (c in QUALIFIERS, c)
    )
    parts.extend(SYMPTOM_WORDS.get(code, code.replace("_", " ")) for code in symptoms)
    parts.extend(
        SYMPTOM_WORDS.get(code, code.replace("_", " ")) + " (stopped now)"
        for code in sorted(findings.resolved)
    )
    if findings.contraction_status in CONTRACTION_WORDS:
        parts.append(CONTRACTION_WORDS[findings.contraction_status])
    if not parts:
        return []
    return ["You told me: " + ", ".join(parts) + ".", "If that is wrong, tell me."]


def render_advice(
    decision: Decision,
    clinic: Clinic,
    findings: Findings | None = None,
    *,
    on_behalf: bool = False,
    now: datetime | None = None,
    provisional: bool = False,
    firm: bool = True,
) -> str:
    """The safety-netting reply for ``decision``, with names and numbers from ``clinic``.

    What to do comes first (a patient may read one line and leave), except at self care, where
    there is nothing to do. ``findings`` adds the read-back; ``on_behalf`` words an emergency
    for the person helping; ``now`` is the time the opening hours are checked against;
    ``provisional`` says that questions follow: when ``firm``, they can only make the advice
    more urgent; otherwise it assumed the more urgent answer to a question not yet answered.
    """
    helper = on_behalf
    todo = _what_to_do(decision, clinic, now, helper, findings)
    if provisional and firm:
        todo.append(
            "Do this now. I will ask you a question or two below, but your answers can only "
            "make this more urgent, never less."
        )
    elif provisional:
        todo.append(
            "Do this now. Until you answer my question below, I have to assume the more "
            "urgent case."
        )
    sections = [
        todo,
        _what_may_be_happening(decision, findings),
        read_back(findings),
        _act_sooner(decision, clinic),
        emergency_list(clinic, decision.concerns),
        always_ok(clinic, decision.level),
    ]
    if decision.level is Level.SELF_CARE:
        # Nothing to do: say what was (not) found first.
        sections[0], sections[1] = sections[1], sections[0]
    return "\n\n".join("\n".join(s) for s in sections if s)


def advice_stands(clinic: Clinic, findings: Findings | None = None) -> str:
    """The reply to a last answer that leaves the advice just given as it was: it says so, and
    keeps the one warning that answer was about (bleeding that gets heavier)."""
    lines = ["Thank you. That does not change my advice above: please follow it now."]
    if findings is not None and findings.has("bleeding"):
        lines.append(
            "If the bleeding gets heavier (soaking a pad in an hour or less, clots, or blood "
            f"running down your legs), call {clinic.emergency_number} straight away."
        )
    lines.append(
        f"If anything else changes or you are worried, call {_name(clinic.maternity_triage)} "
        f"on {clinic.maternity_triage.phone}, or {clinic.emergency_number} in an emergency."
    )
    return "\n".join(lines)


def interim_safety_net(clinic: Clinic) -> str:
    """One line that goes with every question asked before a decision: what to do meanwhile."""
    mt = clinic.maternity_triage
    return (
        f"While we talk: if you have bleeding, fluid leaking, pressure in your vagina, or pains "
        f"that come and go, call {_name(mt)} on {mt.phone} now. For heavy bleeding, strong pain "
        f"that does not stop, fainting, a fit, or chest pain, call {clinic.emergency_number}."
    )


def disclaimer(clinic: Clinic) -> str:
    """The first message of every chat: what this is, what it is not, and the record kept."""
    return "\n".join(
        [
            f"Hello. I am the {clinic.clinic_name} pregnancy symptom helper.",
            "I can help you decide where to get help and how soon.",
            "I am not a doctor or midwife. I can't diagnose you.",
            "I do not replace your midwife or doctor.",
            "",
            f"If this is an emergency, call {clinic.emergency_number} now.",
            "",
            "We keep a record of this chat, and nurses and midwives at "
            f"{clinic.clinic_name} may read it later to check your care and to improve this "
            "service.",
            "No one will contact you from this chat: if you need help, you need to call.",
        ]
    )


def fallback_advice(clinic: Clinic) -> str:
    """When the bot did not understand, or something failed: the full safety net anyway.

    The emergency list comes first: the message not understood may have been an emergency.
    """
    mt = clinic.maternity_triage
    sections = [
        emergency_list(clinic),
        [
            "Sorry, I didn't understand that.",
            "If you have any bleeding, leaking fluid, pressure in your vagina, or pains, "
            f"call {_name(mt)} on {mt.phone} now.",
        ],
        [
            "Or tell me in your own words what you are feeling.",
            'For example: "I have some bleeding" or "I feel pressure in my vagina".',
            "It helps to say how many weeks pregnant you are.",
        ],
        always_ok(clinic),
    ]
    return "\n\n".join("\n".join(s) for s in sections)
