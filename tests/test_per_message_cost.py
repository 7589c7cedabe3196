"""The Rasa server's per-message savings change no result (issue 11 item 7, docs/decisions.md):

- rasa_patches/graph_runner.py: the model's graph run in order without dask gives the same
  NLU parse (intent, ranking, confidences, entities) and the same next actions as dask did;
- rasa_patches/constants.py: event classes and the empty domain looked up once;
- nlp/encoder.py: a short message's sentence vector computed once and kept.

The graph runner is compared on the trained model (loaded in this process with Rasa's Agent)
over the frozen held-out messages and whole conversations; the others are pure.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

import channels  # noqa: F401 - installs the patches, as the Rasa server does
from rasa_patches import constants, graph_runner

ROOT = Path(__file__).resolve().parents[1]

#: Rasa 3.6.21's methods the patches replace: if Rasa changes them, read the patches again.
RASA_SOURCES_SHA256 = {
    DaskGraphRunner.run: "45f0f52f574f3aa9546a552bf671183e171092c18b66e97f5771a7fa295de37e",
    Event.resolve_by_type: "b5cf570fa7f286c7059ec73d8880528d03a78b28cf4e80285a46079c0fa65968",
    Domain.is_empty: "884be90ef485f1d2c0f140657a47f106a7d2785b63b03e46cd699b4072e95369",
}


def test_installed_by_the_channels_package():
    assert DaskGraphRunner.run is graph_runner.run
    assert Event.resolve_by_type is constants.resolve_by_type
    assert Domain.is_empty is constants.is_empty


def test_rasas_methods_are_the_ones_the_patches_were_written_for():
    originals = {
        DaskGraphRunner.run: graph_runner._original,
        Event.resolve_by_type: constants._original_resolve,
        Domain.is_empty: constants._original_is_empty,
    }
    for patched, original in originals.items():
        digest = hashlib.sha256(inspect.getsource(original).encode()).hexdigest()
        assert digest == RASA_SOURCES_SHA256[patched], original.__qualname__


def test_event_classes_resolve_as_rasa_resolves_them():
    for cls in (UserUttered, ActionExecuted, SlotSet):
        assert Event.resolve_by_type(cls.type_name) is constants._original_resolve(cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is cls  # now from the kept table
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    stored = [e.as_dict() for e in (ActionExecuted("action_listen"), SlotSet("weeks", 20))]
    assert [Event.from_parameters(d) for d in stored] == [
        ActionExecuted("action_listen"),
        SlotSet("weeks", 20),
    ]


def test_domain_is_empty_answers_as_rasa():
    full = Domain.load(str(ROOT / "domain.yml"))
    for domain in (Domain.empty(), full):
        assert domain.is_empty() is constants._original_is_empty(domain)
    assert Domain.empty().is_empty() and not full.is_empty()


def test_short_messages_are_encoded_once_and_give_the_same_vector():
    from nlp import encoder as enc
    from nlp.sentence_featurizer import encoder_for

    encoder = encoder_for(layers=4)
    for text in ("no", "20 weeks", "yes i am"):
        ids = encoder.tokenizer.encode(text)
        assert len(ids) <= enc.CACHE_MAX_IDS
        first, again = encoder.encode(text), encoder.encode(text)
        assert again is first and not first.flags.writeable  # kept, and cannot be changed
        np.testing.assert_array_equal(first, encoder.encode_ids(ids))
    long_text = "i have pressure down below and a bit of spotting since last night"
    assert len(encoder.tokenizer.encode(long_text)) > enc.CACHE_MAX_IDS
    assert encoder.encode(long_text) is not encoder.encode(long_text)  # never kept


# ---------------------------------------------------------------- the graph, on the model


def _heldout_texts(limit: int = 120) -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "nlu_heldout.yml").read_text())
    texts = []
    for block in data["nlu"]:
        texts += [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
    step = max(1, len(texts) // limit)
    return texts[::step][:limit] + ["/deny", "", "20 weeks", "no"]


CONVERSATIONS = [
    ("hi", "i have pressure down below and a bit of spotting", "20 weeks", "no"),
    ("im 23 weeks and bleeding heavily with clots", "yes"),
    ("what is cervical insufficiency", "thanks bye"),
]


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    from eval.servers import model_path

    return Agent.load(model_path())


async def _parses_and_actions(agent) -> tuple[list, list]:
    parses = [await agent.parse_message(text) for text in _heldout_texts()]
    actions = []
    processor = agent.processor
    for n, conversation in enumerate(CONVERSATIONS):
        tracker = await processor.tracker_store.get_or_create_tracker(f"runner-{n}")
        for text in conversation:
            parse = await agent.parse_message(text)
            tracker.update(UserUttered(text, parse["intent"], parse["entities"], parse))
            prediction = processor._predict_next_with_tracker(tracker)
            actions.append(
                (
                    processor.domain.action_names_or_texts[prediction.max_confidence_index],
                    prediction.max_confidence,
                    prediction.policy_name,
                )
            )
            tracker.update(ActionExecuted("action_listen"))
    return parses, actions


@pytest.mark.e2e
def test_the_graph_without_dask_predicts_exactly_what_dask_did(agent):
    graph_runner.uninstall()
    try:
        with_dask = asyncio.run(_parses_and_actions(agent))
    finally:
        graph_runner.install()
    without = asyncio.run(_parses_and_actions(agent))
    assert DaskGraphRunner.run is graph_runner.run
    assert without[1] == with_dask[1]
    assert len(without[0]) == len(with_dask[0]) > 100
    for mine, theirs in zip(without[0], with_dask[0], strict=True):
        assert mine == theirs  # the whole parse: intent, ranking, confidences, entities
