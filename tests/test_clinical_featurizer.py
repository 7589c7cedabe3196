"""nlp.rasa_components.ClinicalFeaturizer: the rule-based findings as intent features."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import nlp
from nlp.rasa_components import (
    EXTRACTION_KEY,
    FEATURE_NAMES,
    ClinicalFeaturizer,
    clinical_features,
    extraction_of,
)


def on(text: str) -> set[str]:
    row = clinical_features(nlp.extract(text))
    return {FEATURE_NAMES[i] for i in np.flatnonzero(row)}


def test_feature_names_are_unique_and_cover_every_symptom_mention():
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))
    assert "bleeding:present" in FEATURE_NAMES and "contractions:negated" in FEATURE_NAMES
    assert "bleeding:hypothetical" in FEATURE_NAMES and "bleeding:current" not in FEATURE_NAMES
    assert "bleeding:resolved" in FEATURE_NAMES and "self_harm:present" in FEATURE_NAMES


@pytest.mark.parametrize(
    "text, expected",
    [
        ("spotting 19+3", {"bleeding:present", "any_symptom_present", "gestational_age"}),
        ("21wks", {"gestational_age"}),
        ("no contractions", {"contractions:negated", "any_symptom_negated"}),
        (
            "im bleeding through my trousers",
            {
                "heavy_bleeding:present",
                "bleeding:present",
                "any_symptom_present",
                "any_red_flag_present",
            },
        ),
        ("what if i start bleeding", {"bleeding:hypothetical"}),
        # a resolved symptom is a finding, in its own column
        ("I bled this morning, it's stopped", {"bleeding:resolved", "any_symptom_present"}),
        (
            "i fainted earlier, its passed now",
            {"fainting:resolved", "any_symptom_present", "any_red_flag_present"},
        ),
        ("i have chest pain", {"chest_pain:present", "any_red_flag_present"}),
        ("i had a lletz", {"risk_factor"}),
        ("thanks bye", set()),
    ],
)
def test_findings_become_features(text, expected):
    assert expected <= on(text)
    if not expected:
        assert on(text) == set()


def test_a_failed_extraction_gives_zeros():
    assert not clinical_features(None).any()


def featurizer(weight: float = 1.0) -> ClinicalFeaturizer:
    return ClinicalFeaturizer("clinical_featurizer", weight)


def test_adds_one_weighted_sentence_feature_row_per_message():
    messages = [
        Message(data={TEXT: "pressure down below at 20 weeks"}),
        Message(data={TEXT: "hello"}),
    ]
    featurizer(3.0).process(messages)
    # Dense: the classifier scales sparse rows to unit length, which would undo the weight.
    assert messages[0].get_sparse_features(TEXT) == (None, None)
    first = messages[0].get_dense_features(TEXT)[1].features
    assert first.shape == (1, len(FEATURE_NAMES))
    assert set(first[first > 0]) == {3.0}
    assert first[0, FEATURE_NAMES.index("vaginal_pressure:present")] == 3.0
    assert not messages[1].get_dense_features(TEXT)[1].features.any()
    assert messages[0].get_dense_features(TEXT)[0] is None  # sentence features only


def test_button_payloads_and_training_examples_without_text():
    payload = Message(data={TEXT: '/inform_contractions{"contractions":"no"}'})
    featurizer().process([payload])  # an empty row: the classifier needs every column
    features = payload.get_dense_features(TEXT)[1].features
    assert features.shape == (1, len(FEATURE_NAMES)) and not features.any()
    data = TrainingData(
        [
            Message(data={TEXT: "bleeding", "intent": "report_bleeding"}),
            Message(data={"intent": "greet"}),
        ]
    )
    featurizer().process_training_data(data)
    assert data.training_examples[0].get_dense_features(TEXT)[1] is not None


def test_the_extraction_is_computed_once_and_kept_out_of_the_output():
    message = Message(data={TEXT: "some spotting"})
    first = extraction_of(message)
    assert extraction_of(message) is first and message.get(EXTRACTION_KEY) is first
    assert EXTRACTION_KEY not in message.as_dict(only_output_properties=True)


def test_the_training_cache_sees_a_change_of_the_findings():
    """Rasa's training cache keys a node by class, config and inputs, not code: the featurizer's
    config must carry the NLP fingerprint, or a new symptom code leaves a cached classifier
    trained on narrower rows and every message becomes "not understood". So must the
    extractor's, which learns its word lists at training."""
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.shared.importers.importer import TrainingDataImporter

    from nlp.rasa_components import NLP_FINGERPRINT, _nlp_fingerprint

    importer = TrainingDataImporter.load_from_config("config.yml", "domain.yml", ["data"])
    config = importer.get_config()
    schemas = DefaultV1Recipe().graph_config_for_recipe(config, {})
    nodes = [
        node
        for node in schemas.train_schema.nodes.values()
        if node.uses.__name__ in ("ClinicalFeaturizer", "ClinicalEntityExtractor")
    ]
    assert nodes
    for node in nodes:
        from rasa.utils.common import override_defaults

        merged = override_defaults(node.uses.get_default_config(), node.config)
        assert merged["nlp_fingerprint"] == NLP_FINGERPRINT == _nlp_fingerprint()


def test_report_words_are_learnt_without_function_words(tmp_path):
    """The "no symptoms" check's words: used only in symptom reports, and no function word
    ("them", "than", "below" report nothing)."""
    import json

    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from nlp.rasa_components import REPORT_WORDS_FILE, ClinicalEntityExtractor

    def example(text: str, intent: str) -> Message:
        return Message(data={TEXT: text, "intent": intent})

    storage = LocalModelStorage(tmp_path)
    resource = Resource("extractor")
    extractor = ClinicalEntityExtractor({}, storage, resource)
    extractor.train(
        TrainingData(
            [
                example("both of them are puffy, more than below", "report_other_symptom"),
                example("no symptoms at all", "report_no_symptoms"),
            ]
        )
    )
    with storage.read_from(resource) as directory:
        learnt = set(json.loads((directory / REPORT_WORDS_FILE).read_text()))
    assert "puffy" in learnt
    assert not learnt & {"them", "than", "below", "both", "more"}


def test_narrative_words_are_no_report_words():
    """Words of time and story ("stopped after 5 mins", "woke up") are never report words, and
    no word that names a symptom is listed among them."""
    from nlp.rasa_components import narrative_words

    NARRATIVE_WORDS = narrative_words()

    assert {"stopped", "mins", "woke", "lying", "wondering", "hour"} <= NARRATIVE_WORDS
    assert not NARRATIVE_WORDS & {"pain", "blood", "swelling", "burning", "face", "puffy", "leak"}
