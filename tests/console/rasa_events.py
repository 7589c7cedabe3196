"""Realistic conversations written with the bot's own tracker store (no mocks of the DB).

The console must read exactly what the bot writes, so the tests write with the same store:
real ``rasa.shared.core.events`` on a real ``DialogueStateTracker`` saved by
``store.tracker_store.TriageTrackerStore`` (Rasa's ``SQLTrackerStore`` table and event JSON)
into the test database.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from store.tracker_store import TriageTrackerStore

DOMAIN = Domain.from_dict(
    {
        "version": "3.1",
        "intents": ["report_pressure", "inform_contractions", "greet", "report_bleeding"],
        "slots": {
            "symptoms": {"type": "list", "mappings": [{"type": "custom"}]},
            "symptoms_absent": {"type": "list", "mappings": [{"type": "custom"}]},
            "gestational_weeks": {"type": "float", "mappings": [{"type": "custom"}]},
            "contractions": {"type": "text", "mappings": [{"type": "custom"}]},
            "risk_factors": {"type": "list", "mappings": [{"type": "custom"}]},
            "bleeding_amount": {"type": "text", "mappings": [{"type": "custom"}]},
        },
    }
)

CONTRACTION_BUTTONS = [
    {"title": "Yes", "payload": '/inform_contractions{"contractions":"yes"}'},
    {"title": "No", "payload": '/inform_contractions{"contractions":"no"}'},
    {"title": "Not sure", "payload": '/inform_contractions{"contractions":"unsure"}'},
]


def store_for(db_url: str) -> TriageTrackerStore:
    """The bot's tracker store on the test database (a full URL goes in ``host``)."""
    return TriageTrackerStore(DOMAIN, host=db_url)


def user(
    text: str, intent: str, ts: float, entities: Iterable[dict] = (), confidence: float = 0.93
) -> UserUttered:
    intent_dict = {"name": intent, "confidence": confidence}
    entities = list(entities)
    return UserUttered(
        text,
        intent=intent_dict,
        entities=entities,
        parse_data={
            "text": text,
            "intent": intent_dict,
            "entities": entities,
            "intent_ranking": [intent_dict],
        },
        timestamp=ts,
        input_channel="rest",
    )


def bot(
    text: str, ts: float, buttons: list | None = None, triage: dict | None = None
) -> BotUttered:
    data: dict = {}
    if buttons:
        data["buttons"] = buttons
    if triage:
        data["custom"] = {"triage": triage}
    return BotUttered(text, data=data, timestamp=ts)


def triage(level: str, concerns: list[str], rule: str, text: str = "", source: str = "") -> dict:
    return {
        "level": level,
        "concerns": concerns,
        "reasons": [
            {"rule": rule, "text": text or f"Rule {rule} matched.", "source": source or "NICE NG25"}
        ],
    }


def save(db_url: str, sender_id: str, events: list[Event]) -> None:
    """Save one conversation (a new tracker, or the full event list of an existing one)."""
    store = store_for(db_url)
    tracker = DialogueStateTracker(sender_id, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    # a thread of its own: callers may already run an event loop (Playwright's sync API does)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, store.save(tracker)).result()
    store.engine.dispose()


def urgent_conversation(t0: float | None = None) -> list[Event]:
    """Pressure at 20 weeks, no contractions (button): urgent, cervical insufficiency (U1)."""
    t = time.time() - 600 if t0 is None else t0
    return [
        ActionExecuted("action_session_start", timestamp=t),
        SessionStarted(timestamp=t),
        ActionExecuted("action_listen", timestamp=t),
        user(
            "I'm 20 weeks and I feel a heavy pressure down below",
            "report_pressure",
            t + 1,
            entities=[
                {
                    "entity": "symptom",
                    "value": "vaginal_pressure",
                    "start": 34,
                    "end": 42,
                    "extractor": "ClinicalEntityExtractor",
                },
                {
                    "entity": "gestational_age",
                    "value": 20.0,
                    "start": 4,
                    "end": 12,
                    "extractor": "ClinicalEntityExtractor",
                },
            ],
        ),
        SlotSet("symptoms", ["vaginal_pressure"], timestamp=t + 1.1),
        SlotSet("gestational_weeks", 20.0, timestamp=t + 1.1),
        bot(
            "Are you having contractions (tightenings that come and go)?",
            t + 2,
            buttons=CONTRACTION_BUTTONS,
        ),
        ActionExecuted("action_listen", timestamp=t + 2.1),
        user('/inform_contractions{"contractions":"no"}', "inform_contractions", t + 10),
        SlotSet("contractions", "no", timestamp=t + 10.1),
        SlotSet("symptoms_absent", ["contractions"], timestamp=t + 10.1),
        SlotSet("risk_factors", ["cervical_surgery"], timestamp=t + 10.1),
        bot(
            "Call Riverside Maternity Triage now on 01632 960 111.",
            t + 11,
            triage=triage(
                "urgent",
                ["cervical_insufficiency"],
                "U1",
                "Vaginal pressure at 20 weeks without contractions.",
                "MSD Manual consumer page 'Cervical Insufficiency'",
            ),
        ),
        ActionExecuted("action_listen", timestamp=t + 11.1),
    ]


def simple_conversation(
    text: str,
    level: str | None,
    t0: float | None = None,
    concerns: list[str] | None = None,
    weeks: float | None = None,
    intent: str = "greet",
    rule: str = "R1",
) -> list[Event]:
    """One patient message and one bot reply, optionally carrying a decision at ``level``."""
    t = time.time() - 300 if t0 is None else t0
    events: list[Event] = [
        SessionStarted(timestamp=t),
        ActionExecuted("action_listen", timestamp=t),
        user(text, intent, t + 1),
    ]
    if weeks is not None:
        events.append(SlotSet("gestational_weeks", weeks, timestamp=t + 1.5))
    events.append(
        bot(
            f"Advice for {level or 'nothing'}.",
            t + 2,
            triage=triage(level, concerns or ["other_symptom"], rule) if level else None,
        )
    )
    return events


def raw_events(db_url: str, sender_id: str) -> list[dict]:
    """Read back what Rasa stored (for assertions)."""
    store = store_for(db_url)
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender_id).all()
        out = [json.loads(r.data) for r in rows]
    store.engine.dispose()
    return out
