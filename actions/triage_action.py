"""The action that gives the triage decision: findings -> triage.assess -> safety-netting advice."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from triage import assess, render_advice

from .common import clinic, findings_from_tracker, utter_decision
from .replies import ask_for_symptoms

# Intents after which an empty set of findings is itself the answer ("I feel fine").
SYMPTOM_FREE_INTENTS = {"report_no_symptoms", "goodbye", "decline", "deny"}


class ActionTriage(Action):
    def name(self) -> str:
        return "action_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        findings = findings_from_tracker(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if (
            not findings.symptoms
            and not findings.risk_factors
            and intent not in SYMPTOM_FREE_INTENTS
        ):
            # Told only the weeks, or nothing we recognised yet: ask, with the safety net.
            dispatcher.utter_message(text=ask_for_symptoms(clinic()))
            return []
        decision = assess(findings)
        utter_decision(dispatcher, decision, render_advice(decision, clinic()))
        return [SlotSet("triage_level", decision.level.value)]
