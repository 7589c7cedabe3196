"""What every action needs: the clinic config, the findings from the tracker, and one way to
send a reply that always carries the safety net and, when it decides, the triage payload."""

from __future__ import annotations

import functools
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from triage import Clinic, Decision, Findings, load_clinic

logger = logging.getLogger(__name__)


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
    }
    try:
        return Findings.from_dict(values)
    except ValueError:
        logger.warning("Invalid findings slot value; treating answers as unknown")
        return Findings(
            present=values["present"], absent=values["absent"], risk_factors=values["risk_factors"]
        )


def utter_decision(dispatcher: CollectingDispatcher, decision: Decision, text: str) -> None:
    """One message with the advice text and the machine-readable decision together."""
    dispatcher.utter_message(text=text, json_message={"triage": decision.to_payload()})
