"""Turns one user message (intent + entities) into updates of the findings slots.

Pure Python, no rasa_sdk import, so tests can call it directly. The Rasa action
(actions/findings.py) only reads the tracker and returns SlotSet events for what this returns.

Why the choices below:
- A symptom reported once stays present: a later "no bleeding now" does not erase that the
  patient bled today (the safe reading). A negated symptom is recorded as absent only when it
  was not reported present.
- A symptom earlier today that has stopped (entity role "resolved") is a finding: it is
  present, and also listed in ``symptoms_resolved`` so the advice can say it still needs checking.
- Hypothetical, historical and other people's symptoms are not findings at all.
- When the classifier is sure the message is about a symptom but the rule-based extractor found
  no symptom word (an unforeseen phrasing), the symptom the intent stands for is recorded, so a
  patient is never triaged as symptom-free because of a pattern gap. A report of some other
  symptom that no pattern names is ``unrecognised_symptom``: a problem the bot cannot place,
  which is never reassured (rule X2).
- Answers to the form's questions ("yes", "no", "not sure", "I'd rather not say", "I don't
  know") are read against the question being asked (requested_slot). An answer to the
  bleeding-amount question that names no amount is "unsure": the question is asked once.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from triage.codes import ALL_RED_FLAGS, AMOUNT_ANSWER_ROLE

# The symptom each symptom intent stands for, used only when no symptom entity was found.
INTENT_SYMPTOM = {
    "report_pressure": "vaginal_pressure",
    "report_bleeding": "bleeding",
    "report_pain": "abdominal_pain",
    "report_discharge": "discharge_change",
    "report_contractions": "contractions",
    "report_fluid_leak": "fluid_leak",
    "report_reduced_movements": "reduced_movements",
    "report_red_flag": "unspecified_red_flag",
    "report_other_symptom": "unrecognised_symptom",
}

CONTRACTION_ANSWERS = {"affirm": "yes", "deny": "no", "unsure": "unsure", "decline": "declined"}
#: "unsure" (asked, no amount given) ranks below every amount: a later amount replaces it.
BLEEDING_SEVERITY = {"unsure": 0, "spotting": 1, "light": 2, "heavy": 3}

FINDINGS_SLOTS = (
    "symptoms",
    "symptoms_resolved",
    "symptoms_absent",
    "gestational_weeks",
    "gestational_declined",
    "contractions",
    "risk_factors",
    "bleeding_amount",
    "on_behalf",
)


def _weeks(value: Any) -> float | None:
    try:
        weeks = float(value)
    except (TypeError, ValueError):
        return None
    return weeks if 0 < weeks <= 45 else None


def _snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """The findings slots in one comparable form: lists sorted, flags as bools."""
    snapshot = {name: values.get(name) for name in FINDINGS_SLOTS}
    for name in ("symptoms", "symptoms_resolved", "symptoms_absent", "risk_factors"):
        snapshot[name] = sorted(snapshot[name] or [])
    for name in ("gestational_declined", "on_behalf"):
        snapshot[name] = bool(snapshot[name])
    return snapshot


def slot_updates(
    slots: Mapping[str, Any],
    intent: str | None,
    entities: Iterable[Mapping[str, Any]],
    requested_slot: str | None = None,
    answer_intent: str | None = None,
) -> dict[str, Any]:
    """Returns only the findings slots whose value changes with this message.

    ``answer_intent`` is the classifier's own intent when the NLU component replaced it (a
    "no, only the spotting" stays a "no" to the question asked); by default ``intent``.
    """
    answer = answer_intent or intent
    entities = list(entities or [])
    present = set(slots.get("symptoms") or [])
    resolved = set(slots.get("symptoms_resolved") or [])
    absent = set(slots.get("symptoms_absent") or [])
    risks = set(slots.get("risk_factors") or [])
    weeks = slots.get("gestational_weeks")
    declined = bool(slots.get("gestational_declined"))
    contractions = slots.get("contractions")
    bleeding = slots.get("bleeding_amount")
    on_behalf = bool(slots.get("on_behalf"))

    symptom_entities = [e for e in entities if e.get("entity") == "symptom"]
    for entity in symptom_entities:
        code, role = entity.get("value"), entity.get("role")
        if not isinstance(code, str):
            continue
        if role is None or role == "resolved":
            present.add(code)
            absent.discard(code)
            if role == "resolved":
                resolved.add(code)
        elif role == "negated" and code not in present:
            absent.add(code)

    fallback = INTENT_SYMPTOM.get(intent or "")
    found_now = {e.get("value") for e in symptom_entities if e.get("role") in (None, "resolved")}
    # An answer to "how much are you bleeding?" ("literally a drop, pinkish") is the amount the
    # classifier could not place, not another problem.
    amount_answered = requested_slot == "bleeding_amount" and any(
        e.get("entity") == "bleeding_amount" for e in entities
    )
    if fallback == "unrecognised_symptom" and amount_answered:
        fallback = None
    if fallback and (
        not symptom_entities
        # A problem the bot could not place, said beside denials ("pinky on the loo roll, no
        # pain"): the denials do not place it.
        or (fallback == "unrecognised_symptom" and not found_now)
        # The classifier read an emergency, and the words found name no red flag ("something
        # is really wrong, I think this is an emergency"): the emergency stands (rule E7).
        or (fallback == "unspecified_red_flag" and not found_now & ALL_RED_FLAGS)
    ):
        present.add(fallback)
        absent.discard(fallback)

    gestation_given = False
    for entity in entities:
        kind = entity.get("entity")
        if kind == "gestational_age" and _weeks(entity.get("value")) is not None:
            weeks, declined, gestation_given = _weeks(entity.get("value")), False, True
        elif kind == "risk_factor" and entity.get("role") is None and entity.get("value"):
            risks.add(str(entity["value"]))
        elif kind == "bleeding_amount" and entity.get("value") in BLEEDING_SEVERITY:
            # An amount said without a word for blood ("loads", "just a bit": role "answer")
            # is an amount only as the answer to "how much are you bleeding?".
            if entity.get("role") == AMOUNT_ANSWER_ROLE and requested_slot != "bleeding_amount":
                continue
            if BLEEDING_SEVERITY[entity["value"]] > BLEEDING_SEVERITY.get(str(bleeding), 0):
                bleeding = entity["value"]
        elif kind == "on_behalf":
            on_behalf = True

    # Any answer to "how much are you bleeding?" ends the question: one that names no amount
    # ("not sure", "no", "what counts as heavy?") is recorded as "unsure", never asked again.
    if requested_slot == "bleeding_amount" and bleeding is None:
        bleeding = "unsure"
    if bleeding == "heavy":
        present.add("heavy_bleeding")
    if "contractions" in present:
        contractions = "yes"
    elif "contractions" in absent:
        contractions = "no"
    elif requested_slot == "contractions" and answer in CONTRACTION_ANSWERS:
        contractions = CONTRACTION_ANSWERS[answer]
    # "no" to "how many weeks?" is a refusal; an answer about the weeks without a number
    # ("I don't know how far along I am") is not knowing: both get the safe assumption.
    if (
        requested_slot == "gestational_weeks"
        and not gestation_given
        and weeks is None
        and answer in ("unsure", "decline", "deny", "inform_gestational_age")
    ):
        declined = True

    new = _snapshot(
        {
            "symptoms": present,
            "symptoms_resolved": resolved,
            "symptoms_absent": absent,
            "gestational_weeks": weeks,
            "gestational_declined": declined,
            "contractions": contractions,
            "risk_factors": risks,
            "bleeding_amount": bleeding,
            "on_behalf": on_behalf,
        }
    )
    old = _snapshot(slots)
    return {key: value for key, value in new.items() if value != old[key]}
