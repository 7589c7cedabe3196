"""The negspacy termset and the sentence/line-break component that negex relies on.

negspacy 1.0.4's ``negex`` component (``negspacy.negation.Negex``) marks ``span._.negex`` on the
entities that a negation phrase precedes ("no contractions") or follows, within one sentence and
up to a termination phrase ("but", "however"). Its phrases are matched on the lower-case text.
We start from its ``en_clinical`` termset (``negspacy.termsets.termset``) and add and remove
phrases listed in ``patterns/negation.yml``:

* every phrase with an apostrophe is also added without it and with the typographic one
  ("doesn't", "doesnt", "doesn’t"), because people type all three;
* punctuation (",", ";", ":" and dashes) is a termination phrase, so a negation never reaches
  past the end of its clause ("no bleeding, cramps" keeps the cramps).

negex needs ``doc.sents``; ``line_breaks`` runs after spaCy's ``sentencizer`` and also starts a
new sentence after a line break, because chat messages often have no full stops.
"""
# (no "from __future__ import annotations": spaCy resolves the factory signatures at runtime)

import copy
from typing import Any, Iterable, Mapping

from spacy.language import Language
from spacy.tokens import Doc

from .lexicon import load_yaml, patterns_path

KEYS = ("pseudo_negations", "preceding_negations", "following_negations", "termination")


def _variants(term: str) -> set[str]:
    term = " ".join(term.split())
    out = {term}
    if "'" in term or "’" in term:
        plain = term.replace("’", "'")
        out |= {plain, plain.replace("'", ""), plain.replace("'", "’")}
    return out


def build_termset(settings_file: str = "negation.yml", patterns_dir: str | None = None) -> dict[str, list[str]]:
    """negspacy's termset (a fresh copy: negspacy's own ``termset`` objects share one dict)."""
    from negspacy.termsets import termset

    settings: Mapping[str, Any] = load_yaml(patterns_path(settings_file, patterns_dir)) or {}
    base = copy.deepcopy(termset(str(settings.get("base_termset", "en_clinical"))).get_patterns())
    terms: dict[str, set[str]] = {key: set(base.get(key, [])) for key in KEYS}
    for key, values in (settings.get("remove") or {}).items():
        if key not in KEYS:
            raise ValueError(f"negation.yml: unknown key remove.{key}")
        for value in values or []:
            terms[key] -= _variants(str(value))
    for key, values in (settings.get("add") or {}).items():
        if key not in KEYS:
            raise ValueError(f"negation.yml: unknown key add.{key}")
        for value in values or []:
            terms[key] |= _variants(str(value))
    return {key: sorted(values) for key, values in terms.items()}


@Language.factory("line_breaks", default_config={})
def make_line_breaks(nlp: Language, name: str) -> "LineBreaks":
    return LineBreaks()


class LineBreaks:
    """Start a sentence after any whitespace token that holds a line break."""

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if token.is_space and "\n" in token.text and token.i + 1 < len(doc):
                doc[token.i + 1].is_sent_start = True
        return doc


def negation_terms(nlp: Language) -> Mapping[str, Iterable[str]]:
    """The termset the pipeline's negex component was built with (for docs and tests)."""
    negex = nlp.get_pipe("negex")
    return {
        "pseudo_negations": negex.pseudo_negations,
        "preceding_negations": negex.preceding_negations,
        "following_negations": negex.following_negations,
        "termination": negex.termination,
    }
