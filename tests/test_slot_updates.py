"""How one message (intent + entities) updates the findings slots: actions/slot_updates.py."""

from __future__ import annotations

import pytest

from actions.slot_updates import slot_updates


def sym(code, role=None):
    entity = {"entity": "symptom", "value": code}
    if role:
        entity["role"] = role
    return entity


EMPTY: dict = {}


def test_present_and_negated_symptoms():
    updates = slot_updates(
        EMPTY, "report_pressure", [sym("vaginal_pressure"), sym("contractions", "negated")]
    )
    assert updates["symptoms"] == ["vaginal_pressure"]
    assert updates["symptoms_absent"] == ["contractions"]
    assert updates["contractions"] == "no"


@pytest.mark.parametrize("role", ["hypothetical", "historical", "other_person"])
def test_context_mentions_are_not_findings(role):
    updates = slot_updates(EMPTY, "report_pain", [sym("abdominal_pain", role)])
    assert "symptoms" not in updates and "symptoms_absent" not in updates


def test_intent_stands_in_when_no_symptom_was_extracted():
    assert slot_updates(EMPTY, "report_bleeding", [])["symptoms"] == ["bleeding"]
    assert slot_updates(EMPTY, "report_red_flag", [])["symptoms"] == ["unspecified_red_flag"]


def test_intent_does_not_stand_in_when_the_extractor_found_a_negation():
    updates = slot_updates(EMPTY, "report_contractions", [sym("contractions", "negated")])
    assert "symptoms" not in updates
    assert updates["contractions"] == "no"


def test_a_symptom_once_present_is_not_erased_by_a_later_negation():
    slots = {"symptoms": ["bleeding"]}
    assert slot_updates(slots, "deny", [sym("bleeding", "negated")]) == {}


def test_a_negated_symptom_reported_later_moves_to_present():
    slots = {"symptoms_absent": ["contractions"], "contractions": "no"}
    updates = slot_updates(slots, "report_contractions", [sym("contractions")])
    assert updates == {"symptoms": ["contractions"], "symptoms_absent": [], "contractions": "yes"}


@pytest.mark.parametrize(
    "intent, answer",
    [("affirm", "yes"), ("deny", "no"), ("unsure", "unsure"), ("decline", "declined")],
)
def test_answers_to_the_contractions_question(intent, answer):
    assert slot_updates({"symptoms": ["bleeding"]}, intent, [], "contractions") == {
        "contractions": answer
    }


def test_yes_no_mean_nothing_when_contractions_were_not_asked():
    assert slot_updates({}, "affirm", [], None) == {}
    assert slot_updates({}, "affirm", [], "gestational_weeks") == {}


@pytest.mark.parametrize("intent", ["unsure", "decline", "deny", "inform_gestational_age"])
def test_not_knowing_or_refusing_the_weeks(intent):
    assert slot_updates({}, intent, [], "gestational_weeks") == {"gestational_declined": True}


def test_weeks_from_an_entity_or_a_button_payload():
    assert slot_updates(
        {}, "inform_gestational_age", [{"entity": "gestational_age", "value": 21.7}]
    ) == {"gestational_weeks": 21.7}
    assert slot_updates(
        {"gestational_declined": True},
        "inform_gestational_age",
        [{"entity": "gestational_age", "value": "27.9"}],
    ) == {"gestational_weeks": 27.9, "gestational_declined": False}


@pytest.mark.parametrize("value", [0, -3, 99, "soon", None])
def test_impossible_weeks_are_ignored(value):
    assert (
        slot_updates({}, "inform_gestational_age", [{"entity": "gestational_age", "value": value}])
        == {}
    )


def test_bleeding_amount_keeps_the_most_severe_and_heavy_is_a_red_flag():
    updates = slot_updates(
        {"bleeding_amount": "light"},
        "report_bleeding",
        [sym("bleeding"), {"entity": "bleeding_amount", "value": "heavy"}],
    )
    assert updates["bleeding_amount"] == "heavy"
    assert "heavy_bleeding" in updates["symptoms"]
    assert (
        slot_updates(
            {"bleeding_amount": "heavy", "symptoms": ["bleeding", "heavy_bleeding"]},
            "report_bleeding",
            [sym("bleeding"), {"entity": "bleeding_amount", "value": "spotting"}],
        )
        == {}
    )


def amount_answer(value):
    return {"entity": "bleeding_amount", "value": value, "role": "answer"}


def test_an_amount_said_without_a_word_for_blood_answers_only_the_amount_question():
    bleeding = {"symptoms": ["bleeding"], "gestational_weeks": 22.0, "contractions": "no"}
    # "my legs feel heavy" outside the question: no amount, no red flag.
    assert slot_updates(bleeding, "out_of_scope", [amount_answer("heavy")]) == {}
    assert (
        slot_updates(bleeding, "deny", [amount_answer("heavy")], requested_slot="contractions")
        == {}
    )
    # "loads" to "how much are you bleeding?": heavy, the red flag.
    updates = slot_updates(
        bleeding, "affirm", [amount_answer("heavy")], requested_slot="bleeding_amount"
    )
    assert updates["bleeding_amount"] == "heavy"
    assert "heavy_bleeding" in updates["symptoms"]
    updates = slot_updates(
        bleeding, "nlu_fallback", [amount_answer("spotting")], requested_slot="bleeding_amount"
    )
    assert updates == {"bleeding_amount": "spotting"}


@pytest.mark.parametrize("intent", ["unsure", "deny", "affirm", "ask_what_is_ci", "nlu_fallback"])
def test_an_answer_to_the_amount_question_that_names_no_amount_is_unsure(intent):
    """Asked once: "not sure", "no", a question back all end it, recorded as "unsure"."""
    bleeding = {"symptoms": ["bleeding"], "gestational_weeks": 22.0}
    updates = slot_updates(bleeding, intent, [], requested_slot="bleeding_amount")
    assert updates == {"bleeding_amount": "unsure"}


def test_an_amount_answer_the_classifier_calls_another_symptom_is_no_unplaced_problem():
    """'literally a drop, pinkish' to the amount question: spotting, not 'a problem the bot
    cannot place' (which would be urgent, X2)."""
    bleeding = {"symptoms": ["bleeding"], "gestational_weeks": 12.0}
    updates = slot_updates(
        bleeding,
        "report_other_symptom",
        [amount_answer("spotting")],
        requested_slot="bleeding_amount",
    )
    assert updates == {"bleeding_amount": "spotting"}
    # Outside the question, the same intent with nothing placed is still such a problem.
    updates = slot_updates(bleeding, "report_other_symptom", [amount_answer("spotting")])
    assert "unrecognised_symptom" in updates["symptoms"]


def test_a_later_amount_replaces_unsure():
    slots = {"symptoms": ["bleeding"], "bleeding_amount": "unsure"}
    updates = slot_updates(
        slots, "report_bleeding", [sym("bleeding"), {"entity": "bleeding_amount", "value": "light"}]
    )
    assert updates == {"bleeding_amount": "light"}
    updates = slot_updates(
        slots, "report_bleeding", [sym("bleeding"), {"entity": "bleeding_amount", "value": "heavy"}]
    )
    assert updates["bleeding_amount"] == "heavy" and "heavy_bleeding" in updates["symptoms"]


def test_risk_factors_only_when_they_are_the_patients_own():
    updates = slot_updates(
        {},
        "inform_risk_factor",
        [
            {"entity": "risk_factor", "value": "cervical_surgery"},
            {
                "entity": "risk_factor",
                "value": "connective_tissue_disorder",
                "role": "other_person",
            },
        ],
    )
    assert updates == {"risk_factors": ["cervical_surgery"]}


def test_on_behalf():
    assert (
        slot_updates(
            {}, "report_bleeding", [sym("bleeding"), {"entity": "on_behalf", "value": True}]
        )["on_behalf"]
        is True
    )


def test_a_form_answer_survives_the_nlu_replacing_the_intent():
    """ "no, only the spotting": the NLU makes it report_bleeding, the answer stays "no"."""
    updates = slot_updates(
        {"symptoms": ["bleeding"]},
        "report_bleeding",
        [sym("bleeding")],
        "contractions",
        answer_intent="deny",
    )
    assert updates == {"contractions": "no"}


def test_an_emergency_the_words_do_not_name_stays_an_emergency():
    """report_red_flag with only a non-red-flag finding ("something is really wrong, I think
    this is an emergency" finds `unwell`): the classifier's emergency is kept (rule E7)."""
    entities = [{"entity": "symptom", "value": "unwell"}]
    updates = slot_updates({}, "report_red_flag", entities)
    assert set(updates["symptoms"]) == {"unwell", "unspecified_red_flag"}
    named = [{"entity": "symptom", "value": "fainting"}]
    assert slot_updates({}, "report_red_flag", named)["symptoms"] == ["fainting"]


def test_a_problem_not_placed_stands_beside_denials():
    """ "Pinky on the loo roll, no pain": the denial does not place the problem (rule X2)."""
    updates = slot_updates(EMPTY, "report_other_symptom", [sym("abdominal_pain", "negated")])
    assert updates["symptoms"] == ["unrecognised_symptom"]
    assert updates["symptoms_absent"] == ["abdominal_pain"]
