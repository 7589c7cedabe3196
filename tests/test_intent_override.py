"""nlp.intent_override: when the rules overrule the intent classifier (a pure function).

Every branch of the module docstring, table-driven: (text, classifier intent, entities,
vocabulary) -> the intent put in place, or None (the classifier's intent stands).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import nlp
from nlp.codes import RED_FLAGS, SYMPTOMS
from nlp.intent_override import (
    CONFIRMED_INTENTS,
    FALLBACK_INTENT,
    GESTATION_INTENT,
    INFORM_INTENTS,
    NO_SYMPTOMS_INTENT,
    NONSENSE_CHECKED_INTENTS,
    QUESTION_INTENTS,
    SYMPTOM_INTENT,
    SYMPTOM_REPORT_INTENTS,
    denied_spans,
    intent_override,
    more_than_a_complaint,
    words,
)

ROOT = Path(__file__).resolve().parents[1]
VOCAB = frozenset({"bleeding", "pressure", "weeks", "pregnant", "hello"})


def sym(code: str, role: str | None = None) -> dict:
    e = {"entity": "symptom", "value": code, "start": 0, "end": 1}
    if role:
        e["role"] = role
    return e


def rf(code: str, role: str | None = None) -> dict:
    return {**sym(code, role), "entity": "risk_factor"}


def intent(name: str | None, confidence: float = 0.9) -> dict:
    return {"name": name, "confidence": confidence}


AMOUNT_HEAVY = {"entity": "bleeding_amount", "value": "heavy", "start": 0, "end": 1}
AMOUNT_LIGHT = {"entity": "bleeding_amount", "value": "light", "start": 0, "end": 1}
WEEKS = {"entity": "gestational_age", "value": 20.0, "start": 0, "end": 1}


REPORT_WORDS = frozenset({"pinky", "loo"})


@pytest.mark.parametrize(
    "case, text, classifier, entities, vocabulary, expected, report_words",
    [
        # 1. red flags: current or resolved, or a heavy amount -> report_red_flag, always
        ("current red flag", "x", intent("inform_gestational_age"), [sym("heavy_bleeding")], VOCAB, "report_red_flag", frozenset()),
        ("resolved red flag", "x", intent("greet"), [sym("fainting", "resolved")], VOCAB, "report_red_flag", frozenset()),
        ("new red flag", "x", intent("ask_causes", 0.99), [sym("chest_pain")], VOCAB, "report_red_flag", frozenset()),
        ("self-harm", "x", intent("out_of_scope"), [sym("self_harm")], VOCAB, "report_red_flag", frozenset()),
        ("heavy amount alone", "x", intent("report_bleeding"), [AMOUNT_HEAVY], VOCAB, "report_red_flag", frozenset()),
        ("red flag over no-letter text", "!!!", intent(None, 0.0), [sym("seizure")], VOCAB, "report_red_flag", frozenset()),
        ("red flag already chosen", "x", intent("report_red_flag"), [sym("cord_felt")], VOCAB, "report_red_flag", frozenset()),
        # ... but not a negated, hypothetical, historical or other person's red flag
        ("negated red flag", "x", intent("report_bleeding"), [sym("heavy_bleeding", "negated"), sym("bleeding")], VOCAB, "report_bleeding", frozenset()),
        ("hypothetical red flag", "x", intent("ask_causes"), [sym("heavy_bleeding", "hypothetical")], VOCAB, None, frozenset()),
        ("historical red flag", "x", intent("inform_risk_factor"), [sym("fainting", "historical")], VOCAB, None, frozenset()),
        ("other person's red flag", "x", intent("greet"), [sym("seizure", "other_person")], VOCAB, None, frozenset()),
        ("light amount", "x", intent("report_bleeding"), [AMOUNT_LIGHT, sym("bleeding")], VOCAB, "report_bleeding", frozenset()),
        # 2. nothing to read -> nlu_fallback
        ("empty", "", intent("report_pain"), [], VOCAB, FALLBACK_INTENT, frozenset()),
        ("emoji", "😭😭", intent("greet"), [], VOCAB, FALLBACK_INTENT, frozenset()),
        ("punctuation", "?!...", intent(None, 0.0), [], frozenset(), FALLBACK_INTENT, frozenset()),
        ("no intent at all", "   ", None, [], VOCAB, FALLBACK_INTENT, frozenset()),
        # 3. nonsense the classifier took for a symptom, weeks or "no symptoms" -> nlu_fallback
        ("nonsense report", "zxq blorp", intent("report_pain"), [], VOCAB, FALLBACK_INTENT, frozenset()),
        ("nonsense inform", "zxq blorp", intent("inform_gestational_age"), [], VOCAB, FALLBACK_INTENT, frozenset()),
        ("nonsense no-symptoms", "zxq blorp", intent(NO_SYMPTOMS_INTENT), [], VOCAB, FALLBACK_INTENT, frozenset()),
        ("a known word", "zxq bleeding", intent("report_pain"), [], VOCAB, None, frozenset()),
        ("an entity", "zxq blorp", intent("inform_gestational_age"), [WEEKS], VOCAB, None, frozenset()),
        ("no vocabulary: check off", "zxq blorp", intent("report_pain"), [], frozenset(), None, frozenset()),
        ("not a checked intent", "zxq blorp", intent("greet"), [], VOCAB, None, frozenset()),
        ("a question is not checked", "zxq blorp", intent("ask_causes"), [], VOCAB, None, frozenset()),
        # 4. no current or resolved symptom -> the classifier's intent stands
        ("no symptom", "hello", intent("greet"), [], VOCAB, None, frozenset()),
        ("weeks only", "20 weeks", intent("inform_gestational_age"), [WEEKS], VOCAB, None, frozenset()),
        ("negated symptom only", "no bleeding", intent(NO_SYMPTOMS_INTENT), [sym("bleeding", "negated")], VOCAB, None, frozenset()),
        # ... except the patient's own risk factor the classifier could not place -> inform it
        ("scan finding, fallback", "my scan showed 22mm", intent(FALLBACK_INTENT, 0.2), [rf("short_cervix")], VOCAB, "inform_risk_factor", frozenset()),
        ("her history, asked about", "I had LLETZ, does it matter?", intent(FALLBACK_INTENT), [rf("cervical_surgery")], VOCAB, "inform_risk_factor", frozenset()),
        ("history, no symptoms", "I lost a baby at 20 weeks", intent(NO_SYMPTOMS_INTENT), [rf("previous_midtrimester_loss", "historical")], VOCAB, "inform_risk_factor", frozenset()),
        ("risk factor, question kept", "x", intent("ask_ultrasound"), [rf("short_cervix")], VOCAB, None, frozenset()),
        ("her history asked about while pregnant", "16 weeks, I have a heart shaped womb, does it matter?", intent("ask_what_is_ci"), [WEEKS, rf("uterine_anomaly")], VOCAB, "inform_risk_factor", frozenset()),
        ("her history asked about, not pregnant now", "I had a stitch, when is it put in?", intent("ask_cerclage"), [rf("cerclage_in_place")], VOCAB, None, frozenset()),
        ("her history asked about, pregnant now", "my scan showed a heart shaped womb, what does it mean for the pregnancy", intent("ask_ultrasound"), [rf("uterine_anomaly")], VOCAB, "inform_risk_factor", frozenset()),
        ("her history asked about, a past pregnancy", "I had a stitch in my last pregnancy, when is it put in?", intent("ask_cerclage"), [rf("cerclage_in_place")], VOCAB, None, frozenset()),
        ("someone else's risk factor", "x", intent(FALLBACK_INTENT), [rf("short_cervix", "other_person")], VOCAB, None, frozenset()),
        ("denied risk factor", "x", intent(FALLBACK_INTENT), [rf("short_cervix", "negated")], VOCAB, None, frozenset()),
        ("weeks the classifier could not place", "sorry I mean 24 not 34", intent(FALLBACK_INTENT, 0.2), [WEEKS], VOCAB, "inform_gestational_age", frozenset()),
        ("weeks, no correction, fallback", "hi 24 weeks just trying this", intent(FALLBACK_INTENT), [WEEKS], VOCAB, None, frozenset()),
        ("a question about a scan finding", "is a short cervix bad?", intent(FALLBACK_INTENT), [rf("short_cervix")], VOCAB, None, frozenset()),
        ("weeks with a greeting kept", "x", intent("greet"), [WEEKS], VOCAB, None, frozenset()),
        # ... and "no symptoms" with a word the bot did not place -> a problem it could not place
        ("no symptoms, unplaced words", "pinky on the loo roll, no pain", intent(NO_SYMPTOMS_INTENT), [{**sym("abdominal_pain", "negated"), "start": 26, "end": 30}], VOCAB, "report_other_symptom", REPORT_WORDS),
        ("no symptoms, all words placed", "hello, no pain", intent(NO_SYMPTOMS_INTENT), [{**sym("abdominal_pain", "negated"), "start": 10, "end": 14}], VOCAB, None, REPORT_WORDS),
        ("no report words: check off", "pinky on the loo roll", intent(NO_SYMPTOMS_INTENT), [], frozenset(), None, frozenset()),
        ("another intent is not checked", "pinky on the loo roll", intent("greet"), [], VOCAB, None, REPORT_WORDS),
        ("the weeks, unplaced words", "20 weeks, pinky on the loo roll", intent(GESTATION_INTENT), [{"entity": "gestational_age", "value": 20.0, "start": 0, "end": 8}], VOCAB, "report_other_symptom", REPORT_WORDS),
        ("the weeks alone", "20 weeks", intent(GESTATION_INTENT), [{"entity": "gestational_age", "value": 20.0, "start": 0, "end": 8}], VOCAB, None, REPORT_WORDS),
        ("her risk factor: its own rule", "my stitch, pinky on the loo roll", intent(NO_SYMPTOMS_INTENT), [{**rf("cerclage_in_place"), "start": 3, "end": 9}], VOCAB, "inform_risk_factor", REPORT_WORDS),
        ("pure question", "is spotting a sign?", intent("ask_what_is_ci", 0.2), [sym("bleeding", "hypothetical")], VOCAB, None, frozenset()),
        # 5. a report or inform intent with a symptom is confirmed
        ("report confirmed", "x", intent("report_pressure", 0.3), [sym("bleeding")], VOCAB, "report_pressure", frozenset()),
        ("other-symptom report kept", "x", intent("report_other_symptom"), [sym("vomiting")], VOCAB, "report_other_symptom", frozenset()),
        ("inform confirmed", "x", intent("inform_gestational_age"), [sym("vaginal_pressure"), WEEKS], VOCAB, "inform_gestational_age", frozenset()),
        ("inform risk factor confirmed", "x", intent("inform_risk_factor"), [sym("bleeding", "resolved")], VOCAB, "inform_risk_factor", frozenset()),
        # 6. anything else with a current or resolved symptom -> the symptom's intent
        ("confident question", "x", intent("ask_causes", 0.99), [sym("vaginal_pressure")], VOCAB, "report_pressure", frozenset()),
        ("unsure question", "x", intent("ask_cerclage", 0.1), [sym("bleeding")], VOCAB, "report_bleeding", frozenset()),
        ("question, resolved symptom", "x", intent("ask_what_is_ci"), [sym("fluid_leak", "resolved")], VOCAB, "report_fluid_leak", frozenset()),
        ("ask_human", "x", intent("ask_human"), [sym("contractions")], VOCAB, "report_contractions", frozenset()),
        ("no-symptoms overruled", "x", intent(NO_SYMPTOMS_INTENT), [sym("back_pain")], VOCAB, "report_pain", frozenset()),
        ("greeting", "x", intent("greet"), [sym("discharge_change")], VOCAB, "report_discharge", frozenset()),
        ("fallback", "x", intent(FALLBACK_INTENT, 0.2), [sym("reduced_movements")], VOCAB, "report_reduced_movements", frozenset()),
        ("no intent", "x", None, [sym("abdominal_pain")], VOCAB, "report_pain", frozenset()),
        ("first mapped symptom wins", "x", intent("affirm"), [sym("headache"), sym("bleeding")], VOCAB, "report_bleeding", frozenset()),
        ("unmapped symptom", "x", intent("affirm"), [sym("headache")], VOCAB, "report_other_symptom", frozenset()),
        ("period-type pain", "x", intent("unsure"), [sym("period_type_pain"), sym("abdominal_pain")], VOCAB, "report_pain", frozenset()),
        ("positional pain", "x", intent("ask_causes"), [sym("positional_pain")], VOCAB, "report_pain", frozenset()),
        ("epigastric pain", "x", intent("greet"), [sym("epigastric_pain")], VOCAB, "report_pain", frozenset()),
        ("calf pain", "x", intent("greet"), [sym("calf_pain")], VOCAB, "report_pain", frozenset()),
        ("trauma", "x", intent("greet"), [sym("abdominal_trauma")], VOCAB, "report_other_symptom", frozenset()),
        ("stitch problem", "x", intent("ask_cerclage"), [sym("stitch_problem")], VOCAB, "report_other_symptom", frozenset()),
        ("abuse", "x", intent("out_of_scope"), [sym("abuse")], VOCAB, "report_other_symptom", frozenset()),
        ("negated first, current second", "x", intent("greet"), [sym("bleeding", "negated"), sym("vaginal_pressure")], VOCAB, "report_pressure", frozenset()),
    ],
)  # fmt: skip
def test_override(case, text, classifier, entities, vocabulary, expected, report_words):
    assert intent_override(text, classifier, entities, vocabulary, report_words) == expected, case


def test_intent_sets_match_the_domain():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    named = SYMPTOM_REPORT_INTENTS | INFORM_INTENTS | QUESTION_INTENTS | {NO_SYMPTOMS_INTENT}
    assert named <= intents
    assert {i for i in intents if i.startswith("ask_")} == QUESTION_INTENTS
    assert {i for i in intents if i.startswith("inform_")} == INFORM_INTENTS
    reports = {i for i in intents if i.startswith("report_")}
    assert reports == SYMPTOM_REPORT_INTENTS | {NO_SYMPTOMS_INTENT}
    assert set(SYMPTOM_INTENT.values()) <= SYMPTOM_REPORT_INTENTS
    assert CONFIRMED_INTENTS == SYMPTOM_REPORT_INTENTS | INFORM_INTENTS
    assert NO_SYMPTOMS_INTENT not in CONFIRMED_INTENTS
    assert CONFIRMED_INTENTS | {NO_SYMPTOMS_INTENT} == NONSENSE_CHECKED_INTENTS


def test_codes_and_constants():
    from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

    assert FALLBACK_INTENT == DEFAULT_NLU_FALLBACK_INTENT_NAME
    assert set(SYMPTOM_INTENT) <= SYMPTOMS
    assert not set(SYMPTOM_INTENT) & RED_FLAGS  # red flags never reach the symptom map
    assert words("I'm BLEEDING at 20wks, ok?") == {"bleeding", "wks"}


def test_the_module_does_not_import_rasa():
    source = (ROOT / "nlp/intent_override.py").read_text(encoding="utf-8")
    assert "rasa" not in {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }


@pytest.mark.parametrize(
    "text, classifier, expected",
    [
        ("is spotting normal at 20 weeks? I'm spotting", "ask_what_is_ci", "report_bleeding"),
        (
            "is it normal to have pressure down there at 19 weeks? ive had it all day",
            "ask_causes",
            "report_pressure",
        ),
        ("is spotting a sign of cervical insufficiency?", "ask_what_is_ci", None),
        ("I bled heavily this morning, it's stopped now", "report_bleeding", "report_red_flag"),
        ("my wife just collapsed shes 25 weeks", "inform_gestational_age", "report_red_flag"),
        (
            "scan today showed my cervix is 22mm, I feel completely fine",
            FALLBACK_INTENT,
            "inform_risk_factor",
        ),
    ],
)
def test_with_the_real_extractor(text, classifier, expected):
    entities = nlp.to_rasa_entities(nlp.extract(text))
    assert intent_override(text, intent(classifier), entities, VOCAB) == expected


@pytest.mark.parametrize("text", ["heavy", "my legs feel heavy", "loads", "a lot"])
def test_an_amount_without_a_word_for_blood_is_no_red_flag(text):
    """ "heavy" alone is an answer to the bot's amount question, never heavy bleeding itself."""
    entities = nlp.to_rasa_entities(nlp.extract(text))
    assert intent_override(text, intent("affirm"), entities, VOCAB) != "report_red_flag"


def test_the_rasa_component_calls_it():
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlp.rasa_components import ClinicalEntityExtractor

    extractor = ClinicalEntityExtractor({}, None, None, VOCAB)
    message = Message(
        data={TEXT: "is spotting normal at 20 weeks? I'm spotting", INTENT: intent("ask_causes")}
    )
    extractor.process([message])
    chosen = message.get(INTENT)
    assert chosen["name"] == "report_bleeding" and chosen["classifier_intent"] == "ask_causes"


def test_words_the_lexicon_knows_are_no_finding_are_placed():
    """ "my gums bleed": an ignore phrase's words are not unplaced report words."""
    text = "20 weeks, my gums bleed"
    entities = [{**WEEKS, "start": 0, "end": 8}]
    words_ = frozenset({"gums", "bleed"})
    assert intent_override(text, intent(NO_SYMPTOMS_INTENT), entities, VOCAB, words_) == (
        "report_other_symptom"
    )
    assert (
        intent_override(text, intent(NO_SYMPTOMS_INTENT), entities, VOCAB, words_, [(13, 23)])
        is None
    )
    ext = nlp.extract(text)
    assert [text[a:b] for a, b in ext.ignored_spans] == ["gums bleed"]


@pytest.mark.parametrize(
    "text, denied",
    [
        ("no swelling or redness", ["no swelling or redness"]),
        ("doesnt sting or smell, is that a preg thing", ["doesnt sting or smell"]),
        (
            "No headache, eyesight fine, face and hands normal",
            ["No headache", " eyesight fine", " face and hands normal"],
        ),
        ("legs look normal in the day", ["legs look normal"]),
        # a clause ends at "but", "except", "just": what follows is said, not denied
        ("no pain but my face is really puffy", ["no pain "]),
        ("everything fine except my face is swollen", ["everything fine"]),
        ("no bleeding just a funny feeling", ["no bleeding "]),
        # saying something is not normal reports it; "it's" starts a new clause
        ("my face doesn't look normal", ["doesn't look normal"]),
        ("my face isn't right its swollen", ["isn't right "]),
        ("no pain and my face is puffy", ["no pain "]),
        # a denial said of body parts denies them too, unless it says they are not right
        ("hands and feet aren't itchy at all", ["hands and feet aren't itchy at all"]),
        ("my hands dont itch", ["my hands dont itch"]),
        ("hands itch and feet don't", ["don't"]),
        ("weird lump that doesn't hurt", ["doesn't hurt"]),
        # asking whether something is normal reports it
        ("Is cramp in the calves normal at 28 weeks?", []),
        ("burning in my chest, normal?", []),
    ],
)
def test_denied_spans(text, denied):
    assert [text[a:b] for a, b in denied_spans(text)] == denied


def test_denied_words_are_no_unplaced_report():
    """ "no symptoms" with a report word only where she denies it, or says it is normal, is "no
    symptoms"; with one said outside a denial, it is a problem not placed."""
    words_ = frozenset({"swelling", "face", "hands", "puffy", "temp"})
    for text in (
        "30 weeks, no swelling, eyes fine",
        "33 weeks, no headache, face and hands normal",
        "24 wks, no temp, otherwise fine",
    ):
        assert (
            intent_override(text, intent(NO_SYMPTOMS_INTENT), [], VOCAB | words_, words_) is None
        ), text
    for text in ("30 weeks, no pain but my face is puffy", "all normal, my hands are puffy"):
        assert (
            intent_override(text, intent(NO_SYMPTOMS_INTENT), [], VOCAB | words_, words_)
            == "report_other_symptom"
        ), text


def complaint(start: int, end: int) -> dict:
    return {**sym("common_complaint"), "start": start, "end": end}


@pytest.mark.parametrize(
    "text, complaints, more",
    [
        ("had a nosebleed this morning, stopped after 5 mins", [(6, 15)], False),
        ("burning in my chest after meals", [(0, 31)], False),
        # "and" ends the complaint's clause: "short of breath" is said beside it
        ("tired all the time and short of breath", [(0, 18)], True),
        # a clause that goes on about the complaint is the complaint's
        ("cramp in both calves at night, it goes when I stretch my feet up", [(0, 20)], False),
        ("heartburn after meals, worse lying down", [(0, 9)], False),
        ("heartburn after meals, my feet are burning", [(0, 9)], True),
        ("had a nosebleed this morning. also feel weird down below", [(6, 15)], True),
        # denied in the other sentence: nothing more said
        ("had a nosebleed this morning. nothing weird down below", [(6, 15)], False),
    ],
)
def test_a_complaint_places_its_own_clause_only(text, complaints, more):
    words_ = frozenset({"weird", "below", "breath", "burning", "feet", "lying"})
    entities = [complaint(a, b) for a, b in complaints]
    assert more_than_a_complaint(text, entities, words_) is more


def test_a_complaint_beside_another_finding_is_not_alone():
    """Another finding: the complaint is not alone, its rules decide."""
    text = "had a nosebleed. also feel weird down below"
    entities = [complaint(6, 15), sym("bleeding")]
    assert not more_than_a_complaint(text, entities, frozenset({"weird", "below"}))


def test_the_rasa_component_drops_a_complaint_that_is_not_alone():
    """The component reads "a nosebleed. and something weird down below" as a problem it could
    not place (the complaint is dropped), and a nosebleed alone as the complaint."""
    from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlp.rasa_components import ClinicalEntityExtractor

    report = frozenset({"weird", "below"})
    extractor = ClinicalEntityExtractor({}, None, None, VOCAB | report, report)
    values = []
    for text in ("20 weeks, had a nosebleed", "had a nosebleed. and feel weird down below"):
        message = Message(data={TEXT: text, INTENT: intent(NO_SYMPTOMS_INTENT)})
        extractor.process([message])
        values.append(
            (
                [e["value"] for e in message.get(ENTITIES) if e["entity"] == "symptom"],
                message.get(INTENT)["name"],
            )
        )
    assert values == [
        (["common_complaint"], "report_other_symptom"),
        ([], "report_other_symptom"),
    ]
