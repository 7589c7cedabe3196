"""A case as a FHIR R4 Bundle, for handing it to the clinic's record system. Pure: a ``Case``
(console/cases.py) in, JSON-ready dicts out; no database, no web.

The Bundle is of type ``collection``: three resources that belong together, linked by
``urn:uuid:`` references. Not a ``document``: that needs a Composition with an author who
attests it, which a download from the console cannot honestly claim to be.

- **QuestionnaireResponse**: the findings the bot recorded (the slots the case view shows):
  gestational age, symptoms present and denied, contractions, risk factors, bleeding amount.
  ``completed`` when the bot reached its final decision, else ``in-progress`` (the patient
  left during the questions). An unknown answer is an item left out.
- **Observation**: the triage level (the highest the bot gave; with no decision, the floor it
  recorded), with the concerns and each reason (rule id and text) as components and each
  reason's source as a note. ``final`` or ``preliminary`` as above.
- **Task**: the follow-up, priority from the level (``TASK_PRIORITY``).

Codes are the bot's own (triage/codes.py) in local code systems under ``CODE_SYSTEM_BASE``;
mapping them to SNOMED CT is for the receiving system. The conversation id is the
identifier of every resource; there is no Patient resource, because the bot never learns who
the patient is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone

from console.cases import Case
from console.events import DECIDED, level_label
from console.followup import STATE_LABELS, FollowUp
from console.web import code_label

MEDIA_TYPE = "application/fhir+json"
CODE_SYSTEM_BASE = "https://cervical-triage.invalid/fhir/"
CONVERSATION_SYSTEM = CODE_SYSTEM_BASE + "NamingSystem/conversation-id"
QUESTIONNAIRE = CODE_SYSTEM_BASE + "Questionnaire/triage-findings"

#: Task.priority (routine | urgent | asap | stat) for each triage level; any other level,
#: and a case with no level, is ``routine``.
TASK_PRIORITY = {"emergency": "stat", "urgent": "asap"}
#: Task.status for each follow-up state (console/followup.py); the state itself goes in
#: Task.businessStatus.
TASK_STATUS = {
    "new": "requested",
    "in_review": "in-progress",
    "contact_attempted": "in-progress",
    "contacted": "in-progress",
    "closed": "completed",
}


def task_priority(level: str | None) -> str:
    return TASK_PRIORITY.get(level or "", "routine")


def _system(name: str) -> str:
    return CODE_SYSTEM_BASE + "CodeSystem/" + name


def _coding(system: str, code: str, display: str | None = None) -> dict:
    return {"system": _system(system), "code": code, "display": display or code_label(code)}


def _iso(ts: float | None) -> str:
    moment = datetime.fromtimestamp(ts if ts is not None else 0, timezone.utc)
    return moment.isoformat(timespec="seconds")


def _uuid(sender_id: str, kind: str) -> str:
    """Stable per conversation and resource, so that a second download updates, not adds."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{CONVERSATION_SYSTEM}|{sender_id}|{kind}"))


def finished(case: Case) -> bool:
    """The bot gave its final decision (it sets ``triage_level`` then: events.triage_progress).
    Conversations stored before the floor existed count as finished when they hold a decision
    and the bot never recorded a floor."""
    if case.progress.state is not None:
        return case.progress.state == DECIDED
    return bool(case.decisions)


def triage_level(case: Case) -> str | None:
    """The highest level the bot gave; with none, the floor it recorded (as the queue ranks)."""
    ranked = [t.triage for t in case.decisions if t.triage is not None]
    if ranked:
        return max(ranked, key=lambda decision: decision.rank).level
    floor = case.findings.other.get("triage_floor")
    return str(floor) if floor else None


def _item(link_id: str, text: str, answers: list[dict]) -> dict:
    return {"linkId": link_id, "text": text, "answer": answers}


def questionnaire_response(case: Case, authored: float | None) -> dict:
    f = case.findings
    items = []
    if f.gestational_weeks is not None:
        items.append(
            _item(
                "gestational-weeks",
                "Gestational age (weeks)",
                [{"valueDecimal": f.gestational_weeks}],
            )
        )
    # (linkId, question, code system, the coded answers): one item each, when answered
    coded: tuple[tuple[str, str, str, Iterable[str]], ...] = (
        ("symptoms-present", "Symptoms present", "symptom", f.symptoms),
        ("symptoms-denied", "Symptoms denied", "symptom", f.symptoms_absent),
        (
            "contractions",
            "Contractions (tightenings that come and go)",
            "contractions",
            [f.contractions] if f.contractions else (),
        ),
        ("risk-factors", "Risk factors", "risk-factor", f.risk_factors),
        (
            "bleeding-amount",
            "Bleeding amount",
            "bleeding-amount",
            [f.bleeding_amount] if f.bleeding_amount else (),
        ),
    )
    for link_id, text, system, codes in coded:
        answers = [{"valueCoding": _coding(system, c)} for c in codes]
        if answers:
            items.append(_item(link_id, text, answers))
    resource: dict = {
        "resourceType": "QuestionnaireResponse",
        "id": _uuid(case.sender_id, "QuestionnaireResponse"),
        "identifier": {"system": CONVERSATION_SYSTEM, "value": case.sender_id},
        "questionnaire": QUESTIONNAIRE,
        "status": "completed" if finished(case) else "in-progress",
        "authored": _iso(authored),
    }
    if items:
        resource["item"] = items
    return resource


def observation(case: Case, level: str, effective: float | None, now: float, qr_ref: str) -> dict:
    top = [t for t in case.decisions if t.triage and t.triage.level == level]
    decision = top[-1].triage if top else None
    components: list[dict] = []
    notes: list[dict] = []
    if decision:
        for concern in decision.concerns:
            components.append(
                {
                    "code": {"coding": [_coding("observation", "concern", "Concern")]},
                    "valueCodeableConcept": {"coding": [_coding("concern", concern)]},
                }
            )
        for reason in decision.reasons:
            components.append(
                {
                    "code": {"coding": [_coding("observation", "reason", "Reason")]},
                    "valueCodeableConcept": {
                        "coding": [_coding("triage-rule", reason.rule, reason.rule)],
                        "text": reason.text,
                    },
                }
            )
            if reason.source:
                notes.append({"text": f"{reason.rule}: {reason.text} Source: {reason.source}"})
    if not finished(case):
        notes.append(
            {
                "text": "The patient left before the bot's questions were finished: this is "
                "the level that holds whatever the missing answers were."
            }
        )
    resource: dict = {
        "resourceType": "Observation",
        "id": _uuid(case.sender_id, "Observation"),
        "identifier": [{"system": CONVERSATION_SYSTEM, "value": case.sender_id}],
        "status": "final" if finished(case) else "preliminary",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                        "display": "Survey",
                    }
                ]
            }
        ],
        "code": {
            "coding": [_coding("observation", "triage-level", "Symptom-triage level")],
            "text": "Symptom-triage level",
        },
        "effectiveDateTime": _iso(effective),
        "issued": _iso(now),
        "valueCodeableConcept": {
            "coding": [_coding("triage-level", level, level_label(level))],
            "text": level_label(level),
        },
        "derivedFrom": [{"reference": qr_ref}],
    }
    if components:
        resource["component"] = components
    if notes:
        resource["note"] = notes
    return resource


def task(
    case: Case, level: str | None, now: float, focus_ref: str, follow: FollowUp | None = None
) -> dict:
    """The follow-up as a Task: status from its state, due time in restriction.period.end."""
    label = level_label(level)
    state = follow.state if follow is not None else "new"
    extra: dict = {
        "businessStatus": {
            "coding": [_coding("followup-state", state, STATE_LABELS.get(state, state))],
            "text": STATE_LABELS.get(state, state),
        }
    }
    if follow is not None and follow.due_at is not None:
        extra["restriction"] = {"period": {"end": _iso(follow.due_at)}}
    return {
        "resourceType": "Task",
        "id": _uuid(case.sender_id, "Task"),
        "identifier": [{"system": CONVERSATION_SYSTEM, "value": case.sender_id}],
        "status": TASK_STATUS.get(state, "requested"),
        **extra,
        "intent": "order",
        "priority": task_priority(level),
        "code": {"text": "Follow up a symptom-triage conversation"},
        "description": f"Review the conversation and contact the patient as needed "
        f"(triage level: {label}).",
        "authoredOn": _iso(now),
        "focus": {"reference": focus_ref},
        **({"reasonReference": {"reference": focus_ref}} if level else {}),
    }


def bundle(case: Case, now: float, follow: FollowUp | None = None) -> dict:
    """The handover Bundle (collection) for one case."""
    message_times = [t.at for t in case.turns if t.kind != "session" and t.at is not None]
    last_at = max(message_times) if message_times else None
    level = triage_level(case)
    qr = questionnaire_response(case, last_at)
    qr_ref = f"urn:uuid:{qr['id']}"
    entries = [{"fullUrl": qr_ref, "resource": qr}]
    focus_ref = qr_ref
    if level:
        decided = [t.at for t in case.decisions if t.triage and t.triage.level == level and t.at]
        obs = observation(case, level, decided[-1] if decided else last_at, now, qr_ref)
        focus_ref = f"urn:uuid:{obs['id']}"
        entries.append({"fullUrl": focus_ref, "resource": obs})
    work = task(case, level, now, focus_ref, follow)
    entries.append({"fullUrl": f"urn:uuid:{work['id']}", "resource": work})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": _iso(now),
        "entry": entries,
    }


def dumps(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, indent=2)
