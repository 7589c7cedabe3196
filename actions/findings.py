"""Actions that keep the findings up to date and decide what the triage form still asks."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from triage import missing_information

from .common import findings_from_tracker
from .slot_updates import FINDINGS_SLOTS, slot_updates


class ActionExtractFindings(Action):
    """Runs after every user message (custom slot mapping in domain.yml), also inside forms."""

    def name(self) -> str:
        return "action_extract_findings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = message.get("intent") or {}
        updates = slot_updates(
            {name: tracker.get_slot(name) for name in FINDINGS_SLOTS},
            intent.get("name"),
            message.get("entities") or [],
            tracker.get_slot("requested_slot") if tracker.active_loop_name else None,
            answer_intent=intent.get("classifier_intent"),
        )
        return [SlotSet(name, value) for name, value in updates.items()]


class ValidateTriageForm(Action):
    """Decides what the triage form still needs, from the triage core's missing_information.

    Nothing is asked once a red flag is known (the form ends and action_triage sends the
    emergency advice at once). Re-confirming the findings that changed this turn tells Rasa the
    user answered something useful even when it was not the question asked (a new symptom, "I'd
    rather not say"), so the form goes on instead of being rejected; a message with no finding
    at all is rejected and handled by the unhappy-path rules in data/rules.yml.
    """

    def name(self) -> str:
        return "validate_triage_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        changed = {
            event["name"]: event["value"]
            for event in _events_since_last_user_message(tracker)
            if event.get("event") == "slot" and event.get("name") in FINDINGS_SLOTS
        }
        events = [SlotSet(name, value) for name, value in changed.items()]
        missing = missing_information(findings_from_tracker(tracker))
        events.append(SlotSet("requested_slot", missing[0] if missing else None))
        return events


def _events_since_last_user_message(tracker: Tracker) -> List[Dict[str, Any]]:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return events
