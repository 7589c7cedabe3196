"""The semantic red-flag bank: loading, matching, and what its match adds to a message."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.codes import RED_FLAGS
from nlp.rasa_components import semantic_red_flag_entities
from nlp.red_flag_bank import POSSIBLE_RED_FLAG, RedFlagBank, load_bank


def test_the_bank_names_only_red_flags_and_covers_the_999_list():
    bank = load_bank()
    assert set(bank) <= RED_FLAGS
    for code in ("heavy_bleeding", "severe_constant_pain", "fainting", "seizure", "chest_pain",
                 "breathlessness", "membranes_felt", "cord_felt", "self_harm"):
        assert bank.get(code), code


def test_a_bad_bank_fails_at_start_up(tmp_path):
    path = tmp_path / "bank.yml"
    path.write_text("bank:\n  sore_toe: [my toe hurts]\n")
    with pytest.raises(ValueError, match="unknown red-flag codes"):
        load_bank(path)


def _fake_encode(text: str) -> np.ndarray:
    """A toy encoder: one axis per keyword, so that nearness is easy to reason about."""
    axes = ("chest", "blood", "breathe", "cake")
    return np.array([float(word in text) for word in axes], dtype=np.float32) + 1e-6


def test_nearest_description_and_threshold():
    bank = RedFlagBank({"chest_pain": ["chest"], "heavy_bleeding": ["blood"]}, _fake_encode)
    code, score = bank.best(_fake_encode("my chest"))
    assert code == "chest_pain" and score > 0.99
    assert bank.match(_fake_encode("cake"), 0.5) is None
    assert bank.match(_fake_encode("blood"), 0.5)[0] == "heavy_bleeding"


def test_a_match_adds_possible_red_flag_only_when_the_lexicon_found_none():
    assert semantic_red_flag_entities(None, [], "x") == []
    added = semantic_red_flag_entities("chest_pain", [], "x")
    assert [e["value"] for e in added] == [POSSIBLE_RED_FLAG]
    own_flag = [{"entity": "symptom", "value": "fainting"}]
    assert semantic_red_flag_entities("chest_pain", own_flag, "x") == []
    heavy = [{"entity": "bleeding_amount", "value": "heavy"}]
    assert semantic_red_flag_entities("heavy_bleeding", heavy, "x") == []
    # Someone else's red flag, or a denied one, does not stop the bank's question.
    others = [{"entity": "symptom", "value": "fainting", "role": "other_person"}]
    assert semantic_red_flag_entities("fainting", others, "x")
