"""The clinical spaCy extraction (nlp/): real pipeline, real patterns, no mocks.

Run: python -m pytest tests/test_nlp_extraction.py -q
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import spacy
import yaml
from spacy.matcher import Matcher

import nlp
from nlp import Extraction, RiskFactorMention, SymptomMention, extract, to_rasa_entities
from nlp.codes import BLEEDING_AMOUNTS, RED_FLAGS, RISK_FACTORS, SYMPTOMS
from nlp.gestation import GestationParser
from nlp.lexicon import PATTERNS_DIR, PatternError, PhraseCompiler, load_yaml
from nlp.matching import AnchoredMatcher
from nlp.normalizer import TypoCorrector, osa_distance

ROOT = Path(__file__).resolve().parents[1]


# -- helpers ---------------------------------------------------------------------------------


def mentions(text: str, code: str) -> list[SymptomMention]:
    return [m for m in extract(text).symptoms if m.code == code]


def present(text: str) -> frozenset[str]:
    return extract(text).present


def absent(text: str) -> frozenset[str]:
    return extract(text).absent


def context_of(text: str, code: str) -> set[str]:
    return {m.context for m in extract(text).symptoms if m.code == code}


def risk(text: str, code: str) -> list[RiskFactorMention]:
    return [m for m in extract(text).risk_factors if m.code == code]


@pytest.fixture(scope="module")
def pipeline():
    return nlp.get_pipeline()


# -- negation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        ("no contractions", "contractions"),
        ("it doesn't come and go", "contractions"),
        ("it doesnt come and go", "contractions"),
        ("it doesn’t come and go", "contractions"),
        ("the pain doesn't come in waves", "contractions"),
        ("its not coming and going", "contractions"),
        ("backache low down not in waves", "contractions"),
        ("I don't have any bleeding", "bleeding"),
        ("I haven't had any bleeding", "bleeding"),
        ("havent had bleeding", "bleeding"),
        ("never had contractions", "contractions"),
        ("without any pain", "abdominal_pain"),
        ("denies bleeding", "bleeding"),
        ("no sign of bleeding", "bleeding"),
        ("nothing like contractions", "contractions"),
        ("it isn't contractions", "contractions"),
        ("no pain no bleeding nothing just worried", "bleeding"),
        ("weird pushing sensation in my vagina not contractons", "contractions"),
        ("there isnt any discharge", "discharge_change"),
    ],
)
def test_negated(text, code):
    found = mentions(text, code)
    assert found, f"{code} not found in {text!r}"
    assert all(m.negated for m in found)
    assert code in absent(text) and code not in present(text)


@pytest.mark.parametrize(
    "text, negated_code, present_code",
    [
        ("no bleeding but some pressure", "bleeding", "vaginal_pressure"),
        ("no bleeding however some cramps", "bleeding", "abdominal_pain"),
        ("no bleeding although my back aches", "bleeding", "back_pain"),
        ("no bleeding, cramps", "bleeding", "abdominal_pain"),
        ("no bleeding. cramps since lunch", "bleeding", "abdominal_pain"),
        ("no bleeding\ncramps since lunch", "bleeding", "abdominal_pain"),
        ("no cramps just pressure", "abdominal_pain", "vaginal_pressure"),
        ("the pain doesn't come in waves", "contractions", "abdominal_pain"),
        (
            "it doesnt come and go its just there, pressure all day",
            "contractions",
            "vaginal_pressure",
        ),
        ("sore tummy no bleeding", "bleeding", "abdominal_pain"),
        ("no bleeding im 24 weeks and leaking fluid", "bleeding", "fluid_leak"),
    ],
)
def test_negation_scope_ends(text, negated_code, present_code):
    x = extract(text)
    assert negated_code in x.absent and negated_code not in x.present
    assert present_code in x.present


@pytest.mark.parametrize(
    "text, code",
    [
        ("Bleeding? No.", "bleeding"),
        ("contractions: no", "contractions"),
        ("bleeding: none", "bleeding"),
        ("pain - nope, spotting yes", "abdominal_pain"),
    ],
)
def test_answered_no(text, code):
    assert code in absent(text) and code not in present(text)


def test_answered_no_needs_the_clause_to_end():
    x = extract("light bleeding no pain")
    assert "bleeding" in x.present and "abdominal_pain" in x.absent
    assert "bleeding" in present("pain - nope, spotting yes")


@pytest.mark.parametrize(
    "text, code",
    [
        ("oh no i'm bleeding", "bleeding"),
        ("I can't stop bleeding", "bleeding"),
        ("im not sure if these are contractions", "contractions"),
        ("not much blood but some", "bleeding"),
        ("havent felt the baby kick today", "reduced_movements"),
        ("i cant feel baby moving", "reduced_movements"),
        ("severe pain in my stomach that wont stop", "severe_constant_pain"),
        ("agonising pain that doesn't stop", "severe_constant_pain"),
    ],
)
def test_not_negated(text, code):
    """Pseudo-negations ("not sure", "can't stop") and phrases that describe an absence."""
    assert code in present(text)


# -- context -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        ("in case the pains start", "abdominal_pain"),
        ("what if I bleed", "bleeding"),
        ("should I worry if I get cramps", "abdominal_pain"),
        ("what happens if my waters break", "fluid_leak"),
        ("if I get a headache what should i do", "headache"),
        ("does cervical insufficiency cause contractions", "contractions"),
    ],
)
def test_hypothetical(text, code):
    assert context_of(text, code) == {"hypothetical"}
    assert code not in present(text)


@pytest.mark.parametrize(
    "text, code",
    [
        ("in my last pregnancy I had bleeding", "bleeding"),
        ("I had bleeding in my last pregnancy", "bleeding"),
        ("i used to get cramps before i was pregnant", "abdominal_pain"),
        ("I had contractions with my last baby", "contractions"),
        ("had cramps last week, gone now", "abdominal_pain"),
        ("i had some spotting a few weeks ago", "bleeding"),
        ("i had bleeding 2 months ago but it stopped", "bleeding"),
        ("i had spotting at 8 weeks and now im 20 weeks", "bleeding"),
        ("at 8 weeks i had some spotting, im 20 weeks now", "bleeding"),
    ],
)
def test_historical(text, code):
    assert context_of(text, code) == {"historical"}
    assert code not in present(text)


@pytest.mark.parametrize(
    "text, code",
    [
        # Earlier today or yesterday, and stopped: still a finding (role "resolved").
        ("I bled this morning, it's stopped", "bleeding"),
        ("had a gush of water earlier, stopped now", "fluid_leak"),
        ("im not bleeding anymore", "bleeding"),
        ("im not bleeding any more", "bleeding"),
        ("the pressure has gone now but it was there all afternoon", "vaginal_pressure"),
        ("had cramps yesterday, gone now", "abdominal_pain"),
        ("had a small bleed this afternoon its stopped now", "bleeding"),
        ("the bleeding stopped now", "bleeding"),
        ("the bleeding has stopped", "bleeding"),
        ("i stopped bleeding yesterday", "bleeding"),
        ("no longer bleeding", "bleeding"),
        ("bled heavily this morning but its stopped now", "heavy_bleeding"),
        ("the cramps have settled", "abdominal_pain"),
    ],
)
def test_resolved(text, code):
    x = extract(text)
    assert context_of(text, code) == {"resolved"}
    assert code in x.present and code in x.resolved and code not in x.absent
    assert all(not m.negated for m in x.symptoms if m.code == code)
    roles = {e.get("role") for e in to_rasa_entities(x) if e["value"] == code}
    assert roles == {"resolved"}


def test_resolved_does_not_reach_the_present_or_reduced_movements():
    x = extract("I bled this morning, it's stopped, but now I have cramps")
    assert context_of("I bled this morning, it's stopped, but now I have cramps", "bleeding") == {
        "resolved"
    }
    assert {m.context for m in x.symptoms if m.code == "abdominal_pain"} == {"current"}
    # the absence of kicks is now, whatever "anymore" says
    text = "22 weeks and i dont feel the flutters anymore"
    assert context_of(text, "reduced_movements") == {"current"}
    assert extract("bled heavily this morning but its stopped now").bleeding_amount == "heavy"
    # a stitch put in last week is in place now (the long-past rule is for symptoms)
    assert "cerclage_in_place" in extract("they put a stitch in last week").current_risk_factors
    # a symptom that started weeks ago and goes on is current
    assert "bleeding" in extract("started bleeding 2 weeks ago").present


def test_historical_scope_does_not_reach_the_present():
    x = extract("I had bleeding in my last pregnancy and now I have pressure")
    assert context_of(
        "I had bleeding in my last pregnancy and now I have pressure", "bleeding"
    ) == {"historical"}
    assert "vaginal_pressure" in x.present
    assert "bleeding" in present("had cramps yesterday, gone now, but now I'm bleeding")
    assert "bleeding" in present("the cramps have gone now, I'm bleeding")


@pytest.mark.parametrize(
    "text, kind, code",
    [
        ("my mum had bleeding in pregnancy", "symptom", "bleeding"),
        ("my sister had a stitch", "risk", "cerclage_in_place"),
        ("my friend had twins", "risk", "multiple_pregnancy"),
        ("my mum had a cone biopsy", "risk", "cervical_surgery"),
        (
            "my sister had a stitch, she lost a baby at 20 weeks",
            "risk",
            "previous_midtrimester_loss",
        ),
    ],
)
def test_other_person(text, kind, code):
    if kind == "symptom":
        assert context_of(text, code) == {"other_person"}
    else:
        found = risk(text, code)
        assert found and {m.context for m in found} == {"other_person"}
    assert not extract(text).on_behalf


def test_other_person_scope_ends_at_first_person():
    x = extract("my sister had a stitch and I'm bleeding")
    assert "bleeding" in x.present
    assert {m.context for m in x.risk_factors} == {"other_person"}
    assert not extract("my mum had a weak cervix").present
    assert not extract("my mum had a weak cervix").current_risk_factors


@pytest.mark.parametrize(
    "text, code",
    [
        ("my girlfriend is six months along and she is bleeding", "bleeding"),
        ("my wife just collapsed", "fainting"),
        ("my partner is week 21 and has pressure low in her pelvis", "vaginal_pressure"),
        ("my sister is 20 weeks and bleeding", "bleeding"),
        ("she passed out in the bathroom", "fainting"),
        ("my girlfriends got tummy pain shes 20 weeks", "abdominal_pain"),
        ("asking for my wife, she has some spotting", "bleeding"),
    ],
)
def test_on_behalf_symptoms_are_current(text, code):
    x = extract(text)
    assert x.on_behalf is True
    assert code in x.present
    assert context_of(text, code) == {"current"}


@pytest.mark.parametrize(
    "text",
    [
        "my partner thinks i should call about my bleeding",
        "me and my partner are worried about the bleeding",
        "she's fine, I'm the one bleeding",
        "baby feels really low down like shes sitting right on my cervix",
        "i have some bleeding",
        "my sister had a stitch",
        "my midwife said she would call me back",
    ],
)
def test_not_on_behalf(text):
    assert extract(text).on_behalf is False


# -- risk factors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        ("i had a cone biopsy a few years ago", "cervical_surgery"),
        ("ive had a lletz", "cervical_surgery"),
        ("I had a LEEP 3 years ago", "cervical_surgery"),
        ("i had treatment for abnormal cervical cells", "cervical_surgery"),
        ("cin3 treated with a loop excision", "cervical_surgery"),
        ("i lost a baby at 20 weeks last year", "previous_midtrimester_loss"),
        ("i had a second trimester miscarriage before", "previous_midtrimester_loss"),
        ("i had two late miscarriages at 18 and 21 weeks", "previous_midtrimester_loss"),
        ("my last baby was born at 30 weeks", "previous_preterm_birth"),
        ("my first was premature", "previous_preterm_birth"),
        ("my son came early at 32 weeks", "previous_preterm_birth"),
        ("i have ehlers danlos", "connective_tissue_disorder"),
        ("i have Ehlers-Danlos syndrome", "connective_tissue_disorder"),
        ("i have marfan syndrome", "connective_tissue_disorder"),
        ("i have a bicornuate uterus", "uterine_anomaly"),
        ("septate uterus", "uterine_anomaly"),
        ("i have a heart-shaped womb", "uterine_anomaly"),
        ("i have a stitch in", "cerclage_in_place"),
        ("i had a cerclage put in at 13 weeks", "cerclage_in_place"),
        ("they put a stitch in last week", "cerclage_in_place"),
        ("im pregnant with twins", "multiple_pregnancy"),
    ],
)
def test_risk_factor_current(text, code):
    found = risk(text, code)
    assert found, f"{code} not found in {text!r}"
    assert code in extract(text).current_risk_factors


def test_risk_factor_contexts():
    assert {m.context for m in risk("i had a stitch last pregnancy", "cerclage_in_place")} == {
        "historical"
    }
    assert {m.context for m in risk("my mum had a cone biopsy", "cervical_surgery")} == {
        "other_person"
    }
    assert {
        m.context
        for m in risk("does a cone biopsy make you more likely to get it", "cervical_surgery")
    } == {"hypothetical"}
    assert all(m.negated for m in risk("i have never had a cone biopsy", "cervical_surgery"))
    # A past procedure is the patient's history: current, not historical.
    leep = risk("I had a LEEP 3 years ago and now im bleeding", "cervical_surgery")
    assert leep and leep[0].context == "current"
    assert "bleeding" in present("I had a LEEP 3 years ago and now im bleeding")


def test_every_code_has_a_pattern():
    """Each symptom, risk-factor and amount code of architecture.md can be produced."""
    found: set[tuple[str, str]] = set()
    for name in ("symptoms.yml", "bleeding_amounts.yml", "risk_factors.yml"):
        from nlp.entities import read_concepts

        concepts, _ = read_concepts(load_yaml(PATTERNS_DIR / name), name)
        for concept in concepts:
            found |= set(concept.findings)
    assert {c for k, c in found if k == "symptom"} == SYMPTOMS
    assert {c for k, c in found if k == "risk_factor"} == RISK_FACTORS
    assert {c for k, c in found if k == "amount"} == set(BLEEDING_AMOUNTS)


def test_codes_agree_with_triage():
    """Every code the NLU produces is one the rules know (the rules also have codes that only
    the actions set, such as ``unspecified_red_flag`` from the report_red_flag intent)."""
    triage_codes = pytest.importorskip("triage.codes")
    assert SYMPTOMS <= triage_codes.ALL_SYMPTOMS
    assert RED_FLAGS <= triage_codes.RED_FLAGS
    assert triage_codes.SEED_SYMPTOMS <= SYMPTOMS
    assert RISK_FACTORS == triage_codes.RISK_FACTORS
    assert BLEEDING_AMOUNTS == triage_codes.BLEEDING_AMOUNTS


# -- gestational age ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, weeks",
    [
        ("20 weeks", 20.0),
        ("im 20 wks", 20.0),
        ("20w", 20.0),
        ("pelvic pressure 20wk", 20.0),
        ("21wks", 21.0),
        ("week 20", 20.0),
        ("cramps week 22", 22.0),
        ("20+3", 20.43),
        ("spotting 19+5", 19.71),
        ("19 weeks and 5 days", 19.71),
        ("23 weeks 2 days", 23.29),
        ("24w3d", 24.43),
        ("20/40", 20.0),
        ("twenty weeks", 20.0),
        ("twenty-two weeks", 22.0),
        ("i am twenty four weeks along", 24.0),
        # voice to text (development set 8)
        ("onto the sheets I'm 20 for weeks what do I do", 24.0),
        ("im 30 to weeks and leaking", 32.0),
        ("she is twenty for weeks", 24.0),
        ("5 months", 21.7),
        ("five months pregnant", 21.7),
        ("6 months along", 26.1),
        ("four and a half months", 19.6),
        ("first trimester", 10.0),
        ("im in my second trimester", 20.0),
        ("third trimester", 32.0),
        ("about halfway", 20.0),
        ("I'm 20 weeks and bleeding", 20.0),
        ("she's 22 weeks", 22.0),
        ("brown spotting at 20 weeks is that normal", 20.0),
        ("lower abdominal pain 19 weeks", 19.0),
        ("17 weeks today", 17.0),
        ("just over 16 weeks", 16.0),
        ("20", 20.0),
        ("22 weeks", 22.0),
        ("about 20?", 20.0),
        ("the pain started 5 weeks ago and im 20 weeks now", 20.0),
        ("im 20 weeks and had a scan at 18 weeks", 20.0),
        ("my sister had her baby at 30 weeks and I'm 21 weeks", 21.0),
    ],
)
def test_gestational_age(text, weeks):
    x = extract(text)
    assert x.gestational_weeks == pytest.approx(weeks, abs=0.005)
    assert x.gestational_text and x.gestational_text in text
    start, end = x.gestational_span
    assert text[start:end] == x.gestational_text


@pytest.mark.parametrize(
    "text",
    [
        "i have been bleeding for 2 weeks",
        "i had spotting 3 weeks ago",
        "cramps for 20 weeks",
        "pressure since 22 weeks",
        "pain for 2 days",
        "the last 6 weeks ive had cramps",
        "in 2 weeks i have my scan",
        "my baby is 5 months old",
        "at my 20 week scan they said my cervix was short",
        "i lost a baby at 20 weeks last year",
        "my last baby was born at 30 weeks",
        "i had a cerclage put in at 13 weeks",
        "i had a second trimester miscarriage before",
        "my sister had her baby at 30 weeks",
        "3",
        "50",
        "bleeding every 2 weeks",
    ],
)
def test_not_gestational_age(text):
    assert extract(text).gestational_weeks is None


def test_gestation_parser_alone():
    parser = GestationParser(load_yaml(PATTERNS_DIR / "gestation.yml"))
    assert [c.weeks for c in parser.candidates("im 19 weeks and 5 days")] == [19.71]
    assert parser.number("twenty-two") == 22.0
    assert parser.candidates("for 3 weeks") == []


# -- typos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        ("loads of presure in my pelvis", "vaginal_pressure"),
        ("im spoting a bit today", "bleeding"),
        ("contractons at 22 weeks", "contractions"),
        ("bleding a little", "bleeding"),
        ("i have loads of dischrage", "discharge_change"),
        ("my stomache hurts", "abdominal_pain"),
        ("having contractoins i think pls help", "contractions"),
        ("vaginal dischage is different", "discharge_change"),
        ("feels like presure on my cervics", "vaginal_pressure"),
    ],
)
def test_typos(text, code):
    assert code in present(text)


def test_typo_normaliser_writes_norm(pipeline):
    doc = pipeline("presure spoting contractons bleding dischrage stomache cervics")
    assert [t.norm_ for t in doc] == [
        "pressure",
        "spotting",
        "contractions",
        "bleeding",
        "discharge",
        "stomach",
        "cervix",
    ]
    assert [t.text for t in doc][0] == "presure"  # the text itself is never changed


@pytest.mark.parametrize(
    "word", ["wife", "stairs", "mummy", "pump", "gosh", "hubby", "wipe", "blot"]
)
def test_common_words_are_never_corrected(pipeline, word):
    doc = pipeline(f"my {word} is here")
    assert doc[1].norm_ == word


def test_typo_corrector_rules():
    c = TypoCorrector(["pressure", "spotting", "cramp", "pain"], protected=["paint"])
    assert c.correct("presure") == "pressure"  # 7 letters: 1 edit
    assert c.correct("pressrue") == "pressure"  # transposition = 1 edit
    assert c.correct("prssur") is None  # 6 letters, 2 edits: too far
    assert c.correct("spottnig") == "spotting"
    assert c.correct("spotitnig") == "spotting"  # 9 letters: 2 edits allowed
    assert c.correct("pian") == "pain"
    assert c.correct("pan") is None  # under 4 letters: never
    assert c.correct("paint") is None  # protected common word
    assert osa_distance("dischrage", "discharge") == 1
    assert osa_distance("abc", "abc") == 0


# -- several symptoms, phrasing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, codes",
    [
        (
            "i have pressure, bleeding and cramps and my back hurts",
            {"vaginal_pressure", "bleeding", "abdominal_pain", "back_pain"},
        ),
        (
            "spotting and watery discharge with tightenings every 10 minutes",
            {"bleeding", "discharge_change", "contractions"},
        ),
        (
            "headache, blurry vision and my face has swollen up",
            {"headache", "visual_disturbance", "swelling"},
        ),
        (
            "i feel dizzy and have pain on my left side and shoulder tip pain",
            {"dizziness", "one_sided_pain", "shoulder_tip_pain"},
        ),
        ("baby moving less and my waters broke", {"reduced_movements", "fluid_leak"}),
        ("itchy palms, a fever and it burns when i pee", {"itching", "fever", "burning_urination"}),
        (
            "smelly discharge and thrush",
            {"smelly_discharge", "itchy_discharge", "discharge_change"},
        ),
        ("i think i had a show", {"mucus_plug"}),
    ],
)
def test_several_symptoms(text, codes):
    assert codes <= present(text)


@pytest.mark.parametrize(
    "text, code",
    [
        ("pressure down below", "vaginal_pressure"),
        ("heaviness in my vagina", "vaginal_pressure"),
        ("feels like the baby is pushing down", "vaginal_pressure"),
        ("pelvic pressure", "vaginal_pressure"),
        ("blood when I wipe", "bleeding"),
        ("pink discharge", "bleeding"),
        ("brown discharge", "bleeding"),
        ("cramps", "abdominal_pain"),
        ("cramping", "abdominal_pain"),
        ("tummy ache", "abdominal_pain"),
        ("period pain", "abdominal_pain"),
        ("dull ache in my lower back", "back_pain"),
        ("more discharge", "discharge_change"),
        ("watery discharge", "discharge_change"),
        ("mucus", "discharge_change"),
        ("my discharge changed", "discharge_change"),
        ("contractions", "contractions"),
        ("tightening", "contractions"),
        ("tightenings", "contractions"),
        ("it comes and goes", "contractions"),
        ("pains in waves", "contractions"),
        ("every 10 minutes", "contractions"),
        ("braxton hicks", "contractions"),
        ("my waters broke", "fluid_leak"),
        ("leaking fluid", "fluid_leak"),
        ("a gush", "fluid_leak"),
        ("a trickle", "fluid_leak"),
        ("wet knickers", "fluid_leak"),
        ("baby moving less", "reduced_movements"),
        ("not felt the baby move", "reduced_movements"),
        ("fewer kicks", "reduced_movements"),
    ],
)
def test_symptom_phrasing(text, code):
    assert code in present(text)
    assert code in {m.code for m in extract(text).symptoms}


@pytest.mark.parametrize(
    "text, absent_code",
    [
        ("my blood pressure is fine", "bleeding"),
        ("my blood pressure is fine", "vaginal_pressure"),
        ("i have a blood test tomorrow", "bleeding"),
        ("pain in my leg", "abdominal_pain"),
        ("i was discharged from hospital", "discharge_change"),
        ("i have a stitch in my side from running", "cerclage_in_place"),
        ("my baby is still moving lots", "reduced_movements"),
        ("what is a show", "mucus_plug"),
        ("bloody hell my tummy hurts", "bleeding"),
    ],
)
def test_false_friends(text, absent_code):
    x = extract(text)
    assert absent_code not in x.present and absent_code not in x.current_risk_factors


# -- bleeding amounts and red flags ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, amount",
    [
        ("some spotting", "spotting"),
        ("a smudge when wiping", "spotting"),
        ("brown spots in my knickers", "spotting"),
        ("blood when i wipe", "spotting"),
        ("light bleeding", "light"),
        ("it stains a pad", "light"),
        ("bleeding a little", "light"),
        ("heavy bleeding", "heavy"),
        ("soaking a pad", "heavy"),
        ("passing clots", "heavy"),
        ("blood is pouring out", "heavy"),
        ("lots of blood", "heavy"),
        ("filled a pad in an hour", "heavy"),
        ("started as spotting and now im soaking a pad every hour", "heavy"),
        ("ive been bleeding lightly since last night not soaking anything", "light"),
        ("light bleeding but not soaking a pad", "light"),
    ],
)
def test_bleeding_amount(text, amount):
    x = extract(text)
    assert x.bleeding_amount == amount
    assert "bleeding" in x.present
    assert ("heavy_bleeding" in x.present) == (amount == "heavy")


@pytest.mark.parametrize(
    "text",
    ["bleeding 5 months pregnant not heavy", "what if I bleed heavily", "no bleeding", "pressure"],
)
def test_no_bleeding_amount(text):
    assert extract(text).bleeding_amount is None
    assert "heavy_bleeding" not in extract(text).present


@pytest.mark.parametrize(
    "text, code",
    [
        ("soaking a pad in an hour", "heavy_bleeding"),
        ("passing clots", "heavy_bleeding"),
        ("im bleeding really heavily", "heavy_bleeding"),
        ("severe pain in my stomach that wont stop", "severe_constant_pain"),
        ("constant severe pain", "severe_constant_pain"),
        ("agonising pain that doesn't stop", "severe_constant_pain"),
        ("constant sharp pain in my belly it doesnt come and go", "severe_constant_pain"),
        ("i fainted", "fainting"),
        ("she passed out", "fainting"),
        ("i collapsed on the kitchen floor", "fainting"),
        ("i had a fit", "seizure"),
        ("she is having a seizure", "seizure"),
        ("i can feel the cord", "cord_felt"),
        ("something coming out of my vagina", "membranes_felt"),
        ("something is bulging", "membranes_felt"),
        ("i can feel a bag of water between my legs", "membranes_felt"),
    ],
)
def test_red_flags(text, code):
    assert code in RED_FLAGS
    assert code in present(text)


def test_red_flag_not_from_mild_pain():
    x = extract(
        "i have mild period type cramps they dont come and go just a mild ache all day not severe"
    )
    assert "severe_constant_pain" not in x.present
    assert "abdominal_pain" in x.present and "contractions" in x.absent


# -- Rasa entities -----------------------------------------------------------------------------


def test_rasa_entities_shape():
    text = "my wife is 22 weeks, no contractions but heavy bleeding and she had a lletz"
    entities = to_rasa_entities(extract(text))
    assert entities == sorted(entities, key=lambda e: (e["start"], e["end"]))
    keys = {"entity", "value", "start", "end", "confidence_entity", "extractor"}
    for e in entities:
        assert keys <= set(e) <= keys | {"role"}
        assert e["confidence_entity"] == 1.0 and e["extractor"] == "ClinicalEntityExtractor"
        assert isinstance(e["start"], int) and isinstance(e["end"], int) and e["start"] < e["end"]
    by = {(e["entity"], e["value"]): e for e in entities}
    assert (
        by[("gestational_age", 22.0)]["value"] == 22.0
        and "role" not in by[("gestational_age", 22.0)]
    )
    assert isinstance(by[("gestational_age", 22.0)]["value"], float)
    assert (
        text[by[("gestational_age", 22.0)]["start"] : by[("gestational_age", 22.0)]["end"]]
        == "22 weeks"
    )
    assert by[("symptom", "contractions")]["role"] == "negated"
    assert "role" not in by[("symptom", "heavy_bleeding")]
    assert "role" not in by[("symptom", "bleeding")]
    assert by[("bleeding_amount", "heavy")]["value"] == "heavy"
    assert by[("on_behalf", True)]["value"] is True
    assert "role" not in by[("risk_factor", "cervical_surgery")]


def test_rasa_entities_roles_and_dedupe():
    entities = to_rasa_entities(
        extract("what if I bleed? my mum had a stitch. bleeding, more bleeding, bleeding")
    )
    symptom = [e for e in entities if e["entity"] == "symptom"]
    assert [(e["value"], e.get("role")) for e in symptom] == [
        ("bleeding", "hypothetical"),
        ("bleeding", None),
    ]
    assert [(e["value"], e.get("role")) for e in entities if e["entity"] == "risk_factor"] == [
        ("cerclage_in_place", "other_person")
    ]
    hist = to_rasa_entities(extract("had cramps last week, gone now"))
    assert [(e["value"], e.get("role")) for e in hist] == [("abdominal_pain", "historical")]
    done = to_rasa_entities(extract("had cramps yesterday, gone now"))
    assert [(e["value"], e.get("role")) for e in done] == [("abdominal_pain", "resolved")]


def test_empty_extraction_has_no_entities():
    assert to_rasa_entities(extract("hello")) == []
    assert to_rasa_entities(Extraction()) == []


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😀😭",
        "<script>alert('x')</script>",
        "¿Qué es la insuficiencia cervical? Tengo sangrado.",
        "Ich habe Blutungen und Schmerzen",
        "x" * 20000,
        "\x00\x01\x02",
        "????!!!!....",
        "20/40/40",
        "+" * 500,
        None,
        12345,
    ],
)
def test_bad_input_never_raises(text):
    x = extract(text)
    assert isinstance(x, Extraction)
    assert isinstance(to_rasa_entities(x), list)
    if (
        not isinstance(text, str)
        or not text.strip()
        or text.startswith(("😀", "x", "?", "\x00", "+"))
    ):
        assert x == Extraction()


def test_long_message_is_read_in_pieces():
    text = ("I am fine today. " * 700) + "Now I have some bleeding and im 20 weeks."
    x = extract(text)
    assert "bleeding" in x.present and x.gestational_weeks == 20.0
    bleeding = [m for m in x.symptoms if m.code == "bleeding"][0]
    assert text[bleeding.start : bleeding.end] == bleeding.text


def test_offsets_point_at_the_words():
    text = "Hi, I’m 20 weeks and I’ve had some spotting, no contractions."
    x = extract(text)
    for m in x.symptoms:
        assert text[m.start : m.end] == m.text


def test_extract_never_logs_the_text(caplog):
    secret = "zqx my private pressure and bleeding zqx"
    with caplog.at_level(logging.DEBUG):
        extract(secret)
        extract("")
    assert not any("zqx" in r.getMessage() for r in caplog.records)


# -- components on their own, pattern hygiene --------------------------------------------------


def test_components_are_registered_and_in_order(pipeline):
    assert pipeline.pipe_names == [
        "sentencizer",
        "line_breaks",
        "typo_normalizer",
        "clinical_entities",
        "negex",
        "answer_negation",
        "clinical_context",
        "gestational_age",
    ]


def test_entity_component_alone():
    small = spacy.blank("en")
    small.add_pipe("typo_normalizer")
    small.add_pipe("clinical_entities")
    doc = small("heavy bleeding and some presure")
    assert [(e.text, e._.findings) for e in doc.ents] == [
        (
            "heavy bleeding",
            (("amount", "heavy"), ("symptom", "bleeding"), ("symptom", "heavy_bleeding")),
        ),
        ("presure", (("symptom", "vaginal_pressure"),)),
    ]


def test_entity_component_without_the_normaliser():
    small = spacy.blank("en")
    small.add_pipe("clinical_entities")
    assert [e.text for e in small("some cramping and spotting").ents] == ["cramping", "spotting"]


def test_context_component_alone():
    small = spacy.blank("en")
    small.add_pipe("sentencizer")
    small.add_pipe("typo_normalizer")
    small.add_pipe("clinical_entities")
    small.add_pipe("clinical_context")
    doc = small("what if I bleed, my sister had a stitch")
    assert [(e.text, e._.context) for e in doc.ents] == [
        ("bleed", "hypothetical"),
        ("stitch", "other_person"),
    ]


def test_patterns_are_valid_spacy_token_patterns():
    built = nlp.build_pipeline()
    small = spacy.blank("en")
    small.add_pipe("clinical_entities", config={"validate": True})  # raises on any bad pattern
    assert built.get_pipe("clinical_entities").patterns


def test_anchored_matcher_matches_like_spacy_matcher(pipeline):
    ents = pipeline.get_pipe("clinical_entities")
    plain = Matcher(pipeline.vocab)
    for key, patterns in ents.patterns.items():
        plain.add(key, patterns)
    texts = [
        ex.strip()[2:]
        for block in yaml.safe_load((ROOT / "data/nlu/symptoms.yml").read_text())["nlu"]
        for ex in block["examples"].splitlines()
        if ex.strip()
    ]
    assert len(texts) > 100
    for text in texts:
        doc = pipeline.make_doc(text)
        for name in ("sentencizer", "line_breaks", "typo_normalizer"):
            doc = pipeline.get_pipe(name)(doc)
        assert sorted(ents.matcher(doc)) == sorted(plain(doc)), text


def test_no_termination_word_inside_a_phrase(pipeline):
    """negex only negates entities that lie wholly inside one clause, so a negation termination
    word ("but", "when", ...) must never be part of a symptom phrase."""
    terms = {t for t in pipeline.get_pipe("negex").termination if " " not in t}
    for name in ("symptoms.yml", "bleeding_amounts.yml", "risk_factors.yml"):
        data = load_yaml(PATTERNS_DIR / name)
        from nlp.entities import read_concepts

        for concept in read_concepts(data, name)[0]:
            if concept.ignore:
                continue
            for phrase in concept.phrases:
                # (a final "!word" item is a word that must NOT follow: not part of the finding)
                literal = {
                    w.lstrip("=").rstrip("?")
                    for item in PhraseCompiler.split_veto(phrase)[0].split()
                    for w in item.split("|")
                    if not w.startswith(("@", "/", "<"))
                }
                assert not literal & terms, (phrase, literal & terms)


def test_pattern_files_have_no_yaml_booleans():
    """An unquoted no/yes/on/off in a YAML list is a boolean, not the word."""

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                assert not isinstance(item, bool) and item is not None, f"{where}[{i}] = {item!r}"
                walk(item, f"{where}[{i}]")

    for path in sorted(PATTERNS_DIR.glob("*.yml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)


def test_pattern_errors_are_loud(pipeline):
    compiler = PhraseCompiler(pipeline.tokenizer, {"BELLY": ["tummy"]})
    with pytest.raises(PatternError):
        compiler.compile("pain in my @NOSUCHCLASS")
    with pytest.raises(PatternError):
        compiler.compile("word?")
    with pytest.raises(PatternError):
        compiler.compile("sister-in-law|mum")
    from nlp.lexicon import string_list

    with pytest.raises(PatternError):
        string_list(["none", False], "answers")
    assert compiler.compile("@BELLY ache") == [{"LEMMA": "tummy"}, {"LEMMA": "ache"}]


def test_context_words_are_trimmed_from_the_finding():
    x = extract("no waters, no show, but some cramps")
    show = [m for m in x.symptoms if m.code == "mucus_plug"]
    assert [(m.text, m.negated) for m in show] == [("show", True)]
    assert "mucus_plug" in present("i think i had a show")
    assert "mucus_plug" not in present("can you show me how")


def test_a_clinician_can_add_a_phrase(tmp_path):
    """The documented way to extend the patterns: edit the YAML, rebuild the pipeline."""
    import shutil

    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    symptoms = patterns / "symptoms.yml"
    symptoms.write_text(
        symptoms.read_text().replace(
            "  vaginal_pressure:\n", "  vaginal_pressure:\n    - like a melon between my legs\n", 1
        )
    )
    custom = nlp.build_pipeline(patterns_dir=str(patterns))
    doc = custom("it feels like a melon between my legs, no bleeding")
    assert [(e.text, e._.findings, bool(e._.negex)) for e in doc.ents] == [
        ("like a melon between my legs", (("symptom", "vaginal_pressure"),), False),
        ("bleeding", (("symptom", "bleeding"),), True),
    ]
    assert "vaginal_pressure" not in present(
        "it feels like a melon"
    )  # the shared pipeline is untouched


def test_anchored_matcher_fallback(pipeline):
    m = AnchoredMatcher(pipeline.vocab)
    m.add("NUM_WEEKS", [[{"LIKE_NUM": True}, {"LOWER": "weeks"}]])
    m.add("PAIN", [[{"LEMMA": {"IN": ["pain", "ache"]}}]])
    doc = pipeline("20 weeks and some pain")
    assert [(pipeline.vocab.strings[i], s, e) for i, s, e in m(doc)] == [
        ("NUM_WEEKS", 0, 2),
        ("PAIN", 4, 5),
    ]


# -- the training examples (regression guard on the project's own phrasing) --------------------

INTENT_CODES = {
    "report_pressure": {"vaginal_pressure"},
    "report_bleeding": {"bleeding"},
    "report_pain": {"abdominal_pain", "back_pain"},
    "report_discharge": {"discharge_change", "smelly_discharge", "itchy_discharge"},
    "report_contractions": {"contractions"},
    "report_fluid_leak": {"fluid_leak"},
    "report_reduced_movements": {"reduced_movements"},
    "report_red_flag": set(RED_FLAGS),
}


@pytest.mark.parametrize("intent", sorted(INTENT_CODES))
def test_training_examples_recall(intent):
    data = yaml.safe_load((ROOT / "data/nlu/symptoms.yml").read_text())
    examples = [
        ex.strip()[2:]
        for block in data["nlu"]
        if block["intent"] == intent
        for ex in block["examples"].splitlines()
        if ex.strip()
    ]
    if not examples:
        pytest.skip(f"no examples for {intent}")
    missed = [ex for ex in examples if not (INTENT_CODES[intent] & present(ex))]
    assert len(missed) / len(examples) <= 0.07, missed


def test_no_symptom_examples_have_no_current_symptoms():
    data = yaml.safe_load((ROOT / "data/nlu/symptoms.yml").read_text())
    examples = [
        ex.strip()[2:]
        for block in data["nlu"]
        if block["intent"] == "report_no_symptoms"
        for ex in block["examples"].splitlines()
        if ex.strip()
    ]
    assert [ex for ex in examples if present(ex)] == []
