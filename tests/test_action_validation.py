"""The compiled action-response validation accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import channels  # noqa: F401  (installs the compiled validation)
from rasa_patches import action_validation

VALID = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "symptoms", "value": ["bleeding"]}],
        "responses": [{"text": "hi", "custom": {"triage": {"level": "urgent"}}}],
    },
]
INVALID = [
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "name": 5}], "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
]


def test_installed():
    assert RemoteAction._validate_action_result is action_validation.validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_accepts_what_rasa_accepts(result):
    action = RemoteAction("action_x", None)
    assert action_validation._original(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_rejects_what_rasa_rejects(result):
    action = RemoteAction("action_x", None)
    with pytest.raises(ValidationError):
        action_validation._original(action, result)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(result)


def _every_event_type() -> list[dict]:
    from rasa.shared.core import events as e

    intent = {"name": "report_pressure", "confidence": 0.9}
    return [
        ev.as_dict()
        for ev in [
            e.UserUttered(
                "hi",
                intent=intent,
                entities=[{"entity": "symptom", "value": "bleeding", "start": 0, "end": 2}],
                parse_data={
                    "text": "hi",
                    "intent": intent,
                    "entities": [],
                    "intent_ranking": [intent],
                },
            ),
            e.ActionExecuted("action_triage", policy="RulePolicy", confidence=1.0),
            e.SlotSet("symptoms", ["bleeding"]),
            e.SlotSet("gestational_weeks", 20.5),
            e.SlotSet("x", None),
            e.BotUttered("advice", data={"custom": {"triage": {"level": "urgent"}}, "buttons": []}),
            e.ActiveLoop("triage_form"),
            e.ActiveLoop(None),
            e.FollowupAction("action_triage"),
            e.Restarted(),
            e.SessionStarted(),
            e.AllSlotsReset(),
            e.UserUtteranceReverted(),
            e.ActionReverted(),
            e.ConversationPaused(),
            e.ConversationResumed(),
            e.LoopInterrupted(True),
            e.ActionExecutionRejected("action_x"),
            e.StoryExported(),
            e.AgentUttered("x"),
            e.EntitiesAdded([{"entity": "symptom", "value": "bleeding"}]),
            e.ReminderScheduled(
                "remind", trigger_date_time=__import__("datetime").datetime(2030, 1, 1)
            ),
            e.ReminderCancelled(name="remind"),
        ]
    ]


def _mutations(event: dict) -> list[dict]:
    """Each field given a value of the wrong kind, the event name changed or removed."""
    out = [
        dict(event, event=7),
        dict(event, event=["slot"]),
        {k: v for k, v in event.items() if k != "event"},
        dict(event, event="not_an_event"),
        dict(event, timestamp="yesterday"),
        dict(event, metadata=[]),
    ]
    for key in event:
        if key != "event":
            for wrong in (12345, "text", [1], {"a": 1}, True):
                out.append(dict(event, **{key: wrong}))
    return out


def _agree(result) -> None:
    """The shortcut accepts exactly what the full schema (all of its oneOf) accepts."""
    action = RemoteAction("action_x", None)
    try:
        action_validation._VALIDATOR.full.validate(result)  # Rasa's schema, compiled, no shortcut
        rasa_accepts = True
    except ValidationError:
        rasa_accepts = False
    try:
        action._validate_action_result(result)
        ours_accepts = True
    except ValidationError:
        ours_accepts = False
    assert ours_accepts == rasa_accepts, result


def test_agrees_with_rasa_on_every_event_type_and_wrong_field():
    events = _every_event_type()
    assert len({ev["event"] for ev in events}) >= 20
    _agree({"events": events, "responses": [{"text": "x"}]})
    checked = 0
    for event in events:
        for mutated in _mutations(event):
            _agree({"events": [events[0], mutated], "responses": []})
            checked += 1
    assert checked > 300
    for bad in (
        {"events": [None]},
        {"events": [[]]},
        {"events": [{}]},
        {"responses": "x"},
        [],
        "x",
        {"events": events, "responses": [5]},
    ):
        _agree(bad)
