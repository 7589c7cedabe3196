"""The action that gives the triage decision: findings -> triage.assess -> safety-netting advice."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from triage import Level, assess
from triage.engine import hold

from .common import (
    advised_level,
    apply_latest_message,
    clinic,
    findings_from_tracker,
    utter_decision,
)
from .replies import (
    answer_for,
    ask_for_symptoms,
    latest_language,
    utter_language_card,
    utter_not_understood,
)

#: The one intent after which an empty set of findings is itself the answer: the patient said
#: positively that she has no symptoms ("I feel fine"). Reassurance (rule SC1) comes only from
#: that, never from what the bot failed to understand.
SYMPTOM_FREE_INTENT = "report_no_symptoms"
#: ...said clearly enough: below this confidence "no symptoms" is not taken as a positive answer.
SYMPTOM_FREE_CONFIDENCE = 0.7


class ActionTriage(Action):
    def name(self) -> str:
        return "action_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        applied = apply_latest_message(tracker)
        findings = findings_from_tracker(tracker)
        parsed = tracker.latest_message.get("intent") or {}
        intent = parsed.get("name")
        nothing = not findings.symptoms and not findings.risk_factors
        # A message in another language (hazard HZ-15) is never taken for "no symptoms": the
        # English classifier only guessed that intent.
        foreign = latest_language(tracker) is not None
        said_none = (
            intent == SYMPTOM_FREE_INTENT
            and float(parsed.get("confidence") or 0.0) >= SYMPTOM_FREE_CONFIDENCE
            and not foreign
        )
        assessed = assess(findings)
        if nothing and not said_none and assessed.level <= Level.SELF_CARE:
            # Told only the weeks, said goodbye, or nothing we recognised yet: no decision and
            # no reassurance; the reply asks, or says goodbye, with the safety net. (The weeks
            # alone may be enough for advice: 41 weeks or more is a talk about induction, R4.)
            if foreign:
                utter_not_understood(dispatcher, tracker)
            elif intent == "goodbye":
                dispatcher.utter_message(text=answer_for(intent, clinic()))
            else:
                dispatcher.utter_message(text=ask_for_symptoms(clinic()))
            return applied
        decision = hold(assessed, advised_level(tracker))
        utter_language_card(dispatcher, tracker)  # before the English advice, when foreign
        events = utter_decision(dispatcher, tracker, decision, findings=findings)
        return [
            *applied,
            SlotSet("triage_level", decision.level.value),
            SlotSet("triage_floor", decision.level.value),
            *events,
        ]
