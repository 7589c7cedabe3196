"""What every action needs: the clinic config, the latest message's findings applied once
(actions/findings.py says why the answering action applies them), the findings from the
tracker, and one way to send a reply that always carries the safety net and, when it decides,
the triage payload."""

from __future__ import annotations

import functools
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from common.log_context import get_logger
from triage import Clinic, Decision, Findings, Level, load_clinic, render_advice
from triage.advice import advice_stands

from .slot_updates import FINDINGS_SLOTS, slot_updates

logger = get_logger(__name__)


@functools.lru_cache(maxsize=1)
def clinic() -> Clinic:
    """clinic.yml is read once per action-server process (restart to apply edits)."""
    return load_clinic()


def findings_from_tracker(tracker: Tracker) -> Findings:
    """Builds Findings from the slots; a corrupt slot value is dropped, never fatal, so the
    patient still gets advice (the missing value is then treated as unknown, the safe side)."""
    slot = tracker.get_slot
    values: dict[str, Any] = {
        "present": slot("symptoms") or [],
        "absent": slot("symptoms_absent") or [],
        "contractions": slot("contractions") or "unknown",
        "gestational_weeks": slot("gestational_weeks"),
        "gestational_declined": bool(slot("gestational_declined")),
        "risk_factors": slot("risk_factors") or [],
        "bleeding_amount": slot("bleeding_amount"),
        "resolved": slot("symptoms_resolved") or [],
    }
    try:
        return Findings.from_dict(values)
    except ValueError:
        logger.warning("Invalid findings slot value; treating answers as unknown")
        return Findings(
            present=values["present"],
            absent=values["absent"],
            risk_factors=values["risk_factors"],
            resolved=values["resolved"],
        )


def _level_slot(tracker: Tracker, name: str) -> Level | None:
    try:
        return Level(tracker.get_slot(name))
    except ValueError:
        return None


def advised_level(tracker: Tracker) -> Level | None:
    """The level no later answer may lower: the most urgent firm advice already given."""
    return _level_slot(tracker, "advised_level")


def shown_level(tracker: Tracker) -> Level | None:
    """The most urgent level any reply of this conversation has shown (firm or provisional)."""
    return _level_slot(tracker, "shown_level")


def last_shown_decision(tracker: Tracker) -> Decision | None:
    """The decision of the latest reply that carried one (provisional or final), or None."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom")
        payload = custom.get("triage") if isinstance(custom, dict) else None
        if isinstance(payload, dict):
            try:
                return Decision.from_payload(payload)
            except (KeyError, TypeError, ValueError):
                return None
    return None


def utter_decision(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    decision: Decision,
    *,
    provisional: bool = False,
    holds: Level | None = None,
    findings: Findings | None = None,
) -> list[dict[str, Any]]:
    """One message with the advice text and the machine-readable decision together.

    ``provisional`` marks advice given while questions remain (the payload says so). ``holds``
    is the level no answer can lower (the floor); by default the decision's own level. Advice
    above its floor assumed the more urgent answer to a question not yet answered, and says so.
    Returns the slot events that record what was shown and what holds.
    """
    holds = decision.level if holds is None else holds
    findings = findings_from_tracker(tracker) if findings is None else findings
    if (
        not provisional
        and decision.level < Level.EMERGENCY
        and last_shown_decision(tracker) == decision
    ):
        # The advice just shown, word for word: said again it would bury the one line she
        # needs. The payload still records the final decision.
        text = advice_stands(clinic(), findings)
    else:
        text = render_advice(
            decision,
            clinic(),
            findings,
            on_behalf=bool(tracker.get_slot("on_behalf")),
            provisional=provisional,
            firm=holds >= decision.level,
        )
    payload = decision.to_payload()
    if provisional:
        payload["provisional"] = True
        payload["floor"] = holds.value
    dispatcher.utter_message(text=text, json_message={"triage": payload})
    firm, shown = advised_level(tracker), shown_level(tracker)
    return [
        SlotSet("advised_level", (holds if firm is None else max(holds, firm)).value),
        SlotSet(
            "shown_level", (decision.level if shown is None else max(decision.level, shown)).value
        ),
    ]


#: The actions that apply the latest user message's findings (the form through its validation).
#: Once one of them has run in a turn, a later one in the same turn (action_triage after the
#: form completes) does not apply them again.
APPLIED_BY = frozenset({"triage_form", "action_triage", "action_reply", "action_fallback"})


def events_since_last_user_message(tracker: Tracker) -> List[Dict[str, Any]]:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return events


def apply_latest_message(tracker: Tracker, *, in_form: bool = False) -> List[Dict[str, Any]]:
    """The findings of the latest user message as SlotSet events, also applied to
    ``tracker.slots`` so the calling action decides on them; nothing when an action of this
    turn has applied them already. ``in_form``: called by the form's validation, whose tracker
    Rasa ends with the form's own ``ActionExecuted`` before the call."""
    done = APPLIED_BY - {"triage_form"} if in_form else APPLIED_BY
    if any(
        event.get("event") == "action" and event.get("name") in done
        for event in events_since_last_user_message(tracker)
    ):
        return []
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    updates = slot_updates(
        {name: tracker.get_slot(name) for name in FINDINGS_SLOTS},
        intent.get("name"),
        message.get("entities") or [],
        tracker.get_slot("requested_slot") if tracker.active_loop_name else None,
        answer_intent=intent.get("classifier_intent"),
    )
    tracker.slots.update(updates)
    return [SlotSet(name, value) for name, value in updates.items()]
