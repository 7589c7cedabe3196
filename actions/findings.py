"""The findings of each user message, and what the triage form still asks.

One action call per patient turn where Rasa used to make three or four (issue 11, item 7):
the findings are no longer extracted by a separate action that Rasa's ``action_extract_slots``
calls after every message (and again when the form starts). Instead the action that answers
the message applies them first (``apply_latest_message``: ``action_triage``, ``action_reply``,
``action_fallback``, and the form's validation), and the form's validation also asks the next
question (``actions.replies.ask_question``: there is no ``action_ask_<slot>`` for Rasa to call).
The slots, the rules and what the patient is told are unchanged: none of the findings slots
steers the dialogue policies (``influence_conversation: false`` in domain.yml).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from triage import missing_information

from .common import apply_latest_message, events_since_last_user_message, findings_from_tracker
from .replies import ask_question


class ValidateTriageForm(Action):
    """Applies the message's findings, decides what the triage form still needs from the
    triage core's missing_information, and asks it.

    Nothing is asked once a red flag is known (the form ends and action_triage sends the
    emergency advice at once). Returning the findings that changed this turn tells Rasa the
    user answered something useful even when it was not the question asked (a new symptom, "I'd
    rather not say"), so the form goes on instead of being rejected; a reply to a question with
    no finding at all returns only the requested slot, so Rasa rejects it and the unhappy-path
    rules in data/rules.yml answer it (then the form comes back here and asks again).
    """

    def name(self) -> str:
        return "validate_triage_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events = apply_latest_message(tracker, in_form=True)
        missing = missing_information(findings_from_tracker(tracker))
        requested = SlotSet("requested_slot", missing[0] if missing else None)
        # The form's first action since the message (Rasa adds the form's own ActionExecuted
        # before calling this): the message answers the question. After action_reply or the
        # fallback, the form is coming back to ask again.
        answering = tracker.get_slot("requested_slot") and not any(
            event.get("event") == "action" and event.get("name") != "triage_form"
            for event in events_since_last_user_message(tracker)
        )
        if answering and not events:
            return [requested]  # nothing in the answer: Rasa rejects it (see the class)
        if missing:
            events += ask_question(dispatcher, tracker, missing)
        return [*events, requested]
