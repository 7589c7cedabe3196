"""The words the patient reads: safety-netting advice, the opening disclaimer, the fallback.

Every reply follows the safety-netting structure of Almond, Mant & Thompson (BJGP 2009) and
Jones et al. (BJGP 2019): what may be happening and that we cannot be sure; exactly what to do,
where (a named service and its number) and by when; which symptoms mean call the emergency
number instead; and that it is always right to seek help again. Plain words, short lines,
no markdown (the widget and SMS-like channels show text as it is). Every name and number
comes from the Clinic (clinic.yml), never from this file.
"""

from __future__ import annotations

from .clinic import Clinic, Service
from .decision import Decision, Level

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
    "R2": "You may be offered scans to measure your cervix, or a stitch to help keep it closed.",
}

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
    "early_pregnancy": "bleeding with pain on one side of your tummy, pain in the tip of "
    "your shoulder, or feeling dizzy",
}


def emergency_list(clinic: Clinic, concerns: tuple[str, ...] = ()) -> list[str]:
    """Which symptoms mean "call the emergency number now"; the same list in every reply."""
    items = [
        "heavy bleeding: soaking a pad in an hour or less, or clots",
        "strong pain that is there all the time and does not come and go",
        "fainting or collapsing",
        "a fit (seizure)",
        "feeling or seeing the cord, or something coming out of your vagina",
    ]
    items.extend(EXTRA_EMERGENCY[c] for c in concerns if c in EXTRA_EMERGENCY)
    return [
        f"Call {clinic.emergency_number} straight away if you have any of these:",
        *_bullets(items),
    ]


def always_ok(clinic: Clinic) -> list[str]:
    """It is always right to seek help: the last word of every reply."""
    mt = clinic.maternity_triage
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


def _what_may_be_happening(decision: Decision) -> list[str]:
    lines: list[str] = []
    for concern in decision.concerns:
        if concern == "cervical_insufficiency" and decision.level <= Level.ROUTINE:
            lines.extend(HISTORY_ONLY)
            continue
        lines.extend(WHAT_MAY_BE_HAPPENING.get(concern, WHAT_MAY_BE_HAPPENING["other_symptom"]))
    lines.extend(RULE_CONTEXT[rule] for rule in decision.rules if rule in RULE_CONTEXT)
    if decision.level is Level.SELF_CARE or not lines:
        lines = ["From what you told me, I did not find any warning signs."]
        lines.append("I can't examine you, so I can't rule anything out.")
    else:
        lines.append("I can't tell you for sure what is happening.")
        lines.append("Only a midwife or doctor who checks you can.")
    return lines


def _what_to_do(decision: Decision, clinic: Clinic) -> list[str]:
    lines = _where_and_when(decision, clinic)
    if decision.level < Level.URGENT:
        lines.extend(RULE_TODO[rule] for rule in decision.rules if rule in RULE_TODO)
    return lines


def _where_and_when(decision: Decision, clinic: Clinic) -> list[str]:
    """The named service, its number, and the time frame, by level."""
    level, mt = decision.level, clinic.maternity_triage
    if level is Level.EMERGENCY:
        return [
            f"Call {clinic.emergency_number} now.",
            "Do not wait and do not drive yourself.",
            "If you can't call, ask someone to call for you.",
            "Tell them you are pregnant and how many weeks.",
        ]
    if level is Level.URGENT:
        lines = [
            _call(mt, "now"),
            "Be ready to go in to be checked today.",
            "Do not wait for your next appointment.",
        ]
        if mt.address:
            lines.append(f"They are at {mt.address}.")
        lines.append("Tell them how many weeks pregnant you are and what you told me.")
        return lines
    if level is Level.SAME_DAY:
        if "early_pregnancy" in decision.concerns:
            service = clinic.early_pregnancy_unit
            lines = [_call(service, "today"), *_hours(service), "Or see your GP today."]
        elif "labour" in decision.concerns:
            lines = [_call(mt, "today"), "They can tell you if you need to go in."]
        else:
            service = clinic.midwife_team
            lines = [_call(service, "today"), *_hours(service), "Or see your GP today."]
        ooh = clinic.out_of_hours
        lines.append(f"If you can't speak to anyone today, call {_name(ooh)} on {ooh.phone}.")
        return lines
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
    return [intro, f"Call {_name(mt)} on {mt.phone} now if you get any of these:", *_bullets(items)]


def render_advice(decision: Decision, clinic: Clinic) -> str:
    """The safety-netting reply for ``decision``, with names and numbers from ``clinic``."""
    sections = [
        _what_to_do(decision, clinic),
        _what_may_be_happening(decision),
        _act_sooner(decision, clinic),
        emergency_list(clinic, decision.concerns),
        always_ok(clinic),
    ]
    if decision.level is not Level.EMERGENCY:
        # Say what may be happening first, then what to do about it.
        sections[0], sections[1] = sections[1], sections[0]
    return "\n\n".join("\n".join(s) for s in sections if s)


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
            "We keep a record of this chat.",
            f"Nurses and midwives at {clinic.clinic_name} may read it to check your care "
            "and to improve this service.",
        ]
    )


def fallback_advice(clinic: Clinic) -> str:
    """When the bot did not understand, or something failed: the full safety net anyway."""
    mt = clinic.maternity_triage
    sections = [
        [
            "Sorry, I didn't understand that.",
            "Please tell me in your own words what you are feeling.",
            'For example: "I have some bleeding" or "I feel pressure in my vagina".',
            "It helps to say how many weeks pregnant you are.",
        ],
        emergency_list(clinic),
        [
            f"If you have any bleeding, leaking fluid, pressure in your vagina, or pains, "
            f"call {_name(mt)} on {mt.phone} now.",
        ],
        always_ok(clinic),
    ]
    return "\n\n".join("\n".join(s) for s in sections)
