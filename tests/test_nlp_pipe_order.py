"""The clinical spaCy pipeline's order is checked by spaCy itself: every factory of nlp/ declares
what it reads (``requires``) and writes (``assigns``), and ``nlp.analyze_pipes()`` finds each
requirement set by an earlier component. A new component, or a reordering, that reads what nothing
before it wrote shows up here instead of as a silently worse extraction."""

from __future__ import annotations

import spacy

from nlp.pipeline import PIPE_NAMES, build_pipeline

OURS = {
    "line_breaks",
    "typo_normalizer",
    "clinical_entities",
    "clinical_negex",
    "answer_negation",
    "clinical_context",
    "gestational_age",
}


def test_the_project_pipeline_has_no_unmet_requirement():
    nlp = build_pipeline()
    assert tuple(nlp.pipe_names) == PIPE_NAMES
    analysis = nlp.analyze_pipes(pretty=False)
    assert {name: p for name, p in analysis["problems"].items() if p} == {}


def test_every_project_component_declares_what_it_writes():
    nlp = build_pipeline()
    factories = {nlp.get_pipe_meta(name).factory: name for name in nlp.pipe_names}
    assert set(factories) >= OURS
    for factory in OURS:
        meta = nlp.get_pipe_meta(factories[factory])
        assert meta.assigns, f"{factory} declares no assigns"
        if factory != "typo_normalizer":  # the first of ours reads only the tokenizer's output
            assert meta.requires, f"{factory} declares no requires"


def test_a_component_out_of_order_is_reported():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("clinical_entities")  # before the normalizer that writes norm and lemma
    nlp.add_pipe("typo_normalizer")
    problems = nlp.analyze_pipes(pretty=False)["problems"]
    assert sorted(problems["clinical_entities"]) == ["token.lemma", "token.norm"]
    assert problems["typo_normalizer"] == []
