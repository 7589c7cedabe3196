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

The pipeline runs ``clinical_negex`` (under the name ``negex``): negspacy's ``Negex`` with three
corrections in how it picks its negation and termination phrases, everything else unchanged:

* a negation phrase that overlaps a finding is part of that finding, not a negation of what
  follows: "not as active" and "baby isn't moving" are findings (reduced movements), "won't stop"
  describes a pain, so none of them negates the next finding ("the baby isn't as active as
  usual", "cramps that never let up and loads of blood");
* a pseudo-negation ("not sure", "not much") cancels the negation phrases that start inside it,
  not also the one right after it (negspacy compares with the pseudo-negation's exclusive end
  inclusively, so "not much no clots" lost its "no");
* a termination phrase inside a negation phrase does not end that negation ("it's" ends a
  clause, "I don't think it's my waters" is still negated).

negex needs ``doc.sents``; ``line_breaks`` runs after spaCy's ``sentencizer`` and also starts a
new sentence after a line break, because chat messages often have no full stops.
``answer_negation`` runs after negex for the one form it cannot see: a finding answered with a
bare "no" after punctuation ("bleeding? no", "contractions: none").
"""
# (no "from __future__ import annotations": spaCy resolves the factory signatures at runtime)

import copy
import functools
from typing import Any, Mapping

from negspacy.negation import Negex
from spacy.language import Language
from spacy.tokens import Doc

from .lexicon import load_yaml, patterns_path, string_list

KEYS = ("pseudo_negations", "preceding_negations", "following_negations", "termination")


def _variants(term: str) -> set[str]:
    term = " ".join(term.split())
    out = {term}
    if "'" in term or "’" in term:
        plain = term.replace("’", "'")
        out |= {plain, plain.replace("'", ""), plain.replace("'", "’")}
    return out


def build_termset(
    settings_file: str = "negation.yml", patterns_dir: str | None = None
) -> dict[str, list[str]]:
    """negspacy's termset (a fresh copy: negspacy's own ``termset`` objects share one dict)."""
    from negspacy.termsets import termset

    settings: Mapping[str, Any] = load_yaml(patterns_path(settings_file, patterns_dir)) or {}
    base = copy.deepcopy(termset(str(settings.get("base_termset", "en_clinical"))).get_patterns())
    terms: dict[str, set[str]] = {key: set(base.get(key, [])) for key in KEYS}
    # (answer_negations / answer_separators are read by the answer_negation component.)
    for key, values in (settings.get("remove") or {}).items():
        if key not in KEYS:
            raise ValueError(f"negation.yml: unknown key remove.{key}")
        for value in string_list(values, f"negation.yml remove.{key}"):
            terms[key] -= _variants(value)
    for key, values in (settings.get("add") or {}).items():
        if key not in KEYS:
            raise ValueError(f"negation.yml: unknown key add.{key}")
        for value in string_list(values, f"negation.yml add.{key}"):
            terms[key] |= _variants(value)
    return {key: sorted(values) for key, values in terms.items()}


@functools.cache
def negex_words(key: str) -> tuple[str, ...]:
    """The phrases of one list of the termset negex uses (``build_termset`` on negation.yml):
    the one place where what denies and what ends a denial is written. The checks outside negex
    that read a denial themselves (the amount answers in entities.py, the "no symptoms" check in
    intent_override.py) take their words from here."""
    if key not in KEYS:
        raise ValueError(f"unknown negex list {key}")
    return tuple(build_termset()[key])


@Language.factory(
    "clinical_negex",
    default_config={
        "neg_termset": None,
        "ent_types": [],
        "extension_name": "negex",
        "chunk_prefix": [],
        "settings_file": "negation.yml",
        "patterns_dir": None,
    },
    requires=["doc.sents", "doc.ents", "token.norm", "span._.findings"],
    assigns=["span._.negex"],
)
def make_clinical_negex(
    nlp: Language,
    name: str,
    neg_termset: dict | None,
    ent_types: list,
    extension_name: str,
    chunk_prefix: list,
    settings_file: str,
    patterns_dir: str | None,
) -> "ClinicalNegex":
    negex = ClinicalNegex(
        nlp,
        name,
        neg_termset or build_termset(settings_file, patterns_dir),
        ent_types,
        extension_name,
        chunk_prefix,
    )
    negex.configure(load_yaml(patterns_path(settings_file, patterns_dir)) or {})
    return negex


class ClinicalNegex(Negex):
    """negspacy's negex with the corrections of the module docstring, and two of our own:

    * "and" right before a finding ends a negation's reach: "no contractions and back ache"
      keeps the back ache (the safe reading of an ambiguous list);
    * an uncertain negation ("I don't think", "not sure") of the codes in
      ``uncertain_negation_keeps`` is no absence: "I don't think my waters have gone" is a
      possible leak, to be checked, not a denied one."""

    and_words: frozenset[str] = frozenset()
    and_skip: frozenset[str] = frozenset()
    uncertain_keeps: frozenset[str] = frozenset()
    uncertain: tuple[tuple[str, ...], ...] = ()

    def configure(self, settings: Mapping[str, Any]) -> None:
        conj = settings.get("and_before_finding") or {}
        self.and_words = frozenset(string_list(conj.get("words"), "and_before_finding.words"))
        self.and_skip = frozenset(string_list(conj.get("skip"), "and_before_finding.skip"))
        unsure = settings.get("uncertain_negation") or {}
        self.uncertain_keeps = frozenset(
            string_list(unsure.get("keeps"), "uncertain_negation.keeps")
        )
        self.uncertain = tuple(
            tuple(t.norm_ for t in self.nlp.tokenizer(p))
            for p in string_list(unsure.get("phrases"), "uncertain_negation.phrases")
        )

    def __call__(self, doc: Doc) -> Doc:
        doc = self.negex(doc)
        if self.uncertain_keeps and self.uncertain:
            self._keep_uncertain(doc)
        return doc

    def _keep_uncertain(self, doc: Doc) -> None:
        norms = [t.norm_ for t in doc]
        starts: list[tuple[int, int]] = []  # (start, end) of each uncertain phrase
        for i in range(len(norms)):
            for phrase in self.uncertain:
                if tuple(norms[i : i + len(phrase)]) == phrase:
                    starts.append((i, i + len(phrase)))
        if not starts:
            return
        for ent in doc.ents:
            if not ent._.negex:
                continue
            codes = {code for kind, code in ent._.findings if kind == "symptom"}
            if not codes or not codes <= self.uncertain_keeps:
                continue
            sent_start = ent.sent.start
            if any(sent_start <= s and e <= ent.start for s, e in starts):
                ent._.negex = False

    def _and_terminations(self, doc: Doc, ents: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """(start, end) of each "and" that is followed by a finding (a few words allowed)."""
        if not self.and_words:
            return []
        inside: set[int] = set()
        for es, ee in ents:
            inside.update(range(es, ee))
        starts = {es for es, _ in ents}
        out = []
        for token in doc:
            if token.i in inside or token.lower_ not in self.and_words:
                continue
            j = token.i + 1
            while j < len(doc) and j - token.i <= 3 and doc[j].lower_ in self.and_skip:
                j += 1
            if j in starts:
                out.append((token.i, token.i + 1))
        return out

    def process_negations(self, doc: Doc) -> tuple[list, list, list]:
        strings = self.nlp.vocab.strings
        pseudo: list[tuple[int, int]] = []
        found: dict[str, list[tuple[int, int, int]]] = {
            "Preceding": [],
            "Following": [],
            "Termination": [],
        }
        matches = self.matcher(doc)
        for match_id, start, end in matches:
            if strings[match_id] == "pseudo":
                pseudo.append((start, end))
        ents = [(e.start, e.end) for e in doc.ents]
        for match_id, start, end in matches:
            kind = strings[match_id]
            if kind not in found:
                continue
            if any(ps <= start < pe for ps, pe in pseudo):
                continue
            if kind != "Termination" and any(start < ee and es < end for es, ee in ents):
                continue  # a negation word inside a finding belongs to the finding
            found[kind].append((match_id, start, end))
        # A termination word inside a negation phrase does not end it ("don't think it's").
        negations = [(s, e) for _, s, e in found["Preceding"] + found["Following"]]
        terminating = [
            t for t in found["Termination"] if not any(s <= t[1] < e for s, e in negations)
        ]
        if found["Preceding"] or found["Following"]:
            term_id = strings.add("Termination")
            terminating += [(term_id, s, e) for s, e in self._and_terminations(doc, ents)]
            terminating += [(term_id, s, e) for s, e in _dash_terminations(doc)]
            terminating.sort(key=lambda t: t[1])
        return found["Preceding"], found["Following"], terminating


#: Dashes that, with a space either side, open a new clause.
DASHES = frozenset({"-", "–", "—"})


def _dash_terminations(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) of each dash with a space either side: it opens a new clause ("I wouldn't
    say I'm not in pain - there's a low ache"), where a hyphen does not ("one-sided")."""
    return [
        (t.i, t.i + 1)
        for t in doc
        if t.text in DASHES and t.i > 0 and doc[t.i - 1].whitespace_ and t.whitespace_
    ]


@Language.factory(
    "line_breaks",
    default_config={},
    # After the sentencizer, which would otherwise overwrite the line breaks' sentence starts.
    requires=["token.is_sent_start"],
    assigns=["token.is_sent_start", "doc.sents"],
)
def make_line_breaks(nlp: Language, name: str) -> "LineBreaks":
    return LineBreaks()


class LineBreaks:
    """Start a sentence after any whitespace token that holds a line break."""

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if token.is_space and "\n" in token.text and token.i + 1 < len(doc):
                doc[token.i + 1].is_sent_start = True
        return doc


@Language.factory(
    "answer_negation",
    default_config={"settings_file": "negation.yml", "patterns_dir": None},
    # After negex, whose span._.negex it sets for a finding answered with a bare "no".
    requires=["doc.ents", "span._.negex"],
    assigns=["span._.negex"],
)
def make_answer_negation(
    nlp: Language, name: str, settings_file: str, patterns_dir: str | None
) -> "AnswerNegation":
    settings = load_yaml(patterns_path(settings_file, patterns_dir)) or {}
    answers = [
        tuple(t.lower_ for t in nlp.tokenizer(a))
        for a in string_list(settings.get("answer_negations"), "answer_negations")
    ]
    separators = set(string_list(settings.get("answer_separators"), "answer_separators"))
    return AnswerNegation(answers, separators)


class AnswerNegation:
    """Negate a finding answered with a bare "no": "bleeding? no", "contractions: none",
    "pain - nope". The answer must end the clause (so "light bleeding no pain" keeps its bleeding)."""

    def __init__(self, answers: list[tuple[str, ...]], separators: set[str]) -> None:
        self.answers = sorted(answers, key=len, reverse=True)
        self.separators = separators

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        for ent in doc.ents:
            i = ent.end
            skipped = 0
            while i < n and skipped < 2 and (doc[i].text in self.separators or doc[i].is_space):
                i += 1
                skipped += 1
            for answer in self.answers:
                end = i + len(answer)
                if end <= n and tuple(t.lower_ for t in doc[i:end]) == answer:
                    if end == n or doc[end].is_punct or doc[end].is_space:
                        ent._.negex = True
                    break
        return doc
