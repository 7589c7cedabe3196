"""Replies that are not triage decisions: answers to questions, small talk and the fallback.
Every one of them ends with the safety net, built from clinic.yml. (The disclaimer that opens
a conversation is sent by the Rasa server: rasa_patches/session_start.py.)"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Dict, List

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from triage import Clinic, Level, assess, fallback_advice, hold
from triage.advice import interim_safety_net
from triage.engine import floor
from triage.languages import detect_language, interpreter_line, safety_card
from triage.rules import GESTATION_RANGES

from .common import (
    advised_level,
    apply_latest_message,
    clinic,
    events_since_last_user_message,
    findings_from_tracker,
    last_shown_decision,
    shown_level,
    utter_decision,
)

ANSWERS_FILE = Path(__file__).resolve().parent.parent / "content" / "answers.yml"


@functools.lru_cache(maxsize=1)
def _content() -> Dict[str, Any]:
    return yaml.safe_load(ANSWERS_FILE.read_text(encoding="utf-8"))


def answers() -> Dict[str, str]:
    """content/answers.yml: intent -> reply text with {placeholders} from clinic.yml."""
    return _content()["answers"]


def buttons(question: str) -> List[Dict[str, str]]:
    """The question's quick replies; the gestation ranges come from the rule table."""
    fixed: List[Dict[str, str]] = _content()["buttons"][question]
    if question != "ask_gestational_weeks":
        return fixed
    ranges = [
        {
            "title": title,
            "payload": "/inform_gestational_age" + json.dumps({"gestational_age": round(weeks, 1)}),
        }
        for title, weeks in GESTATION_RANGES
    ]
    return ranges + fixed


def _fill(template: str, place: Clinic) -> str:
    return template.format(
        clinic_name=place.clinic_name,
        emergency_number=place.emergency_number,
        triage_name=place.maternity_triage.name,
        triage_phone=place.maternity_triage.phone,
        triage_hours=place.maternity_triage.hours,
    )


def safety_footer(place: Clinic) -> str:
    return _fill(answers()["safety_footer"], place)


def answer_for(intent: str | None, place: Clinic) -> str:
    """The reply to a non-triage intent, always followed by the safety footer."""
    template = answers().get(intent or "", answers()["default"])
    return f"{_fill(template, place)}\n\n{safety_footer(place)}"


def ask_for_symptoms(place: Clinic) -> str:
    return answer_for("ask_symptoms", place)


def latest_language(tracker: Tracker) -> str | None:
    """The language the latest user message is clearly written in, when it is not English
    (triage/languages.py, hazard HZ-15); None for English and whenever unsure."""
    text = (tracker.latest_message or {}).get("text")
    return detect_language(text) if isinstance(text, str) else None


def utter_language_card(dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
    """For a message clearly written in another language, that language's safety card with
    the clinic's numbers, as a message of its own sent before any English reply, whose custom
    payload names the language (``{"language": "pl"}``, for the widget and the nurse console):
    a patient who reads no English sees the numbers first. Once per turn (an action later in
    the same turn sees the card among the turn's bot events). Nothing of the message is logged.
    Returns the language, or None."""
    language = latest_language(tracker)
    if language is None:
        return None
    for event in events_since_last_user_message(tracker):
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("language"):
            return language
    dispatcher.utter_message(
        text=safety_card(language, clinic()), json_message={"language": language}
    )
    return language


def utter_not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The "not understood" reply: the card of the patient's language when the message is in
    another one (utter_language_card), then the full safety net in English, the English
    interpreter line, and the red-flag question with its buttons."""
    place = clinic()
    utter_language_card(dispatcher, tracker)
    dispatcher.utter_message(
        text=f"{fallback_advice(place)}\n\n{interpreter_line()}"
        "\n\nRight now, do you have any of these?",
        buttons=buttons("red_flag_check"),
    )


class ActionReply(Action):
    """Answers information questions and small talk from content/answers.yml."""

    def name(self) -> str:
        return "action_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events = apply_latest_message(tracker)
        if latest_language(tracker) is not None:
            # The English classifier's intent for a message in another language is a guess
            # ("out of scope", or an answer to a question it was not asked): not understood.
            utter_not_understood(dispatcher, tracker)
            return events
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(text=answer_for(intent, clinic()))
        return events


class ActionFallback(Action):
    """Not understood (low NLU confidence, or no rule applies): still the full safety net, after
    a safety card in the patient's language when the message is clearly in another one."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events = apply_latest_message(tracker)
        if _answered_question(tracker, events):
            # Understood after all: the classifier could not place "loads" or "a few drops", but
            # it answers the question asked. The form goes on (data/rules.yml) and asks the
            # next question or gives the decision.
            return events
        utter_not_understood(dispatcher, tracker)
        return events


def _answered_question(tracker: Tracker, events: List[Dict[str, Any]]) -> bool:
    """The message gave the triage form's pending question a real answer (not "unsure")."""
    asked = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
    return bool(asked) and any(
        event.get("event") == "slot"
        and event.get("name") == asked
        and event.get("value") not in (None, "unsure")
        for event in events
    )


def ask_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, missing: List[str]
) -> List[Dict[str, Any]]:
    """The first of the triage form's questions still open (``missing``, from
    ``missing_information``: ``gestational_weeks``, ``bleeding_amount``, ``contractions``) with
    its quick-reply buttons, asked by the form's validation (actions/findings.py).

    Advice comes first: when the floor (the level that holds whatever the answers turn out to
    be) is urgent or an emergency, or else the decision as things stand (an unanswered question
    taking its more urgent branch) is any level with something to do (routine or above), and
    that has not been shown yet, the advice and its payload (marked provisional, with its
    floor) go out before the question: a patient who leaves after this message has been told
    what to do, where and by when, with the safety net. Otherwise (that advice was shown
    already) the question carries a one-line interim safety net. Either way the floor is
    recorded for the console. When the bleeding amount is the last question left, the decision
    as it stands is given before it whenever it is not the one just shown: only "heavy" can
    change it.
    """
    place = clinic()
    utter_language_card(dispatcher, tracker)
    findings = findings_from_tracker(tracker)
    lowest = floor(findings)
    events: List[Dict[str, Any]] = [SlotSet("triage_floor", lowest.level.value)]
    # The floor when it is urgent; else, if the unanswered question could make it urgent,
    # the decision as things stand (unknown answers take the more urgent branch), marked as
    # an assumption: a patient who leaves now has been told the safe thing.
    advise = lowest if lowest.level >= Level.URGENT else assess(findings)
    shown, earlier = shown_level(tracker), advised_level(tracker)
    question = missing[0]
    text = _fill(answers()[f"ask_{question}"], place)
    if missing == ["bleeding_amount"]:
        # The last question, and the one answer it waits for ("heavy") only raises the level:
        # the decision as it stands is given first, unless it is what she was just shown, so a
        # patient who stops here leaves with it.
        show = last_shown_decision(tracker) != hold(advise, earlier)
    else:
        show = advise.level >= Level.ROUTINE and (shown is None or advise.level > shown)
    if show:
        holds = lowest.level if earlier is None else max(lowest.level, earlier)
        events += utter_decision(
            dispatcher,
            tracker,
            hold(advise, earlier),
            provisional=True,
            holds=holds,
            findings=findings,
        )
    elif shown is None or shown < Level.URGENT:
        text = f"{text}\n\n{interim_safety_net(place)}"
    dispatcher.utter_message(text=text, buttons=buttons(f"ask_{question}"))
    return events
