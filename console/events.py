"""Turning rows of Rasa's ``events`` table into what a nurse reads. Pure functions, no DB.

Why parse the JSON ourselves instead of rebuilding a Rasa ``DialogueStateTracker``: the
tracker needs the bot's domain (which may have changed since the conversation happened) and
keeps only the latest session; the console must show every session of every conversation as
it was, including slots the current domain no longer knows. The event layout read here is
Rasa 3.6's ``Event.as_dict()`` as stored by ``SQLTrackerStore`` (see docs/console.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from triage.decision import LEVEL_ORDER

LEVELS: tuple[str, ...] = LEVEL_ORDER  # least urgent first (triage/decision.py)
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS, start=1)}
LEVEL_LABELS: dict[str, str] = {
    "emergency": "Emergency",
    "urgent": "Urgent",
    "same_day": "Same day",
    "routine": "Routine",
    "self_care": "Self care",
}
#: Levels ranked at least this high raise a live alert on the queue page.
ALERT_RANK = LEVEL_RANK["urgent"]
#: Rank given to a level the console does not know: above "urgent", so that a new level added
#: to the bot is looked at by a person rather than sorted to the bottom.
UNKNOWN_LEVEL_RANK = LEVEL_RANK["urgent"]

FINDING_SLOTS = (
    "symptoms",
    "symptoms_absent",
    "gestational_weeks",
    "contractions",
    "risk_factors",
    "bleeding_amount",
)


def level_rank(level: str | None) -> int:
    if not level:
        return 0
    return LEVEL_RANK.get(level, UNKNOWN_LEVEL_RANK)


def level_label(level: str | None) -> str:
    if not level:
        return "No triage"
    return LEVEL_LABELS.get(level, level.replace("_", " ").capitalize())


@dataclass(frozen=True)
class EventRow:
    id: int
    type_name: str
    timestamp: float | None
    data: dict


def event_row(id: int, type_name: str, timestamp: float | None, data_text: str | None) -> EventRow:
    """One ``events`` row; unreadable JSON becomes an empty dict rather than a crash."""
    try:
        data = json.loads(data_text) if data_text else {}
    except ValueError:
        data = {}
    return EventRow(id, type_name, timestamp, data if isinstance(data, dict) else {})


@dataclass(frozen=True)
class Reason:
    rule: str
    text: str
    source: str


@dataclass(frozen=True)
class Triage:
    level: str
    concerns: tuple[str, ...]
    reasons: tuple[Reason, ...]

    @property
    def rank(self) -> int:
        return level_rank(self.level)


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v is not None)
    if value in (None, ""):
        return ()
    return (str(value),)


def triage_of(data: dict) -> Triage | None:
    """The ``custom.triage`` payload of a bot event, if it carries a decision."""
    custom = (data.get("data") or {}).get("custom") if isinstance(data.get("data"), dict) else None
    payload = custom.get("triage") if isinstance(custom, dict) else None
    if not isinstance(payload, dict) or not payload.get("level"):
        return None
    reasons = []
    for reason in payload.get("reasons") or ():
        if isinstance(reason, dict):
            reasons.append(
                Reason(
                    str(reason.get("rule", "")),
                    str(reason.get("text", "")),
                    str(reason.get("source", "")),
                )
            )
    return Triage(str(payload["level"]), _strs(payload.get("concerns")), tuple(reasons))


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    role: str | None


@dataclass
class Turn:
    """One line of the transcript: a patient message, a bot message or a session start."""

    event_id: int
    kind: str  # "user" | "bot" | "session"
    at: float | None
    text: str = ""
    pressed: str | None = None  # button title (or raw payload) for a button press
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[Entity, ...] = ()
    channel: str | None = None
    buttons: tuple[Button, ...] = ()
    triage: Triage | None = None


def dict_field(data: dict, key: str) -> dict:
    """``data[key]`` when it is a JSON object, else an empty dict (stored events vary)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _buttons(data: dict) -> tuple[Button, ...]:
    inner = dict_field(data, "data")
    found = []
    for button in inner.get("buttons") or ():
        if isinstance(button, dict):
            found.append(Button(str(button.get("title", "")), str(button.get("payload", ""))))
    return tuple(found)


def _user_turn(row: EventRow, last_buttons: tuple[Button, ...]) -> Turn:
    data = row.data
    text = str(data.get("text") or "")
    parse = dict_field(data, "parse_data")
    intent = dict_field(parse, "intent")
    entities = tuple(
        Entity(str(e.get("entity", "")), str(e.get("value", "")), e.get("role"))
        for e in parse.get("entities") or ()
        if isinstance(e, dict)
    )
    pressed = None
    if text.startswith("/"):
        pressed = next((b.title for b in last_buttons if b.payload == text), text)
    confidence = intent.get("confidence")
    return Turn(
        event_id=row.id,
        kind="user",
        at=row.timestamp,
        text=text,
        pressed=pressed,
        intent=intent.get("name"),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        entities=entities,
        channel=data.get("input_channel"),
    )


def build_turns(rows: Iterable[EventRow]) -> list[Turn]:
    """The transcript, oldest first. Action, slot and other internal events are left out."""
    turns: list[Turn] = []
    last_buttons: tuple[Button, ...] = ()
    for row in rows:
        if row.type_name == "user":
            turns.append(_user_turn(row, last_buttons))
        elif row.type_name == "bot":
            buttons = _buttons(row.data)
            if buttons:
                last_buttons = buttons
            turns.append(
                Turn(
                    event_id=row.id,
                    kind="bot",
                    at=row.timestamp,
                    text=str(row.data.get("text") or ""),
                    buttons=buttons,
                    triage=triage_of(row.data),
                )
            )
        elif row.type_name == "session_started":
            turns.append(Turn(event_id=row.id, kind="session", at=row.timestamp))
    return turns


@dataclass
class Findings:
    """What the bot extracted, from its slots: the latest value of each slot."""

    symptoms: tuple[str, ...] = ()
    symptoms_absent: tuple[str, ...] = ()
    gestational_weeks: float | None = None
    contractions: str | None = None
    risk_factors: tuple[str, ...] = ()
    bleeding_amount: str | None = None
    other: dict[str, Any] = field(default_factory=dict)


def _weeks(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def findings_from(rows: Iterable[EventRow], until_event_id: int | None = None) -> Findings:
    """Latest slot values, optionally only from events up to ``until_event_id``."""
    slots: dict[str, Any] = {}
    for row in rows:
        if until_event_id is not None and row.id > until_event_id:
            break
        if row.type_name == "slot" and isinstance(row.data.get("name"), str):
            slots[row.data["name"]] = row.data.get("value")
    other = {k: v for k, v in slots.items() if k not in FINDING_SLOTS and v not in (None, "", [])}
    contractions = slots.get("contractions")
    bleeding = slots.get("bleeding_amount")
    return Findings(
        symptoms=_strs(slots.get("symptoms")),
        symptoms_absent=_strs(slots.get("symptoms_absent")),
        gestational_weeks=_weeks(slots.get("gestational_weeks")),
        contractions=str(contractions) if contractions not in (None, "") else None,
        risk_factors=_strs(slots.get("risk_factors")),
        bleeding_amount=str(bleeding) if bleeding not in (None, "") else None,
        other=other,
    )


#: The questions of the bot's triage form (domain.yml, ``triage_form``), with the words the
#: case view uses for an answer still missing when the patient left.
TRIAGE_QUESTIONS: dict[str, str] = {
    "gestational_weeks": "how many weeks pregnant",
    "contractions": "whether she has contractions",
    "bleeding_amount": "how much she is bleeding",
}
#: ``Progress.state`` values: the bot gave its final decision, or it was still asking.
DECIDED = "decided"
ASKING = "asking"


@dataclass(frozen=True)
class Progress:
    """How far the triage got, from the slots of the last session in which it started.

    ``state`` is ``DECIDED`` when the bot gave its final decision (it sets ``triage_level``),
    ``ASKING`` when it had started asking (it records ``triage_floor`` with each question) but
    gave none, and None when the triage never started. Slots are read per session because a new
    session starts with empty slots (domain.yml: ``carry_over_slots_to_new_session: false``).
    """

    state: str | None
    floor: str | None  # the level that holds whatever the missing answers were
    unknown: tuple[str, ...]  # TRIAGE_QUESTIONS keys still unanswered
    asking: str | None  # the question the patient was on (``requested_slot``)
    declined_weeks: bool  # she said she would rather not give the weeks


def _level_value(value: Any) -> str | None:
    return value if isinstance(value, str) and value in LEVEL_RANK else None


def triage_progress(rows: Iterable[EventRow]) -> Progress:
    current: dict[str, Any] = {}
    started: dict[str, Any] = {}

    def began(slots: dict[str, Any]) -> bool:
        return bool(
            _level_value(slots.get("triage_level")) or _level_value(slots.get("triage_floor"))
        )

    for row in rows:
        if row.type_name == "session_started":
            if began(current):
                started = current
            current = {}
        elif row.type_name == "slot" and isinstance(row.data.get("name"), str):
            current[row.data["name"]] = row.data.get("value")
    slots = current if began(current) else started
    if _level_value(slots.get("triage_level")):
        state: str | None = DECIDED
    elif _level_value(slots.get("triage_floor")):
        state = ASKING
    else:
        state = None
    bleeding = "bleeding" in (slots.get("symptoms") or [])
    unknown = tuple(
        name
        for name in TRIAGE_QUESTIONS
        if slots.get(name) in (None, "", []) and (bleeding or name != "bleeding_amount")
    )
    asking = slots.get("requested_slot")
    return Progress(
        state=state,
        floor=_level_value(slots.get("triage_floor")),
        unknown=unknown if state == ASKING else (),
        asking=asking if state == ASKING and asking in TRIAGE_QUESTIONS else None,
        declined_weeks=bool(slots.get("gestational_declined")),
    )


@dataclass(frozen=True)
class Summary:
    """One queue row, recomputed from all of a conversation's events."""

    sender_id: str
    first_at: float | None
    last_at: float | None
    last_event_id: int
    last_message_event_id: int | None
    user_messages: int
    bot_messages: int
    level: str | None
    level_rank: int
    concerns: tuple[str, ...]
    gestational_weeks: float | None
    search_text: str
    alert_event_id: int | None  # the latest decision at urgent or above: a new one alerts
    triage_state: str | None = None  # Progress.state: DECIDED, ASKING or None
    symptoms: tuple[str, ...] = ()  # every symptom code the bot recorded (dashboard counts)
    level_at: float | None = None  # when the conversation first reached ``level``


def _latest_slot(rows: list[EventRow], name: str) -> str | None:
    value = None
    for row in rows:
        if row.type_name == "slot" and row.data.get("name") == name:
            value = row.data.get("value")
    return value if isinstance(value, str) and value in LEVEL_RANK else None


def _slot_reached(rows: list[EventRow], name: str, value: str | None) -> float | None:
    """When slot ``name`` first took ``value`` (None if it never did)."""
    if value is None:
        return None
    for row in rows:
        if (
            row.type_name == "slot"
            and row.data.get("name") == name
            and row.data.get("value") == value
        ):
            return row.timestamp
    return None


def _all_slot_values(rows: list[EventRow], name: str) -> tuple[str, ...]:
    """Every value a list slot took over the conversation, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        if row.type_name == "slot" and row.data.get("name") == name:
            for value in _strs(row.data.get("value")):
                if 0 < len(value) <= 64:
                    seen.setdefault(value, None)
    return tuple(seen)


def summarize(sender_id: str, rows: list[EventRow]) -> Summary:
    """Highest level, all concerns, message times and counts, and the text to search."""
    message_times = [
        r.timestamp for r in rows if r.type_name in ("user", "bot") and r.timestamp is not None
    ]
    message_ids = [r.id for r in rows if r.type_name in ("user", "bot")]
    top: Triage | None = None
    top_at: float | None = None
    alert_event_id: int | None = None
    concerns: list[str] = []
    user_texts: list[str] = []
    for row in rows:
        if row.type_name == "bot":
            decision = triage_of(row.data)
            if decision:
                if top is None or decision.rank > top.rank:
                    top, top_at = decision, row.timestamp
                if decision.rank >= ALERT_RANK:
                    alert_event_id = row.id
                concerns.extend(c for c in decision.concerns if c not in concerns)
        elif row.type_name == "user":
            text = str(row.data.get("text") or "")
            if not text.startswith("/"):  # a button payload is not the patient's words
                user_texts.append(text)
    findings = findings_from(rows)
    level = top.level if top else None
    level_at = top_at
    if level is None:
        # No decision yet (the patient left during the questions): the floor the bot recorded,
        # the level that holds whatever her missing answers were, so she is not at the bottom.
        level = _latest_slot(rows, "triage_floor")
        level_at = _slot_reached(rows, "triage_floor", level)
    return Summary(
        sender_id=sender_id,
        first_at=min(message_times) if message_times else None,
        last_at=max(message_times) if message_times else None,
        last_event_id=max((r.id for r in rows), default=0),
        last_message_event_id=max(message_ids) if message_ids else None,
        user_messages=sum(1 for r in rows if r.type_name == "user"),
        bot_messages=sum(1 for r in rows if r.type_name == "bot"),
        level=level,
        level_rank=level_rank(level),
        concerns=tuple(concerns),
        gestational_weeks=findings.gestational_weeks,
        search_text="\n".join([sender_id, *user_texts]).lower(),
        alert_event_id=alert_event_id,
        triage_state=triage_progress(rows).state,
        symptoms=_all_slot_values(rows, "symptoms"),
        level_at=level_at,
    )
