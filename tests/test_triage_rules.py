"""Tests of the triage rules (triage.assess) and of what the bot still needs to ask.

The rule table is clinical safety logic: every row has a firing example here, the gestational
boundaries are tested on both sides, and the central cervical-insufficiency rule is checked
exhaustively across its window.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from triage import (
    RED_FLAGS,
    RULES,
    SEED_SYMPTOMS,
    Decision,
    Findings,
    Level,
    Reason,
    assess,
    floor,
    hold,
    missing_information,
)
from triage.codes import ALL_SYMPTOMS, CI_RISK_FACTORS, RISK_FACTORS
from triage.examples import RULE_EXAMPLES
from triage.rules import rules_table_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "triage-rules.md"


def F(*present: str, weeks: float | None = None, contractions: str = "unknown", **kw) -> Findings:
    return Findings(
        present=frozenset(present), gestational_weeks=weeks, contractions=contractions, **kw
    )


RULES_BY_ID = {rule.id: rule for rule in RULES}


def test_every_rule_has_an_example_and_ids_are_unique():
    assert len(RULES_BY_ID) == len(RULES)
    assert set(RULE_EXAMPLES) == set(RULES_BY_ID)


@pytest.mark.parametrize("rule_id", [rule.id for rule in RULES])
def test_each_rule_fires_on_its_example(rule_id: str):
    rule = RULES_BY_ID[rule_id]
    decision = assess(RULE_EXAMPLES[rule_id])
    assert rule_id in decision.rules
    assert decision.level is rule.level
    for concern in rule.concerns:
        assert concern in decision.concerns
    reason = next(r for r in decision.reasons if r.rule == rule_id)
    assert reason.source == rule.source and reason.text.startswith(rule.text)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_cites_a_source_from_the_reference(rule):
    known = ("MSD Manual", "ACOG", "RCOG", "NICE", "Tommy's", "Almond", "MBRRACE")
    assert any(name in rule.source for name in known), rule.source
    assert rule.when.__doc__, f"{rule.id}: the condition function needs a docstring"


def test_rule_letter_matches_level():
    prefix = {"E": Level.EMERGENCY, "S": Level.SAME_DAY, "R": Level.ROUTINE}
    for rule in RULES:
        if rule.id.startswith("SC"):
            assert rule.level is Level.SELF_CARE
        elif rule.id[0] in prefix:
            assert rule.level is prefix[rule.id[0]], rule.id
        elif rule.id[0] == "U" and not rule.id[-1].isalpha():
            assert rule.level is Level.URGENT, rule.id  # "b"/"c" rows are the lower-level variants


def test_docs_table_matches_the_code():
    text = DOCS.read_text(encoding="utf-8")
    assert rules_table_markdown() in text, "regenerate the table with: python -m triage"


# -- levels and the decision object ---------------------------------------------------------


def test_levels_are_ordered_by_urgency():
    order = [Level.SELF_CARE, Level.ROUTINE, Level.SAME_DAY, Level.URGENT, Level.EMERGENCY]
    assert sorted(order) == order
    assert Level.URGENT > Level.SAME_DAY and Level.EMERGENCY >= Level.URGENT
    assert max(order) is Level.EMERGENCY and min(order) is Level.SELF_CARE
    assert [level.value for level in order] == [
        "self_care",
        "routine",
        "same_day",
        "urgent",
        "emergency",
    ]


def test_payload_is_json_and_round_trips():
    decision = assess(F("vaginal_pressure", "headache", weeks=22, contractions="no"))
    payload = decision.to_payload()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["level"] == "urgent"
    assert set(payload["reasons"][0]) == {"rule", "text", "source"}
    assert Decision.from_payload(payload) == decision


def test_concerns_are_unique_and_most_urgent_rule_first():
    decision = assess(
        F("heavy_bleeding", "vaginal_pressure", "fever", weeks=20, contractions="unknown")
    )
    assert len(decision.concerns) == len(set(decision.concerns))
    assert decision.rules[0] == "E1" and decision.concerns[0] == "bleeding"
    ranks = [RULES_BY_ID[r].level.rank for r in decision.rules]
    assert ranks == sorted(ranks, reverse=True)
    assert isinstance(decision.reasons[0], Reason)


# -- gestational boundaries -------------------------------------------------------------------

BOUNDARIES = [
    # (present, contractions, weeks, level, rule that must fire, rule that must not).
    # Early pregnancy ends at 13+0 (the sources' "about 14", with a week's margin for dating).
    (("bleeding",), "no", 12.9, Level.SAME_DAY, "S2", "U6"),
    (("bleeding",), "no", 13.0, Level.URGENT, "U6", "S2"),
    (("back_pain",), "no", 12.9, Level.SAME_DAY, "S3", "U1"),
    (("back_pain",), "no", 13.0, Level.URGENT, "U1", "S3"),
    (("back_pain",), "no", 27.9, Level.URGENT, "U1", "S4"),
    # Pain without contractions stays urgent to 30+0 (U16), then same day at maternity triage.
    (("back_pain",), "no", 28.0, Level.URGENT, "U16", "U1"),
    (("back_pain",), "no", 29.9, Level.URGENT, "U16", "S4"),
    (("back_pain",), "no", 30.0, Level.SAME_DAY, "S4", "U16"),
    (("back_pain",), "no", 36.9, Level.SAME_DAY, "S4", "S5"),
    (("back_pain",), "no", 37.0, Level.SAME_DAY, "S5", "S4"),
    (("vaginal_pressure",), "no", 12.9, Level.SAME_DAY, "S3", "U7"),
    (("vaginal_pressure",), "no", 13.0, Level.URGENT, "U7", "U7b"),
    (("vaginal_pressure",), "no", 27.9, Level.URGENT, "U7", "U7b"),
    (("vaginal_pressure",), "no", 28.0, Level.URGENT, "U7b", "U7"),
    (("vaginal_pressure",), "no", 36.9, Level.URGENT, "U7b", "S5"),
    (("vaginal_pressure",), "no", 37.0, Level.SAME_DAY, "S5", "U7b"),
    (("discharge_change",), "no", 12.9, Level.ROUTINE, "R1", "U1"),
    (("discharge_change",), "no", 13.0, Level.URGENT, "U1", "R1"),
    (("discharge_change",), "no", 27.9, Level.URGENT, "U1", "U14"),
    (("discharge_change",), "no", 28.0, Level.URGENT, "U14", "U1"),
    (("discharge_change",), "no", 36.9, Level.URGENT, "U14", "X1"),
    (("discharge_change",), "no", 37.0, Level.SAME_DAY, "X1", "U14"),
    (("contractions",), "yes", 12.9, Level.SAME_DAY, "S3", "U3"),
    (("contractions",), "yes", 13.0, Level.URGENT, "U3", "S3"),
    (("contractions",), "yes", 36.9, Level.URGENT, "U3", "U4"),
    (("contractions",), "yes", 37.0, Level.URGENT, "U4", "U3"),
    (("mucus_plug",), "no", 12.9, Level.SAME_DAY, "S6", "U8"),
    (("mucus_plug",), "no", 13.0, Level.URGENT, "U8", "S6"),
    (("mucus_plug",), "no", 36.9, Level.URGENT, "U8", "S5"),
    (("mucus_plug",), "no", 37.0, Level.SAME_DAY, "S5", "U8"),
    (("itching",), "unknown", 12.9, Level.SAME_DAY, "X1", "U12"),
    (("itching",), "unknown", 13.0, Level.URGENT, "U12", "X1"),
    (("smelly_discharge",), "unknown", 15.9, Level.SAME_DAY, "U13b", "U13"),
    (("smelly_discharge",), "unknown", 16.0, Level.URGENT, "U13", "U13b"),
    # Reduced movements: urgent once movements are usually felt (the reference gives no lower
    # gestation; the review's HZ-19).
    (("reduced_movements",), "unknown", 15.9, Level.ROUTINE, "U9c", "U9"),
    (("reduced_movements",), "unknown", 16.0, Level.URGENT, "U9", "U9c"),
    (("headache",), "unknown", 19.9, Level.SAME_DAY, "U10b", "U10"),
    (("headache",), "unknown", 20.0, Level.URGENT, "U10", "U10b"),
    (("swelling",), "unknown", 20.0, Level.URGENT, "U10", "U10b"),
    (("epigastric_pain",), "unknown", 19.9, Level.SAME_DAY, "U10b", "U10"),
    (("epigastric_pain",), "unknown", 20.0, Level.URGENT, "U10", "U10b"),
    (("seizure",), "unknown", 19.9, Level.EMERGENCY, "E3", "E3b"),
    (("seizure",), "unknown", 20.0, Level.EMERGENCY, "E3b", "X1"),
    (("bleeding", "one_sided_pain"), "unknown", 12.9, Level.EMERGENCY, "E6", "U6"),
    (("bleeding", "one_sided_pain"), "no", 13.0, Level.URGENT, "U6", "E6"),
    (("abdominal_trauma",), "unknown", 12.9, Level.SAME_DAY, "S10", "U23"),
    (("abdominal_trauma",), "unknown", 13.0, Level.URGENT, "U23", "S10"),
    (("period_type_pain", "abdominal_pain"), "no", 36.9, Level.URGENT, "U21", "S5"),
    (("period_type_pain", "abdominal_pain"), "no", 37.0, Level.SAME_DAY, "S5", "U21"),
]


@pytest.mark.parametrize("present,contractions,weeks,level,fires,silent", BOUNDARIES)
def test_gestational_boundaries(present, contractions, weeks, level, fires, silent):
    decision = assess(F(*present, weeks=weeks, contractions=contractions))
    assert decision.level is level
    assert fires in decision.rules
    assert silent not in decision.rules


def test_seizure_from_20_weeks_adds_pre_eclampsia():
    assert assess(F("seizure", weeks=19.9)).concerns == ("collapse",)
    assert assess(F("seizure", weeks=20)).concerns == ("collapse", "pre_eclampsia")
    assert "pre_eclampsia" in assess(F("seizure")).concerns


# -- unknown and declined answers --------------------------------------------------------------


@pytest.mark.parametrize("symptom", sorted(SEED_SYMPTOMS))
@pytest.mark.parametrize("declined", [False, True])
def test_unknown_weeks_are_treated_as_inside_the_window(symptom, declined):
    no = assess(F(symptom, contractions="no", gestational_declined=declined))
    assert no.level is Level.URGENT and "U2b" in no.rules
    assert "cervical_insufficiency" in no.concerns
    text = next(r.text for r in no.reasons if r.rule == "U2b")
    assert "window of about 14 to 28 weeks" in text
    assert ("declined" in text) is declined

    unknown = assess(F(symptom, contractions="unknown", gestational_declined=declined))
    assert unknown.level is Level.URGENT and "U2" in unknown.rules
    assert {"cervical_insufficiency", "preterm_labour"} <= set(unknown.concerns)


@pytest.mark.parametrize(
    "present,rule,concern",
    [
        ("headache", "U10", "pre_eclampsia"),
        ("reduced_movements", "U9", "reduced_fetal_movements"),
        ("itching", "U12", "cholestasis"),
        ("smelly_discharge", "U13", "infection"),
        ("mucus_plug", "U8", "preterm_labour"),
        ("contractions", "U3", "preterm_labour"),
        ("vaginal_pressure", "U7", "cervical_insufficiency"),
    ],
)
def test_unknown_weeks_take_the_more_urgent_branch(present, rule, concern):
    decision = assess(F(present, weeks=None))
    assert decision.level is Level.URGENT
    assert rule in decision.rules and concern in decision.concerns
    assert "not known" in next(r.text for r in decision.reasons if r.rule == rule)


def test_unknown_weeks_bleeding_with_ectopic_signs_is_an_emergency():
    decision = assess(F("bleeding", "shoulder_tip_pain"))
    assert decision.level is Level.EMERGENCY and "E6" in decision.rules
    assert "early_pregnancy" in decision.concerns


@pytest.mark.parametrize("pain", ["one_sided_pain", "shoulder_tip_pain"])
@pytest.mark.parametrize("faint", ["dizziness", "fainting"])
def test_ectopic_signs_without_bleeding_are_an_emergency(pain, faint):
    """Review E6: a ruptured ectopic pregnancy often shows without vaginal bleeding."""
    decision = assess(F(pain, faint, weeks=8))
    assert decision.level is Level.EMERGENCY and "E6" in decision.rules
    assert assess(F(pain, weeks=8)).level is Level.SAME_DAY  # the pain alone: S3


@pytest.mark.parametrize("weeks", [8, 20, 33, None])
@pytest.mark.parametrize("symptom", ["bleeding", "abdominal_pain", "one_sided_pain"])
def test_bleeding_or_pain_with_dizziness_is_an_emergency_at_any_weeks(symptom, weeks):
    """Review E3/HZ-03: signs of shock (blood loss) at any gestation."""
    decision = assess(F(symptom, "dizziness", weeks=weeks, contractions="no"))
    assert decision.level is Level.EMERGENCY
    assert {"E8"} & set(decision.rules) or "E6" in decision.rules


@pytest.mark.parametrize("answer", ["unknown", "declined"])
def test_contractions_not_known_in_the_window_assume_both(answer):
    decision = assess(F("bleeding", weeks=18, contractions=answer))
    assert decision.level is Level.URGENT
    assert decision.concerns[:2] == ("cervical_insufficiency", "preterm_labour")


@pytest.mark.parametrize(
    "answer,rule,level",
    [
        ("declined", "U15", Level.URGENT),
        ("unknown", "U15", Level.URGENT),
        ("no", "S4", Level.SAME_DAY),  # at 32 weeks; 28-30 is U16, urgent
        ("unsure", "U3", Level.URGENT),
        ("yes", "U3", Level.URGENT),
    ],
)
def test_pain_between_28_and_37_weeks_by_contraction_answer(answer, rule, level):
    decision = assess(F("abdominal_pain", weeks=32, contractions=answer))
    assert decision.level is level and rule in decision.rules
    assert "preterm_labour" in decision.concerns


def test_unsure_contractions_count_as_possible_preterm_labour():
    decision = assess(F(weeks=25, contractions="unsure"))
    assert decision.level is Level.URGENT and "U3" in decision.rules


# -- combinations -----------------------------------------------------------------------------


def test_red_flag_with_ci_symptoms_is_emergency_with_both_concerns():
    decision = assess(
        F("heavy_bleeding", "vaginal_pressure", "back_pain", weeks=21, contractions="no")
    )
    assert decision.level is Level.EMERGENCY
    assert decision.concerns[0] == "bleeding"
    assert "cervical_insufficiency" in decision.concerns
    assert {"E1", "U1"} <= set(decision.rules)


def test_heavy_amount_counts_as_the_red_flag():
    decision = assess(F("bleeding", weeks=20, contractions="no", bleeding_amount="heavy"))
    assert decision.level is Level.EMERGENCY and "E1" in decision.rules
    assert "U6" not in decision.rules  # U6 is for bleeding that is not heavy
    assert assess(F("bleeding", weeks=20, bleeding_amount="light")).level is Level.URGENT


def test_membranes_felt_raises_both_ci_and_preterm_labour():
    decision = assess(F("membranes_felt", weeks=23, contractions="no"))
    assert decision.level is Level.EMERGENCY
    assert decision.concerns == ("cervical_insufficiency", "preterm_labour")


@pytest.mark.parametrize("flag", sorted(RED_FLAGS))
@pytest.mark.parametrize("weeks", [None, 8, 20, 32, 39])
def test_every_red_flag_is_an_emergency_at_any_weeks(flag, weeks):
    assert assess(F(flag, weeks=weeks, contractions="no")).level is Level.EMERGENCY


def test_risk_factors_add_history_to_u1_but_never_lower_the_level():
    plain = assess(F("bleeding", weeks=20, contractions="no"))
    history = assess(
        F(
            "bleeding",
            weeks=20,
            contractions="no",
            risk_factors=frozenset({"previous_midtrimester_loss"}),
        )
    )
    assert history.level is plain.level is Level.URGENT
    text = next(r.text for r in history.reasons if r.rule == "U1")
    assert "your history makes this more important" in text
    assert "previous_midtrimester_loss" in text
    assert "R2" not in history.rules  # R2 is for history without symptoms


@pytest.mark.parametrize("factor", sorted(CI_RISK_FACTORS))
def test_each_ci_risk_factor_alone_is_routine(factor):
    decision = assess(F(weeks=16, risk_factors=frozenset({factor})))
    assert decision.level is Level.ROUTINE and decision.rules == ("R2",)
    assert decision.concerns == ("cervical_insufficiency",)


def test_multiple_pregnancy_alone_is_planned_with_the_twins_team():
    """Twins are no cervical-insufficiency risk factor (R2), but their care is planned with a
    specialist team (NICE NG137): routine, R3, never the urgent levels on their own."""
    decision = assess(F(weeks=16, risk_factors=frozenset({"multiple_pregnancy"})))
    assert decision.level is Level.ROUTINE and decision.rules[0] == "R3"


def test_post_dates_with_nothing_wrong_is_a_talk_about_induction():
    """NICE NG207: induction is offered from 41+0; with a symptom, its own rule decides."""
    assert assess(F(weeks=41.0)).rules[0] == "R4"
    assert assess(F(weeks=40.9)).level is Level.SELF_CARE
    assert assess(F("abdominal_pain", weeks=41.5, contractions="yes")).level is Level.URGENT


def test_unaccounted_symptom_is_not_ignored_alongside_a_lower_rule():
    decision = assess(F("discharge_change", "dizziness", weeks=10))
    assert decision.level is Level.SAME_DAY
    assert decision.rules == ("X1", "R1")


def test_unknown_symptom_code_is_checked_not_ignored():
    decision = assess(F("something_new", weeks=20))
    assert decision.level is Level.SAME_DAY and decision.rules == ("X1",)


# -- absent symptoms --------------------------------------------------------------------------


@pytest.mark.parametrize("symptom", sorted(ALL_SYMPTOMS))
@pytest.mark.parametrize("weeks", [None, 10, 20, 30, 38])
def test_absent_symptoms_never_fire(symptom, weeks):
    decision = assess(
        Findings(absent=frozenset({symptom}), gestational_weeks=weeks, contractions="no")
    )
    assert decision.level is Level.SELF_CARE and decision.rules == ("SC1",)


def test_all_symptoms_absent_is_self_care():
    decision = assess(Findings(absent=ALL_SYMPTOMS, gestational_weeks=22))
    assert decision.level is Level.SELF_CARE and decision.concerns == ()


def test_present_wins_over_absent():
    f = Findings(
        present=frozenset({"bleeding"}),
        absent=frozenset({"bleeding"}),
        gestational_weeks=20,
        contractions="no",
    )
    assert assess(f).level is Level.URGENT


def test_effective_contraction_status():
    assert F("contractions", contractions="no").contraction_status == "yes"
    assert (
        Findings(absent=frozenset({"contractions"}), contractions="unknown").contraction_status
        == "no"
    )
    assert (
        Findings(
            present=frozenset({"contractions"}), absent=frozenset({"contractions"})
        ).contraction_status
        == "yes"
    )
    assert F(contractions="declined").contraction_status == "declined"


# -- the central rule -------------------------------------------------------------------------

WINDOW = [round(14 + i / 10, 1) for i in range(140)]  # 14.0 .. 27.9


@pytest.mark.parametrize("symptom", sorted(SEED_SYMPTOMS))
def test_central_rule_never_below_urgent_in_the_window(symptom):
    others = sorted(ALL_SYMPTOMS - RED_FLAGS - {"contractions"})
    for weeks in WINDOW:
        for via_absent in (False, True):
            for extra in (None, *others):
                if symptom == "discharge_change" and extra == "itchy_discharge":
                    continue  # itchy discharge is thrush (S1, same day), not a CI sign
                present = {symptom} | ({extra} if extra else set())
                f = Findings(
                    present=frozenset(present),
                    absent=frozenset({"contractions"}) if via_absent else frozenset(),
                    contractions="unknown" if via_absent else "no",
                    gestational_weeks=weeks,
                    risk_factors=frozenset({"cervical_surgery"}) if extra else frozenset(),
                )
                decision = assess(f)
                assert decision.level >= Level.URGENT, f
                assert "U1" in decision.rules, f
                assert "cervical_insufficiency" in decision.concerns, f


def test_central_rule_reason_says_no_contractions_is_not_reassurance():
    reason = next(r for r in assess(RULE_EXAMPLES["U1"]).reasons if r.rule == "U1")
    assert "not reassurance" in reason.text
    assert "separates it from preterm labour" in reason.text
    assert "MSD Manual" in reason.source and "ACOG" in reason.source
    assert "RCOG Green-top Guideline 75" in reason.source


def test_every_combination_gets_a_decision():
    """No findings fall through the table: each gets at least one rule and a reason, and every
    symptom is acted on, except a common discomfort of pregnancy on its own (heartburn, a
    nosebleed: rule SC2, self-care with the warning signs; with any other symptom the other's
    rule decides, test_a_common_complaint_never_lowers_another_symptom). (A qualifier, "no
    plan", is no symptom on its own: tests/test_advice.py.)"""
    from triage.codes import COMMON_COMPLAINT, QUALIFIERS

    symptoms = sorted(ALL_SYMPTOMS - QUALIFIERS) + [None]
    for symptom in symptoms:
        for weeks in (None, 5, 13.9, 14, 16, 20, 24, 28, 36.9, 37, 42):
            for answer in ("yes", "no", "unsure", "unknown", "declined"):
                f = F(*([symptom] if symptom else []), weeks=weeks, contractions=answer)
                decision = assess(f)
                assert decision.reasons, f
                if symptom == COMMON_COMPLAINT:
                    assert "SC2" in decision.rules, f
                elif symptom:
                    assert decision.level > Level.SELF_CARE, f


def test_a_common_complaint_never_lowers_another_symptom():
    """Heartburn beside pain under the ribs, a nosebleed beside spotting: the level is the other
    symptom's, as without the complaint."""
    from triage.codes import COMMON_COMPLAINT, QUALIFIERS

    for symptom in sorted(ALL_SYMPTOMS - QUALIFIERS - {COMMON_COMPLAINT}):
        for weeks in (None, 8, 20, 30, 38):
            alone = assess(F(symptom, weeks=weeks, contractions="no"))
            both = assess(F(symptom, COMMON_COMPLAINT, weeks=weeks, contractions="no"))
            assert both.level == alone.level, (symptom, weeks)


# -- missing information ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "findings,expected",
    [
        # How much blood is asked before the contractions, when "heavy" would raise the level
        # (to E1): the answer that can mean an emergency comes first.
        (F("bleeding"), ["gestational_weeks", "bleeding_amount", "contractions"]),
        (F("bleeding", weeks=10), ["bleeding_amount"]),
        (F("bleeding", weeks=22, contractions="no"), ["bleeding_amount"]),
        (F("bleeding", weeks=38, contractions="yes"), ["bleeding_amount"]),
        (F("bleeding", weeks=22, contractions="no", bleeding_amount="spotting"), []),
        (F("bleeding", weeks=22, contractions="no", bleeding_amount="light"), []),
        # Asked once: "not sure" (or an answer naming no amount) is not asked again.
        (F("bleeding", weeks=22, contractions="no", bleeding_amount="unsure"), []),
        # Bleeding that has stopped is not asked about ("how much are you bleeding?").
        (
            Findings(
                present=frozenset({"bleeding"}),
                resolved=frozenset({"bleeding"}),
                gestational_weeks=22,
                contractions="no",
            ),
            [],
        ),
        (F("vaginal_pressure", weeks=22, contractions="no"), []),
        (F("back_pain", weeks=20), ["contractions"]),
        (F("back_pain", weeks=36.9), ["contractions"]),
        # At term the answer decides between labour (U4, urgent) and early signs (S5).
        (F("back_pain", weeks=37), ["contractions"]),
        (F("back_pain", weeks=13.0), ["contractions"]),
        (F("back_pain", weeks=12.9), []),
        (F("fluid_leak", weeks=30), ["contractions"]),
        (F("mucus_plug"), ["gestational_weeks", "contractions"]),
        (F("headache"), ["gestational_weeks"]),
        (F("headache", weeks=25), []),
        (F(), []),
        (F(risk_factors=frozenset({"cervical_surgery"})), []),
        (F("bleeding", gestational_declined=True), ["bleeding_amount", "contractions"]),
        (F("bleeding", contractions="declined"), ["gestational_weeks", "bleeding_amount"]),
        (F("bleeding", gestational_declined=True, contractions="declined"), ["bleeding_amount"]),
        (F("bleeding", contractions="no"), ["gestational_weeks", "bleeding_amount"]),
        (F("contractions"), ["gestational_weeks"]),
        (
            Findings(
                present=frozenset({"bleeding"}),
                absent=frozenset({"contractions"}),
                gestational_weeks=20,
                bleeding_amount="light",
            ),
            [],
        ),
        (F("bleeding", "fainting"), []),
        (F("cord_felt"), []),
        (F("bleeding", bleeding_amount="heavy"), []),
        (Findings(absent=frozenset({"bleeding"})), []),
    ],
)
def test_missing_information(findings, expected):
    assert missing_information(findings) == expected


# -- Findings ---------------------------------------------------------------------------------


def test_findings_round_trip():
    f = Findings(
        present=frozenset({"vaginal_pressure", "bleeding"}),
        absent=frozenset({"contractions", "fever"}),
        contractions="no",
        gestational_weeks=20.5,
        gestational_declined=False,
        risk_factors=frozenset({"uterine_anomaly", "cervical_surgery"}),
        bleeding_amount="spotting",
    )
    d = f.to_dict()
    assert d["present"] == ["bleeding", "vaginal_pressure"]
    assert d["risk_factors"] == ["cervical_surgery", "uterine_anomaly"]
    assert json.loads(json.dumps(d)) == d
    assert Findings.from_dict(d) == f
    assert Findings.from_dict(json.loads(json.dumps(d))).to_dict() == d


def test_findings_from_slot_values():
    f = Findings.from_dict(
        {
            "present": ["bleeding"],
            "absent": None,
            "contractions": None,
            "gestational_weeks": "20",
            "bleeding_amount": None,
        }
    )
    assert f == Findings(present=frozenset({"bleeding"}), gestational_weeks=20.0)
    assert Findings.from_dict({}) == Findings()
    assert Findings.from_dict(None) == Findings()


@pytest.mark.parametrize(
    "bad",
    [
        {"contractions": "maybe"},
        {"bleeding_amount": "lots"},
        {"gestational_weeks": -1},
        {"gestational_weeks": 60},
        {"gestational_weeks": True},
        {"gestational_week": 20},
    ],
)
def test_findings_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        Findings.from_dict(bad)


def test_findings_is_frozen_and_hashable():
    f = F("bleeding", weeks=20)
    with pytest.raises(AttributeError):
        f.gestational_weeks = 30
    assert hash(f) == hash(F("bleeding", weeks=20))


def test_exported_code_sets():
    assert {
        "vaginal_pressure",
        "bleeding",
        "abdominal_pain",
        "back_pain",
        "discharge_change",
    } == SEED_SYMPTOMS
    assert {
        "heavy_bleeding",
        "severe_constant_pain",
        "fainting",
        "seizure",
        "cord_felt",
        "membranes_felt",
        "chest_pain",
        "breathlessness",
        "confusion",
        "mottled_skin",
        "self_harm",
        "in_danger",
        "self_harm_plan",
        "anaphylaxis",
        "stroke_signs",
    } == RED_FLAGS
    assert CI_RISK_FACTORS < RISK_FACTORS


# -- the whole pregnancy's red flags and the missing rules (safety review 2026-12-01) -------


@pytest.mark.parametrize(
    "findings,level,rule",
    [
        (F("chest_pain", weeks=30), Level.EMERGENCY, "E9"),
        (F("breathlessness", weeks=12), Level.EMERGENCY, "E9"),
        (F("confusion", "fever", weeks=24), Level.EMERGENCY, "E10"),
        (F("mottled_skin", weeks=18), Level.EMERGENCY, "E10"),
        (F("self_harm", weeks=20), Level.EMERGENCY, "E11"),
        (F("calf_pain", weeks=26), Level.URGENT, "U22"),
        (F("abdominal_trauma", weeks=26), Level.URGENT, "U23"),
        (F("abdominal_trauma"), Level.URGENT, "U23"),
        (F("vomiting", weeks=9), Level.SAME_DAY, "S8"),
        (F("abuse", weeks=20), Level.SAME_DAY, "S9"),
        (F("rigors", weeks=20), Level.URGENT, "U11"),
        (F("epigastric_pain", weeks=34), Level.URGENT, "U10"),
        (F("stitch_problem", weeks=20), Level.URGENT, "U18"),
        (F("positional_pain", weeks=22), Level.SAME_DAY, "S7"),
        (F("unrecognised_symptom", weeks=20), Level.URGENT, "X2"),
        (F("unrecognised_symptom"), Level.URGENT, "X2"),
    ],
)
def test_whole_pregnancy_rules(findings, level, rule):
    decision = assess(findings)
    assert decision.level is level and rule in decision.rules


@pytest.mark.parametrize("weeks", [10, 13, 20, 30, 38])
@pytest.mark.parametrize("symptom", ["bleeding", "back_pain", "fluid_leak", "mucus_plug"])
def test_a_stitch_with_symptoms_is_urgent_at_any_weeks(symptom, weeks):
    """Review HZ-05: a stitch in place plus a seed symptom, fluid or a show is never same day."""
    decision = assess(F(symptom, weeks=weeks, risk_factors=frozenset({"cerclage_in_place"})))
    assert decision.level >= Level.URGENT and "U17" in decision.rules


@pytest.mark.parametrize(
    "factor",
    ["previous_midtrimester_loss", "previous_preterm_birth", "previous_ci", "short_cervix"],
)
def test_ci_history_with_a_seed_symptom_is_urgent_from_12_weeks(factor):
    history = frozenset({factor})
    assert assess(F("abdominal_pain", weeks=12.5, risk_factors=history)).level is Level.URGENT
    assert assess(F("back_pain", weeks=33, contractions="no", risk_factors=history)).level is (
        Level.URGENT
    )
    assert assess(F("abdominal_pain", weeks=11.9, risk_factors=history)).level is Level.SAME_DAY


def test_twins_with_pain_late_preterm_is_urgent():
    twins = frozenset({"multiple_pregnancy"})
    assert assess(F("back_pain", weeks=33, contractions="no", risk_factors=twins)).level is (
        Level.URGENT
    )
    assert assess(F("back_pain", weeks=33, contractions="no")).level is Level.SAME_DAY


def test_period_type_pain_before_37_weeks_is_urgent_even_without_contractions():
    decision = assess(F("period_type_pain", "abdominal_pain", weeks=32, contractions="no"))
    assert decision.level is Level.URGENT and "U21" in decision.rules


def test_a_symptom_that_has_stopped_is_still_a_finding():
    stopped = Findings(resolved=frozenset({"bleeding"}), gestational_weeks=22, contractions="no")
    assert "bleeding" in stopped.present
    decision = assess(stopped)
    assert decision.level is Level.URGENT and "U6" in decision.rules
    assert "still needs checking" in next(r.text for r in decision.reasons if r.rule == "U6")


def test_stitch_risk_factor_alone_is_routine_with_stitch_advice():
    decision = assess(F(weeks=20, risk_factors=frozenset({"cerclage_in_place"})))
    assert decision.level is Level.ROUTINE and decision.rules == ("R2",)


# -- the floor: advice that holds whatever the missing answers are ----------------------------


def _all_findings() -> list[Findings]:
    """A bank of findings: every symptom alone, with each contraction answer and risk factor."""
    bank = []
    for symptom in sorted(ALL_SYMPTOMS):
        for answer in ("unknown", "no", "yes", "unsure", "declined"):
            bank.append(F(symptom, contractions=answer))
            bank.append(
                F(
                    symptom,
                    contractions=answer,
                    risk_factors=frozenset({"cerclage_in_place", "multiple_pregnancy"}),
                )
            )
    bank.append(F("period_type_pain", "abdominal_pain"))
    bank.append(F("back_pain", risk_factors=frozenset({"previous_preterm_birth"})))
    return bank


def _weeks_in(lo: float, hi: float) -> list[float]:
    """Every half week from ``lo``, and the last tenth before ``hi`` (rules compare whole or
    tenths of weeks)."""
    return sorted({*(lo + i / 2 for i in range(int((hi - lo) * 2))), round(hi - 0.1, 1)})


def test_week_boundaries_are_complete():
    """Within each band between two boundaries the decision never changes, so the floor, which
    tries one week per band, has tried every case."""
    from triage.rules import WEEK_BOUNDARIES

    edges = (0.0, *WEEK_BOUNDARIES, 45.0)
    for f in _all_findings():
        for lo, hi in zip(edges, edges[1:], strict=False):
            weeks = _weeks_in(lo, hi)
            levels = {assess(dataclasses.replace(f, gestational_weeks=w)).rules for w in weeks}
            assert len(levels) == 1, (f, lo, hi, levels)


def _findings_id(f: Findings) -> str:
    """A readable id that does not depend on set order (string hashing is randomised per
    process, and parallel test workers must collect the same ids)."""
    parts = [
        "+".join(sorted(f.present)) or "nothing",
        f.contractions,
        f"{f.gestational_weeks}w",
        "+".join(sorted(f.risk_factors)),
        f.bleeding_amount or "",
    ]
    return "-".join(p for p in parts if p)


def test_fired_rules_is_every_rule_whose_condition_holds():
    """fired_rules evaluates each condition once (X1 from the others' results): the same as
    asking every rule of the table, over the whole bank of findings and every band."""
    from triage.rules import RULES, fired_rules

    for f in _all_findings():
        for weeks in (None, 8, 13.5, 20, 28.5, 34, 38):
            g = dataclasses.replace(f, gestational_weeks=weeks)
            assert fired_rules(g) == [rule for rule in RULES if rule.when(g)], g


@pytest.mark.parametrize("f", _all_findings(), ids=_findings_id)
def test_floor_is_never_above_any_completion_and_is_one_of_them(f):
    from triage.engine import completions

    lowest = floor(f)
    levels = [assess(c).level for c in completions(f)]
    assert lowest.level == min(levels)
    # Whatever the patient answers next, the final decision is at least the floor.
    for weeks in (None, 5, 12.5, 13, 20, 28.5, 33, 38):
        for answer in ("yes", "no", "unsure", "declined", "unknown"):
            if f.gestational_weeks is None and f.contraction_status == "unknown":
                done = dataclasses.replace(f, gestational_weeks=weeks, contractions=answer)
                assert assess(done).level >= lowest.level, (done, lowest)


@pytest.mark.parametrize(
    "findings,level",
    [
        (F("fluid_leak"), Level.URGENT),  # any weeks, any answer: the waters
        (F("bleeding", weeks=31), Level.URGENT),  # after the first trimester
        (F("bleeding"), Level.SAME_DAY),  # could be 8 weeks: the early pregnancy unit
        (F("back_pain", weeks=20), Level.URGENT),  # the central rule: contractions or not
        (F("abdominal_pain", weeks=32), Level.SAME_DAY),  # "no" would be S4
        (F("heavy_bleeding"), Level.EMERGENCY),
        (F(), Level.SELF_CARE),
    ],
)
def test_floor(findings, level):
    assert floor(findings).level is level


def test_floor_first_for_every_urgent_floor_the_reasons_are_known_now():
    """The provisional advice names what the patient said, not an answer she has not given:
    back pain at 20 weeks is U2 (contractions not known), not U3 (contractions)."""
    assert floor(F("back_pain", weeks=20)).rules[0] == "U2"


def test_hold_never_lowers_earlier_advice():
    same_day = assess(F("bleeding", weeks=10))
    held = hold(same_day, Level.URGENT)
    assert held.level is Level.URGENT and held.rules[0] == "H1"
    assert held.concerns == same_day.concerns
    assert hold(same_day, None) is same_day
    assert hold(same_day, Level.ROUTINE) is same_day


def test_gestation_buttons_record_the_most_cautious_week_of_their_range():
    """Choosing a range button never lowers the level below any week inside that range."""
    from triage.rules import GESTATION_RANGES, TERM

    bounds = [(0.0, 13.0), (13.0, 28.0), (28.0, TERM), (TERM, 42.0)]
    assert len(bounds) == len(GESTATION_RANGES)
    for (lo, hi), (_title, recorded) in zip(bounds, GESTATION_RANGES, strict=False):
        assert lo <= recorded < hi
        for f in _all_findings():
            chosen = assess(dataclasses.replace(f, gestational_weeks=recorded)).level
            for w in _weeks_in(lo, hi):
                assert chosen >= assess(dataclasses.replace(f, gestational_weeks=w)).level, (f, w)


def test_itchy_discharge_is_thrush_not_the_central_rule():
    """The reference: itchy thick white discharge is the midwife or GP the same day."""
    decision = assess(F("discharge_change", "itchy_discharge", weeks=26, contractions="no"))
    assert decision.level is Level.SAME_DAY and decision.rules == ("S1",)
    watery = assess(F("discharge_change", weeks=26, contractions="no"))
    assert watery.level is Level.URGENT and "U1" in watery.rules


def test_blood_from_the_bottom_is_routine_and_never_lowers_the_vagina_s_bleeding():
    """R5: blood she says comes from her bottom (piles) is the midwife or GP within the week;
    with any bleeding of the vagina, a heavy amount or another seed symptom, the level is
    theirs."""
    assert assess(F("rectal_bleeding", weeks=30)).level is Level.ROUTINE
    for symptom in sorted(ALL_SYMPTOMS - {"rectal_bleeding", "common_complaint"}):
        for weeks in (None, 8, 20, 30, 38):
            alone = assess(F(symptom, weeks=weeks, contractions="no"))
            both = assess(F(symptom, "rectal_bleeding", weeks=weeks, contractions="no"))
            assert both.level >= alone.level, (symptom, weeks)
    assert assess(F("rectal_bleeding", "heavy_bleeding", weeks=30)).level is Level.EMERGENCY
    assert assess(F("rectal_bleeding", "bleeding", weeks=20)).level is Level.URGENT
