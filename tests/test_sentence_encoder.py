"""nlp/encoder.py computes what the reference implementation computes, and the featurizer and
classifier feed it to the intent model as designed.

tests/data/encoder_reference.json holds, for sentences chosen to cover the tokeniser's corners
(accents, emoji, Chinese, Cyrillic, markup, punctuation, a word longer than 100 characters, a
message longer than the 256-token limit), the token ids and embeddings that sentence-transformers
itself produced from the same pinned files (see its "generated_by").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from nlp.encoder import DEFAULT_DIR, MAX_TOKENS, basic_tokens
from nlp.sentence_featurizer import SentenceEncoderFeaturizer, _checked, encoder_for

REFERENCE = json.loads((Path(__file__).parent / "data" / "encoder_reference.json").read_text())
CASES = REFERENCE["cases"]


@pytest.fixture(scope="module")
def encoder():
    return encoder_for()


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_token_ids_match_the_reference_tokenizer(encoder, case):
    assert encoder.tokenizer.encode(case["text"]) == case["ids"]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_embeddings_match_sentence_transformers(encoder, case):
    mine = encoder.encode(case["text"])
    assert mine.shape == (384,) and mine.dtype == np.float32
    np.testing.assert_allclose(mine, np.array(case["embedding"]), atol=2e-6)
    assert abs(float(np.linalg.norm(mine)) - 1.0) < 1e-5


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_the_first_four_layers_match_the_reference_cut_the_same_way(case):
    """config.yml uses the first four of the six layers: checked against sentence-transformers
    with its model cut to four layers."""
    mine = encoder_for(layers=4).encode(case["text"])
    np.testing.assert_allclose(mine, np.array(case["embedding_first_4_layers"]), atol=2e-6)


def test_the_depth_is_bounded():
    from nlp.encoder import SentenceEncoder

    with pytest.raises(ValueError):
        SentenceEncoder(DEFAULT_DIR, layers=7)


def test_long_messages_are_cut_at_the_model_limit(encoder):
    ids = encoder.tokenizer.encode("pressure " * 1000)
    assert (
        len(ids) == MAX_TOKENS
        and ids[0] == encoder.tokenizer.cls
        and ids[-1] == encoder.tokenizer.sep
    )


def test_basic_tokens_lowercase_strip_accents_and_split_punctuation():
    assert basic_tokens("Crème-brûlée, 19+3!") == ["creme", "-", "brulee", ",", "19", "+", "3", "!"]
    assert basic_tokens("a\u0000b\tc") == ["ab", "c"]


def test_meaning_not_just_words(encoder):
    """The reason the encoder is there: paraphrases without shared words are close."""
    recur = encoder.encode("does cervical insufficiency recur")
    again = encoder.encode("will it happen again in my next pregnancy")
    weather = encoder.encode("what is the weather like tomorrow")
    assert float(recur @ again) > float(recur @ weather) + 0.2


def test_weights_that_do_not_match_their_pin_are_refused(tmp_path, encoder):
    for name in ("config.json", "vocab.txt"):
        (tmp_path / name).write_bytes((DEFAULT_DIR / name).read_bytes())
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="SHA-256"):
        _checked(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="make setup"):
        _checked(tmp_path)


def test_the_featurizer_adds_one_weighted_dense_row(encoder):
    featurizer = SentenceEncoderFeaturizer("encoder", encoder, weight=3.0)
    text = "some spotting at 20 weeks"
    message, payload = Message(data={TEXT: text}), Message(data={TEXT: "/affirm"})
    featurizer.process([message, payload])
    row = message.get_dense_features(TEXT)[1].features
    assert row.shape == (1, 384)
    np.testing.assert_allclose(row[0], encoder.encode(text) * 3.0, rtol=1e-6)
    assert message.get_dense_features(TEXT)[0] is None  # sentence features only
    zero = payload.get_dense_features(TEXT)[1].features
    assert zero.shape == (1, 384) and not zero.any()


def test_the_classifier_scales_sparse_rows_and_keeps_dense_weights(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from nlp.rasa_components import LogisticRegressionIntentClassifier

    clf = LogisticRegressionIntentClassifier(
        {"C": 30.0}, "clf", LocalModelStorage(tmp_path), Resource("clf")
    )
    assert clf.clf.C == 30.0
    message = Message(data={TEXT: "x"})
    message.add_features(
        Features(scipy.sparse.coo_matrix([[3.0, 4.0, 0.0]]), FEATURE_TYPE_SENTENCE, TEXT, "counts")
    )
    message.add_features(Features(np.array([[2.0, 0.0]]), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    message.add_features(
        Features(scipy.sparse.coo_matrix([[0.0, 0.0]]), FEATURE_TYPE_SENTENCE, TEXT, "none")
    )
    row = clf._create_X([message]).toarray()
    np.testing.assert_allclose(row, [[0.6, 0.8, 0.0, 2.0, 0.0, 0.0, 0.0]])
    raw = LogisticRegressionIntentClassifier(
        {"normalize_sparse": False}, "clf", LocalModelStorage(tmp_path), Resource("clf2")
    )
    np.testing.assert_allclose(
        raw._create_X([message]).toarray(), [[3.0, 4.0, 0.0, 2.0, 0.0, 0.0, 0.0]]
    )
