"""The Rasa actions, run the way the action server runs them: rasa_sdk's Tracker and
CollectingDispatcher, asserting on the returned events and the messages sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import apply_latest_message
from actions.findings import ValidateTriageForm
from actions.replies import ActionFallback, ActionReply
from actions.triage_action import ActionTriage
from triage import Findings, assess, load_clinic

DATA = Path(__file__).parent / "data"
CLINIC = load_clinic()


def tracker_from_fixture(name: str, **changes) -> Tracker:
    state = json.loads((DATA / name).read_text())
    for key, value in changes.items():
        if key == "slots":
            state["slots"].update(value)
        else:
            state[key] = value
    return Tracker.from_dict(state)


def tracker(slots=None, intent="report_pressure", entities=(), active_loop=None, events=()):
    state = {
        "sender_id": "t",
        "slots": dict(slots or {}),
        "latest_message": {
            "text": "x",
            "intent": {"name": intent, "confidence": 0.9},
            "entities": list(entities),
        },
        "events": list(events),
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }
    return Tracker.from_dict(state)


async def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


def triage_payload(messages):
    payloads = [m["custom"]["triage"] for m in messages if m.get("custom")]
    assert len(payloads) == 1, messages
    return payloads[0]


async def test_triage_action_central_rule_is_urgent_with_the_safety_net():
    messages, events = await run(ActionTriage(), tracker_from_fixture("tracker_ci_form_done.json"))
    payload = triage_payload(messages)
    assert payload["level"] == "urgent"
    assert "cervical_insufficiency" in payload["concerns"]
    assert any(reason["source"] for reason in payload["reasons"])
    text = messages[0]["text"]
    assert CLINIC.maternity_triage.phone in text and CLINIC.emergency_number in text
    assert SlotSet("triage_level", "urgent") in events


async def test_triage_action_text_and_payload_travel_in_one_message():
    messages, _ = await run(ActionTriage(), tracker_from_fixture("tracker_ci_form_done.json"))
    assert len(messages) == 1 and messages[0]["text"] and messages[0]["custom"]


async def test_triage_action_red_flag_is_emergency():
    messages, _ = await run(
        ActionTriage(),
        tracker({"symptoms": ["fainting", "vaginal_pressure"]}, intent="report_red_flag"),
    )
    assert triage_payload(messages)["level"] == "emergency"


async def test_triage_action_unknown_answers_get_the_safe_more_urgent_answer():
    slots = {"symptoms": ["bleeding"], "gestational_declined": True, "contractions": "declined"}
    payload = triage_payload((await run(ActionTriage(), tracker(slots, intent="decline")))[0])
    assert payload["level"] == "urgent"
    assert {"cervical_insufficiency", "preterm_labour"} <= set(payload["concerns"])


async def test_triage_action_weeks_alone_asks_for_symptoms_with_the_safety_net():
    messages, events = await run(
        ActionTriage(), tracker({"gestational_weeks": 20.0}, intent="inform_gestational_age")
    )
    assert events == [] and not messages[0].get("custom")
    assert CLINIC.emergency_number in messages[0]["text"]
    assert CLINIC.maternity_triage.phone in messages[0]["text"]


async def test_triage_action_survives_a_corrupt_slot():
    slots = {"symptoms": ["bleeding"], "contractions": "banana", "gestational_weeks": 20.0}
    payload = triage_payload((await run(ActionTriage(), tracker(slots)))[0])
    assert payload["level"] == "urgent"


async def test_the_latest_message_s_findings_are_applied_by_the_answering_action():
    entities = [
        {"entity": "symptom", "value": "vaginal_pressure"},
        {"entity": "symptom", "value": "contractions", "role": "negated"},
        {"entity": "gestational_age", "value": 20.0},
    ]
    t = tracker(intent="report_pressure", entities=entities)
    events = apply_latest_message(t)
    assert SlotSet("symptoms", ["vaginal_pressure"]) in events
    assert SlotSet("symptoms_absent", ["contractions"]) in events
    assert SlotSet("contractions", "no") in events
    assert SlotSet("gestational_weeks", 20.0) in events
    assert t.get_slot("gestational_weeks") == 20.0  # the action decides on them
    # action_triage, answering this message, decides with them and returns them to be stored.
    messages, events = await run(
        ActionTriage(), tracker(intent="report_pressure", entities=entities)
    )
    assert SlotSet("symptoms", ["vaginal_pressure"]) in events
    assert triage_payload(messages)["level"] == "urgent"


async def test_findings_are_applied_once_per_message():
    """After the form has applied them (it ran this turn), action_triage does not again."""
    entities = [{"entity": "symptom", "value": "bleeding"}]
    done = [
        {"event": "user", "text": "x"},
        {"event": "slot", "name": "symptoms", "value": ["bleeding"]},
        {"event": "action", "name": "triage_form"},
    ]
    t = tracker(
        {"symptoms": ["bleeding"]}, intent="report_bleeding", entities=entities, events=done
    )
    assert apply_latest_message(t) == []
    fresh = tracker(intent="report_bleeding", entities=entities, events=done[:1])
    assert apply_latest_message(fresh) == [SlotSet("symptoms", ["bleeding"])]
    # The form's validation: Rasa's tracker for it ends with the form's own ActionExecuted
    # (rasa/core/actions/forms.py _temporary_tracker), and the findings are still applied.
    validating = [{"event": "user", "text": "x"}, {"event": "action", "name": "triage_form"}]
    _, events = await run(
        ValidateTriageForm(),
        tracker(intent="report_bleeding", entities=entities, events=validating),
    )
    assert SlotSet("symptoms", ["bleeding"]) in events


async def test_a_form_answer_is_read_against_the_question():
    t = tracker(
        {"symptoms": ["bleeding"], "requested_slot": "contractions"},
        intent="unsure",
        active_loop="triage_form",
    )
    assert apply_latest_message(t) == [SlotSet("contractions", "unsure")]


async def test_small_talk_and_the_fallback_keep_the_findings_of_their_message():
    entities = [{"entity": "symptom", "value": "bleeding"}]
    _, events = await run(ActionReply(), tracker(intent="ask_what_is_ci", entities=entities))
    assert SlotSet("symptoms", ["bleeding"]) in events
    _, events = await run(ActionFallback(), tracker(intent="nlu_fallback", entities=entities))
    assert SlotSet("symptoms", ["bleeding"]) in events


async def test_validate_form_asks_weeks_first_then_contractions():
    messages, events = await run(ValidateTriageForm(), tracker({"symptoms": ["vaginal_pressure"]}))
    assert events[-1] == SlotSet("requested_slot", "gestational_weeks")
    assert "How many weeks pregnant are you?" in messages[-1]["text"]  # asked here, one call
    messages, events = await run(
        ValidateTriageForm(), tracker({"symptoms": ["vaginal_pressure"], "gestational_weeks": 20.0})
    )
    assert events[-1] == SlotSet("requested_slot", "contractions")
    assert messages[-1]["buttons"]


async def test_how_much_blood_is_asked_last_once_the_advice_was_given():
    """Bleeding at 22 weeks, no contractions: urgent whatever the amount; "heavy" would make it
    an emergency, so the amount is asked, after the advice, with the heavy signs in the question
    and as a button."""
    slots = {"symptoms": ["bleeding"], "gestational_weeks": 22.0, "contractions": "no"}
    messages, events = await run(ValidateTriageForm(), tracker(slots, intent="report_bleeding"))
    assert triage_payload(messages)["level"] == "urgent"
    assert events[-1] == SlotSet("requested_slot", "bleeding_amount")
    question = messages[-1]
    assert "How much are you bleeding?" in question["text"]
    assert CLINIC.emergency_number in question["text"]
    payloads = [b["payload"] for b in question["buttons"]]
    assert '/report_bleeding{"bleeding_amount": "heavy"}' in payloads and "/unsure" in payloads


@pytest.mark.parametrize(
    "answer,intent,amount",
    [
        ({"entity": "bleeding_amount", "value": "heavy"}, "report_bleeding", "heavy"),
        (
            {"entity": "bleeding_amount", "value": "heavy", "role": "answer"},
            "affirm",
            "heavy",
        ),
        ({"entity": "bleeding_amount", "value": "light", "role": "answer"}, "deny", "light"),
        (None, "unsure", "unsure"),
    ],
)
async def test_the_amount_answer_ends_the_question(answer, intent, amount):
    slots = {
        "symptoms": ["bleeding"],
        "gestational_weeks": 22.0,
        "contractions": "no",
        "requested_slot": "bleeding_amount",
        "shown_level": "urgent",
        "advised_level": "urgent",
    }
    form_ran = [{"event": "user", "text": "x"}, {"event": "action", "name": "triage_form"}]
    messages, events = await run(
        ValidateTriageForm(),
        tracker(
            slots,
            intent=intent,
            entities=[answer] if answer else [],
            active_loop="triage_form",
            events=form_ran,
        ),
    )
    assert SlotSet("bleeding_amount", amount) in events
    assert events[-1] == SlotSet("requested_slot", None) and not messages  # the form is done
    if amount == "heavy":
        assert SlotSet("symptoms", ["bleeding", "heavy_bleeding"]) in events


def shown(decision, provisional=True):
    payload = decision.to_payload()
    if provisional:
        payload["provisional"] = True
    return {"event": "bot", "text": "advice", "data": {"custom": {"triage": payload}}}


async def test_the_decision_as_it_stands_comes_before_the_amount_question_unless_just_shown():
    """Bleeding, weeks unknown: the first reply assumed the urgent case. "10 weeks" makes it
    same day at the early pregnancy unit: that decision is given before "how much?", so a
    patient who stops answering leaves with the right advice, not the assumption."""
    slots = {"symptoms": ["bleeding"], "gestational_weeks": 10.0, "shown_level": "urgent"}
    assumed = assess(Findings(present=frozenset({"bleeding"})))
    messages, _ = await run(
        ValidateTriageForm(),
        tracker(slots, intent="inform_gestational_age", events=[shown(assumed)]),
    )
    payload = triage_payload(messages)
    assert payload["level"] == "same_day" and payload["provisional"] is True
    assert "How much are you bleeding?" in messages[-1]["text"]
    # Asked again after it was just shown (a question in between): not repeated.
    now = assess(Findings(present=frozenset({"bleeding"}), gestational_weeks=10.0))
    messages, _ = await run(
        ValidateTriageForm(), tracker(slots, intent="thanks", events=[shown(now)])
    )
    assert not any(m.get("custom") for m in messages)
    assert "How much are you bleeding?" in messages[-1]["text"]


async def test_a_final_decision_just_shown_is_not_repeated_word_for_word():
    slots = {
        "symptoms": ["bleeding"],
        "gestational_weeks": 22.0,
        "contractions": "no",
        "bleeding_amount": "light",
    }
    decision = assess(
        Findings.from_dict(
            {
                "present": ["bleeding"],
                "gestational_weeks": 22.0,
                "contractions": "no",
                "bleeding_amount": "light",
            }
        )
    )
    messages, _ = await run(ActionTriage(), tracker(slots, intent="deny", events=[shown(decision)]))
    payload = triage_payload(messages)
    assert payload["level"] == "urgent" and "provisional" not in payload
    text = messages[0]["text"]
    assert text.startswith("Thank you. That does not change my advice above")
    assert "gets heavier" in text and CLINIC.emergency_number in text
    assert CLINIC.maternity_triage.phone in text
    # Anything new in the decision, and the whole advice is given.
    messages, _ = await run(ActionTriage(), tracker(slots, intent="deny"))
    assert "does not change my advice" not in messages[0]["text"]


async def test_an_emergency_is_always_given_in_full():
    slots = {"symptoms": ["bleeding", "heavy_bleeding"], "bleeding_amount": "heavy"}
    decision = assess(
        Findings.from_dict({"present": ["bleeding", "heavy_bleeding"], "bleeding_amount": "heavy"})
    )
    messages, _ = await run(
        ActionTriage(), tracker(slots, intent="report_red_flag", events=[shown(decision, False)])
    )
    assert messages[0]["text"].startswith(f"Call {CLINIC.emergency_number} now")


async def test_an_amount_the_classifier_could_not_place_is_no_misunderstanding():
    """ "loads" to the amount question may be an nlu_fallback for the classifier; the fallback
    then says nothing (the form goes on to the decision): it was understood."""
    slots = {
        "symptoms": ["bleeding"],
        "gestational_weeks": 22.0,
        "requested_slot": "bleeding_amount",
    }
    said = [{"entity": "bleeding_amount", "value": "heavy", "role": "answer"}]
    messages, events = await run(
        ActionFallback(),
        tracker(slots, intent="nlu_fallback", entities=said, active_loop="triage_form"),
    )
    assert not messages and SlotSet("bleeding_amount", "heavy") in events
    # With nothing in it, the fallback still answers with the safety net and the red-flag check.
    messages, events = await run(
        ActionFallback(), tracker(slots, intent="nlu_fallback", active_loop="triage_form")
    )
    assert CLINIC.emergency_number in messages[-1]["text"] and messages[-1]["buttons"]
    assert SlotSet("bleeding_amount", "unsure") in events


async def test_an_answer_with_nothing_in_it_is_left_for_rasa_to_reject():
    """The form asked; the reply names no finding: only the requested slot comes back (Rasa
    rejects the form's turn and the unhappy-path rules answer), and nothing is asked."""
    asked = {"symptoms": ["bleeding"], "requested_slot": "gestational_weeks"}
    form_ran = [{"event": "user", "text": "x"}, {"event": "action", "name": "triage_form"}]
    messages, events = await run(
        ValidateTriageForm(),
        tracker(asked, intent="ask_what_is_ci", active_loop="triage_form", events=form_ran),
    )
    assert events == [SlotSet("requested_slot", "gestational_weeks")] and not messages
    # After action_reply answered it, the form comes back and asks again.
    answered = [*form_ran[:1], {"event": "action", "name": "action_reply"}, form_ran[1]]
    messages, events = await run(
        ValidateTriageForm(),
        tracker(asked, intent="ask_what_is_ci", active_loop="triage_form", events=answered),
    )
    assert "How many weeks pregnant are you?" in messages[-1]["text"]


async def test_validate_form_stops_asking_on_a_red_flag():
    messages, events = await run(
        ValidateTriageForm(), tracker({"symptoms": ["vaginal_pressure", "cord_felt"]})
    )
    assert events[-1] == SlotSet("requested_slot", None) and not messages


async def test_validate_form_returns_the_findings_of_the_answer():
    """'I'd rather not say' to the weeks question is an answer: the form goes on."""
    _, events = await run(
        ValidateTriageForm(),
        tracker(
            {"symptoms": ["bleeding"], "requested_slot": "gestational_weeks"},
            intent="decline",
            active_loop="triage_form",
        ),
    )
    assert SlotSet("gestational_declined", True) in events
    assert events[-1] == SlotSet("requested_slot", "bleeding_amount")


@pytest.mark.parametrize(
    "intent, words",
    [
        ("ask_cerclage", "stitch"),
        ("ask_what_is_ci", "cervix"),
        ("ask_ultrasound", "scan"),
        ("ask_recurrence", "again"),
        ("ask_ci_contractions", "without contractions"),
        ("ask_causes", "cone biopsy"),
        ("bot_challenge", "not a person"),
        ("out_of_scope", "only help"),
    ],
)
async def test_replies_answer_and_carry_the_safety_net(intent, words):
    messages, _ = await run(ActionReply(), tracker(intent=intent))
    text = messages[0]["text"]
    assert words in text
    assert CLINIC.emergency_number in text and CLINIC.maternity_triage.phone in text


async def test_ask_human_gives_the_number_to_call():
    messages, _ = await run(ActionReply(), tracker(intent="ask_human"))
    assert CLINIC.maternity_triage.phone in messages[0]["text"]


async def test_fallback_carries_the_safety_net():
    messages, _ = await run(ActionFallback(), tracker(intent="nlu_fallback"))
    assert CLINIC.emergency_number in messages[0]["text"]
    assert CLINIC.maternity_triage.phone in messages[0]["text"]


# -- advice at the floor, before any question (issue: advice comes first) --------------------


async def test_question_after_an_urgent_floor_comes_after_the_advice():
    """Clear fluid at 24 weeks: urgent whatever the contractions answer. The first reply is the
    advice with a provisional payload, then the question."""
    slots = {"symptoms": ["fluid_leak"], "gestational_weeks": 24.0}
    messages, events = await run(ValidateTriageForm(), tracker(slots, intent="report_fluid_leak"))
    payload = triage_payload(messages)
    assert payload["level"] == "urgent" and payload["provisional"] is True
    assert messages[0]["custom"] and CLINIC.maternity_triage.phone in messages[0]["text"]
    assert messages[-1]["buttons"], "the question comes last, with its buttons"
    assert SlotSet("advised_level", "urgent") in events
    assert SlotSet("triage_floor", "urgent") in events


async def test_a_same_day_problem_gets_its_advice_before_the_question():
    """Burning when passing urine, weeks not said: same day whatever the answer. A patient who
    leaves after this message has been told where to go and by when, with the safety net."""
    slots = {"symptoms": ["burning_urination"]}
    said = [{"entity": "symptom", "value": "burning_urination"}]
    messages, events = await run(
        ValidateTriageForm(), tracker(slots, intent="report_other_symptom", entities=said)
    )
    payload = triage_payload(messages)
    assert payload["level"] == "same_day" and payload["provisional"] is True
    assert CLINIC.emergency_number in messages[0]["text"]
    assert "How many weeks pregnant are you?" in messages[-1]["text"]
    assert SlotSet("triage_floor", "same_day") in events
    titles = [b["title"] for b in messages[-1]["buttons"]]
    assert titles[:4] == ["Under 13 weeks", "13 to 27 weeks", "28 to 36 weeks", "37 weeks or more"]


async def test_once_the_advice_was_shown_the_question_carries_the_interim_safety_net():
    slots = {"symptoms": ["burning_urination"], "shown_level": "same_day"}
    said = [{"entity": "symptom", "value": "burning_urination"}]
    messages, _ = await run(
        ValidateTriageForm(), tracker(slots, intent="report_other_symptom", entities=said)
    )
    assert not any(m.get("custom") for m in messages) and len(messages) == 1
    text = messages[0]["text"]
    assert "How many weeks pregnant are you?" in text
    assert CLINIC.maternity_triage.phone in text and CLINIC.emergency_number in text


async def test_the_floor_is_advised_once_not_before_every_question():
    slots = {
        "symptoms": ["fluid_leak"],
        "gestational_weeks": 24.0,
        "advised_level": "urgent",
        "shown_level": "urgent",
    }
    messages, _ = await run(ValidateTriageForm(), tracker(slots))
    assert len(messages) == 1 and not messages[0].get("custom")


async def test_unknown_weeks_get_the_assumed_urgent_advice_which_an_answer_may_change():
    """Spotting, weeks not said: urgent if 13 weeks or more, same day before. The patient who
    leaves now has been told to call maternity triage; the advice holds only at same day, so
    "8 weeks" may still lower it to the early pregnancy unit."""
    slots = {"symptoms": ["bleeding"]}
    messages, events = await run(ValidateTriageForm(), tracker(slots))
    payload = triage_payload(messages)
    assert payload["level"] == "urgent" and payload["provisional"] is True
    assert payload["floor"] == "same_day"
    assert "I have to assume the more urgent case" in messages[0]["text"]
    assert SlotSet("advised_level", "same_day") in events
    assert SlotSet("shown_level", "urgent") in events
    assert SlotSet("triage_floor", "same_day") in events
    later = {
        "symptoms": ["bleeding"],
        "gestational_weeks": 8.0,
        "contractions": "unknown",
        **{"advised_level": "same_day", "shown_level": "urgent"},
    }
    messages, _ = await run(ActionTriage(), tracker(later, intent="inform_gestational_age"))
    assert triage_payload(messages)["level"] == "same_day"


async def test_later_answers_never_lower_the_advice():
    """Urgent advice was given; a correction to 10 weeks would make it same day: it stays."""
    slots = {
        "symptoms": ["bleeding"],
        "gestational_weeks": 10.0,
        "contractions": "no",
        "advised_level": "urgent",
    }
    messages, events = await run(ActionTriage(), tracker(slots, intent="inform_gestational_age"))
    payload = triage_payload(messages)
    assert payload["level"] == "urgent" and payload["reasons"][0]["rule"] == "H1"
    assert "provisional" not in payload
    assert SlotSet("triage_level", "urgent") in events


@pytest.mark.parametrize("intent", ["goodbye", "deny", "decline", "nlu_fallback"])
async def test_no_reassurance_from_what_was_not_understood(intent):
    """'No warning signs, nothing to do' only after the patient said she has none."""
    messages, events = await run(ActionTriage(), tracker({}, intent=intent))
    assert not any(m.get("custom") for m in messages)
    text = messages[0]["text"]
    assert "did not find any warning signs" not in text
    assert CLINIC.emergency_number in text and CLINIC.maternity_triage.phone in text
    assert events == []


async def test_a_clear_no_symptoms_gets_self_care():
    messages, _ = await run(ActionTriage(), tracker({}, intent="report_no_symptoms"))
    assert triage_payload(messages)["level"] == "self_care"


async def test_an_unsure_no_symptoms_is_not_taken_as_reassurance():
    state = tracker({}, intent="report_no_symptoms")
    state.latest_message["intent"]["confidence"] = 0.4
    messages, _ = await run(ActionTriage(), state)
    assert not any(m.get("custom") for m in messages)


async def test_a_problem_the_bot_cannot_place_gets_urgent_advice():
    """report_other_symptom with no symptom the patterns know: call maternity triage now."""
    state = tracker({}, intent="report_other_symptom")
    assert SlotSet("symptoms", ["unrecognised_symptom"]) in apply_latest_message(state)
    state = tracker({"symptoms": ["unrecognised_symptom"]}, intent="report_other_symptom")
    messages, _ = await run(ActionTriage(), state)
    payload = triage_payload(messages)
    assert payload["level"] == "urgent" and "unrecognised_problem" in payload["concerns"]


async def test_on_behalf_emergency_is_worded_for_the_helper():
    slots = {"symptoms": ["fainting"], "gestational_weeks": 25.0, "on_behalf": True}
    messages, _ = await run(ActionTriage(), tracker(slots, intent="report_red_flag"))
    assert "Tell them she is pregnant" in messages[0]["text"]
    assert "recovery position" in messages[0]["text"]


async def test_extract_findings_keeps_a_stopped_symptom():
    entities = [{"entity": "symptom", "value": "bleeding", "role": "resolved"}]
    events = apply_latest_message(tracker({}, intent="report_bleeding", entities=entities))
    assert SlotSet("symptoms", ["bleeding"]) in events
    assert SlotSet("symptoms_resolved", ["bleeding"]) in events


async def test_not_understood_asks_the_life_threatening_signs_with_quick_replies():
    """A message the bot did not understand may be an emergency in new words: the reply asks
    about the red flags (NHS Pathways asks them first), each a button the patient can press."""
    messages, _ = await run(ActionFallback(), tracker({}, intent="nlu_fallback"))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Chest pain or hard to breathe" in titles and titles[-1] == "None of these"
    payload = next(b["payload"] for b in messages[0]["buttons"] if b["title"] == "A fit")
    assert payload == '/report_red_flag{"symptom": "seizure"}'
    from actions.slot_updates import slot_updates

    pressed = slot_updates({}, "report_red_flag", [{"entity": "symptom", "value": "seizure"}])
    assert pressed["symptoms"] == ["seizure"]
