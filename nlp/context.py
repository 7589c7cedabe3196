"""``clinical_context``: is a finding the patient's own, now? (a small ConText, after medspacy)

Rules come from ``patterns/context.yml``. Each rule has trigger phrases (pattern language of
:mod:`nlp.lexicon`, matched on ``token.norm_``), a category and a direction:

* ``hypothetical`` ("what if", "in case", "should I worry if"), ``historical`` ("gone now",
  "last pregnancy", "used to") and ``other_person`` ("my mum", "my sister") change the context of
  the findings in their scope;
* ``on_behalf`` ("my wife", "my girlfriend", "asking for her") leaves the findings CURRENT - they
  are the pregnant person's - and sets ``doc._.on_behalf``;
* ``third_person`` ("she", "her") means the person named before: another person if the message
  named one ("my mum had a stitch, she..."), otherwise the pregnant person the user writes for.

A scope runs from the trigger to the end of its clause (``forward``), from the start of the clause
to the trigger (``backward``), or both. Clauses end at punctuation, line breaks, sentence ends and
the ``terminators`` ("but", "however", "now", ...). A backward trigger that opens its clause on its
own ("had cramps yesterday, gone now") reaches back into the previous clause (``ellipsis``).
Rules marked ``stop_at_first_person`` end at "I"/"me" ("my sister had a stitch and I'm bleeding");
``max_scope: N`` limits a scope to N words (general questions: "what is a cerclage").
``pseudo`` phrases ("as if", "not sure if") cancel triggers they overlap, and a trigger inside a
finding ("baby has stopped kicking") is not a trigger. When scopes overlap the stronger category
wins: other_person > hypothetical > historical > current.

Outputs: ``span._.context`` on every entity, ``doc._.token_contexts`` (one category per token),
``doc._.clause_ids`` (-1 on boundaries), ``doc._.on_behalf`` and ``doc._.on_behalf_span``.
"""
# (no "from __future__ import annotations": spaCy resolves the factory signatures at runtime)

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from .codes import RED_FLAGS
from .lexicon import (
    PatternError,
    PhraseCompiler,
    ensure_lemmas,
    load_classes,
    load_yaml,
    patterns_path,
    string_list,
)
from .matching import AnchoredMatcher

CURRENT, RESOLVED, HYPOTHETICAL, HISTORICAL, OTHER_PERSON = (
    "current",
    "resolved",
    "hypothetical",
    "historical",
    "other_person",
)
PRIORITY = {CURRENT: 0, RESOLVED: 1, HISTORICAL: 2, HYPOTHETICAL: 3, OTHER_PERSON: 4}
SCOPED = {RESOLVED, HYPOTHETICAL, HISTORICAL, OTHER_PERSON}
CATEGORIES = SCOPED | {"on_behalf", "third_person"}
DIRECTIONS = {"forward", "backward", "both"}

for _name, _default in (
    ("token_contexts", None),
    ("clause_ids", None),
    ("on_behalf", False),
    ("on_behalf_span", None),
):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)
if not Span.has_extension("context"):
    Span.set_extension("context", default=CURRENT)


@dataclass(frozen=True)
class Rule:
    key: str
    category: str
    direction: str
    ellipsis: bool
    stop_at_first_person: bool
    void_if_first_person_within: int
    max_scope: int
    phrases: tuple[str, ...]
    clears_negation: bool = False
    symptoms_only: bool = False


@dataclass
class Trigger:
    rule: Rule
    start: int
    end: int
    category: str


def read_rules(data: Mapping[str, Any]) -> list[Rule]:
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        category = str(raw.get("category", ""))
        direction = str(raw.get("direction", "forward"))
        if category not in CATEGORIES:
            raise PatternError(f"context rule {i}: unknown category {category!r}")
        if direction not in DIRECTIONS:
            raise PatternError(f"context rule {i}: unknown direction {direction!r}")
        raw_phrases = raw.get("phrases") or []
        if any(p is None or not str(p).strip() for p in raw_phrases):
            raise PatternError(f"context rule {i}: empty phrase (in YAML, ' #' starts a comment)")
        phrases = tuple(string_list(raw_phrases, f"context rule {i}"))
        if not phrases:
            raise PatternError(f"context rule {i}: no phrases")
        rules.append(
            Rule(
                key=f"context_rule_{i}",
                category=category,
                direction=direction,
                ellipsis=bool(raw.get("ellipsis", False)),
                stop_at_first_person=bool(raw.get("stop_at_first_person", False)),
                void_if_first_person_within=int(raw.get("void_if_first_person_within", 0)),
                max_scope=int(raw.get("max_scope", 0)),
                phrases=phrases,
                clears_negation=bool(raw.get("clears_negation", False)),
                symptoms_only=bool(raw.get("symptoms_only", False)),
            )
        )
    return rules


def context_vocabulary(
    nlp: Language,
    context_file: str = "context.yml",
    classes_file: str = "classes.yml",
    patterns_dir: str | None = None,
) -> set[str]:
    """The trigger words, for the typo normaliser ("pregnacy" -> "pregnancy")."""
    data = load_yaml(patterns_path(context_file, patterns_dir))
    compiler = PhraseCompiler(nlp.tokenizer, load_classes(classes_file, patterns_dir))
    words: set[str] = set()
    for rule in read_rules(data):
        for phrase in rule.phrases:
            words |= compiler.vocabulary(phrase)
    return words


@Language.factory(
    "clinical_context",
    default_config={
        "context_file": "context.yml",
        "classes_file": "classes.yml",
        "patterns_dir": None,
    },
    requires=[
        "token.norm",
        "token.lemma",
        "token.is_sent_start",
        "doc.sents",
        "doc.ents",
        "span._.findings",
        "span._.negex",
    ],
    # span._.negex: a finding that has stopped ("I'm not bleeding anymore") was there: not negated.
    assigns=[
        "span._.context",
        "span._.negex",
        "doc._.token_contexts",
        "doc._.clause_ids",
        "doc._.on_behalf",
        "doc._.on_behalf_span",
    ],
)
def make_clinical_context(
    nlp: Language, name: str, context_file: str, classes_file: str, patterns_dir: str | None
) -> "ClinicalContext":
    return ClinicalContext(nlp, name, context_file, classes_file, patterns_dir)


class ClinicalContext:
    def __init__(
        self,
        nlp: Language,
        name: str = "clinical_context",
        context_file: str = "context.yml",
        classes_file: str = "classes.yml",
        patterns_dir: str | None = None,
    ) -> None:
        self.name = name
        data = load_yaml(patterns_path(context_file, patterns_dir))
        compiler = PhraseCompiler(nlp.tokenizer, load_classes(classes_file, patterns_dir))
        self.rules = {rule.key: rule for rule in read_rules(data)}
        words = {
            key: frozenset(w.lower() for w in string_list(data.get(key), f"{context_file}: {key}"))
            for key in (
                "boundary_punctuation",
                "first_person",
                "ellipsis_fillers",
                "carers",
                "self_words",
            )
        }
        self.punctuation = words["boundary_punctuation"]
        self.first_person = words["first_person"]
        self.fillers = words["ellipsis_fillers"]
        self.carers = words["carers"]
        self.self_words = self.first_person | words["self_words"]
        promote = data.get("promote_to_on_behalf") or {}
        self.promote_within = int(promote.get("within", 2))
        # "she is 22 weeks" anywhere in the message: the person named is the pregnant one.
        self.promote_subjects = frozenset(
            w.lower() for w in string_list(promote.get("subjects"), "promote_to_on_behalf.subjects")
        )
        # A red flag of one of these people, in a message about a pregnancy, is written for her.
        red = data.get("red_flag_on_behalf") or {}
        self.red_flag_people = frozenset(
            w.lower() for w in string_list(red.get("people"), "red_flag_on_behalf.people")
        )
        self.pregnancy_words = frozenset(
            w.lower()
            for w in string_list(red.get("pregnancy_words"), "red_flag_on_behalf.pregnancy_words")
        )
        self.past_words = frozenset(
            w.lower() for w in string_list(red.get("past_words"), "red_flag_on_behalf.past_words")
        )
        self.red_flags = frozenset(RED_FLAGS)
        #: Findings that a "stopped"/"anymore" does not make resolved: "I don't feel the kicks
        #: anymore" is a reduced-movements finding now.
        self.not_resolvable = frozenset(string_list(data.get("not_resolvable"), "not_resolvable"))

        self.matcher = AnchoredMatcher(nlp.vocab)
        strings = nlp.vocab.strings
        self._rule_of: dict[int, Rule] = {}
        for key, rule in self.rules.items():
            self.matcher.add(key, [compiler.compile(p) for p in rule.phrases])
            self._rule_of[strings[key]] = rule
        self._pseudo = strings.add("context_pseudo")
        self._terminator = strings.add("context_terminator")
        self._promote = strings.add("context_promote")
        self._self_report = strings.add("context_self_report")
        for key, phrases in (
            ("context_pseudo", data.get("pseudo")),
            ("context_terminator", data.get("terminators")),
            ("context_promote", promote.get("phrases")),
            ("context_self_report", data.get("question_then_self_report")),
        ):
            if phrases:
                self.matcher.add(key, [compiler.compile(p) for p in string_list(phrases, key)])

    # clauses ---------------------------------------------------------------------------

    def clause_ids(self, doc: Doc, terminators: list[tuple[int, int]]) -> list[int]:
        n = len(doc)
        boundary = [False] * n
        for start, end in terminators:
            for i in range(start, end):
                boundary[i] = True
        ids = [0] * n
        cid = 0
        for token in doc:
            i = token.i
            if (
                boundary[i]
                or token.text in self.punctuation
                or (token.is_space and "\n" in token.text)
            ):
                ids[i] = -1
                cid += 1
                continue
            if i > 0 and token.is_sent_start and ids[i - 1] != -1:
                cid += 1
            ids[i] = cid
        return ids

    # the component ---------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        ensure_lemmas(doc)
        n = len(doc)
        matches = self.matcher(doc)
        pseudo = [(s, e) for m, s, e in matches if m == self._pseudo]
        self_reports = [s for m, s, _ in matches if m == self._self_report]
        promotions = [(s, e) for m, s, e in matches if m == self._promote]
        ent_ranges = [(ent.start, ent.end) for ent in doc.ents]

        def overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
            return any(start < re and rs < end for rs, re in ranges)

        triggers: list[Trigger] = []
        for match_id, start, end in matches:
            rule = self._rule_of.get(match_id)
            if rule is None or overlaps(start, end, pseudo) or overlaps(start, end, ent_ranges):
                continue
            triggers.append(Trigger(rule, start, end, rule.category))
        trigger_ranges = [(t.start, t.end) for t in triggers]
        terminators = [
            (s, e)
            for m, s, e in matches
            if m == self._terminator and not overlaps(s, e, trigger_ranges)
        ]
        ids = self.clause_ids(doc, terminators)
        norms = [t.norm_ for t in doc]

        def first_person_within(start: int, count: int) -> bool:
            return any(norms[i] in self.first_person for i in range(start, min(n, start + count)))

        # Who is who: promotions, voided on-behalf triggers, pronouns.
        triggers.sort(key=lambda t: (t.start, -t.end))
        resolved: list[Trigger] = []
        on_behalf_span: tuple[int, int] | None = None
        carers_present = any(norm in self.carers for norm in norms)
        self_mentioned = any(norm in self.self_words for norm in norms)
        # "she's 22 weeks pregnant" anywhere: the person the message is about is pregnant.
        pregnant_she = any(
            ps > 0 and norms[ps - 1] in self.promote_subjects and norms[ps] not in ("was", "were")
            for ps, _ in promotions
        )
        for trig in triggers:
            if trig.category == OTHER_PERSON and (
                any(trig.end <= ps <= trig.end + self.promote_within for ps, _ in promotions)
                or (pregnant_she and not self._self_pregnant(promotions, norms))
                or self._red_flag_for(trig, doc, ids, norms)
            ):
                trig.category = "on_behalf"
            if trig.category == "on_behalf":
                within = trig.rule.void_if_first_person_within
                if within and first_person_within(trig.end, within):
                    continue
                if on_behalf_span is None:
                    on_behalf_span = (trig.start, trig.end)
                continue
            if trig.category == "third_person":
                named_other = any(
                    t.category == OTHER_PERSON and t.start < trig.start for t in resolved
                )
                if named_other:
                    trig.category = OTHER_PERSON
                else:
                    # "she" is the pregnant person the user writes for when she is said to be
                    # pregnant ("she's 20 weeks"), or when nobody else is named and the user
                    # says nothing about herself ("she passed out in the bathroom"; but not
                    # "baby feels low like she's sitting on my cervix").
                    promoted = any(
                        trig.end <= ps <= trig.end + self.promote_within for ps, _ in promotions
                    )
                    alone = (
                        not carers_present
                        and not self_mentioned
                        and not any(t.category == OTHER_PERSON for t in triggers)
                    )
                    if (promoted or alone) and on_behalf_span is None:
                        on_behalf_span = (trig.start, trig.end)
                    continue
            resolved.append(trig)

        contexts = [CURRENT] * n
        general = [CURRENT] * n  # without the symptoms_only rules (for risk factors)
        clears = [False] * n
        for trig in resolved:
            for i in self._scope(trig, ids, norms):
                if PRIORITY[trig.category] > PRIORITY[contexts[i]]:
                    contexts[i] = trig.category
                if not trig.rule.symptoms_only and PRIORITY[trig.category] > PRIORITY[general[i]]:
                    general[i] = trig.category
                if trig.rule.clears_negation:
                    clears[i] = True
        for ent in doc.ents:
            best = CURRENT
            symptom = any(kind == "symptom" for kind, _ in ent._.findings)
            use = contexts if symptom else general
            for i in range(ent.start, ent.end):
                if PRIORITY[use[i]] > PRIORITY[best]:
                    best = use[i]
            if (
                best == HYPOTHETICAL
                and self_reports
                and self._asked_then_reported(ent, doc, self_reports)
            ):
                best = CURRENT  # "is spotting a sign of ...? I've had it all day"
            if best == RESOLVED:
                codes = {code for kind, code in ent._.findings if kind == "symptom"}
                if codes and codes <= self.not_resolvable:
                    best = CURRENT
                elif any(clears[i] for i in range(ent.start, ent.end)):
                    # "I'm not bleeding anymore": the bleed was there and has stopped.
                    ent._.negex = False
            ent._.context = best
        doc._.token_contexts = contexts
        doc._.clause_ids = ids
        doc._.on_behalf = on_behalf_span is not None
        doc._.on_behalf_span = (
            (
                doc[on_behalf_span[0] : on_behalf_span[1]].start_char,
                doc[on_behalf_span[0] : on_behalf_span[1]].end_char,
            )
            if on_behalf_span
            else None
        )
        return doc

    @staticmethod
    def _asked_then_reported(ent: Span, doc: Doc, self_reports: list[int]) -> bool:
        """The finding is in a question ("... ?") and a later sentence says the user has it."""
        sent = ent.sent
        if not any(t.text == "?" for t in sent):
            return False
        return any(start >= sent.end for start in self_reports)

    def _self_pregnant(self, promotions: list[tuple[int, int]], norms: list[str]) -> bool:
        """Does the user say she is pregnant herself ("I'm 20 weeks")? Then another person
        named in the message is somebody else, even if she is pregnant too."""
        return any(
            ps > 0 and (norms[ps - 1] in self.first_person or norms[ps - 1] in ("m", "'m", "am"))
            for ps, _ in promotions
        )

    def _red_flag_for(self, trig: Trigger, doc: Doc, ids: list[int], norms: list[str]) -> bool:
        """A red flag said of a wife, daughter, sister, friend ... in a message about a pregnancy
        ("my sister just collapsed, 30 weeks"), not in the past ("my sister had a fit")."""
        if not self.red_flag_people or not any(
            norms[i] in self.red_flag_people for i in range(trig.start, trig.end)
        ):
            return False
        if not any(norm in self.pregnancy_words for norm in norms):
            return False
        scope = set(self._scope(trig, ids, norms))
        for ent in doc.ents:
            if ent.start not in scope:
                continue
            if not any(
                kind == "symptom" and code in self.red_flags for kind, code in ent._.findings
            ):
                continue
            # A past word between the person and the red flag, or after it in the same clause
            # ("my friend bled heavily when she was pregnant"), makes it her history.
            clause = ids[ent.start]
            after = range(ent.end, len(norms))
            if any(norms[i] in self.past_words for i in range(trig.end, ent.end)) or any(
                norms[i] in self.past_words for i in after if ids[i] == clause
            ):
                continue
            return True
        return False

    def _scope(self, trig: Trigger, ids: list[int], norms: list[str]) -> list[int]:
        n = len(ids)
        cid = next((ids[i] for i in range(trig.start, trig.end) if ids[i] != -1), -1)
        if cid == -1:
            return []
        scope: list[int] = []
        rule = trig.rule
        if rule.direction in ("forward", "both"):
            i = trig.end
            while i < n and ids[i] == cid:
                if rule.stop_at_first_person and norms[i] in self.first_person:
                    break
                if rule.max_scope and i - trig.end >= rule.max_scope:
                    break
                scope.append(i)
                i += 1
        if rule.direction in ("backward", "both"):
            i = trig.start - 1
            opening = True
            while i >= 0 and ids[i] == cid:
                if rule.max_scope and trig.start - 1 - i >= rule.max_scope:
                    opening = False
                    break
                if norms[i] not in self.fillers:
                    opening = False
                scope.append(i)
                i -= 1
            if rule.ellipsis and opening:
                # Skip the boundary tokens, then take the whole previous clause.
                while i >= 0 and ids[i] == -1:
                    i -= 1
                if i >= 0:
                    previous = ids[i]
                    while i >= 0 and ids[i] == previous:
                        scope.append(i)
                        i -= 1
        return scope


def context_of(doc: Doc, start: int, end: int) -> str:
    """The strongest context over tokens ``start:end`` (for spans that are not entities)."""
    contexts = doc._.token_contexts or []
    best = CURRENT
    for i in range(max(0, start), min(end, len(contexts))):
        if PRIORITY[contexts[i]] > PRIORITY[best]:
            best = contexts[i]
    return best


__all__: Sequence[str] = (
    "ClinicalContext",
    "context_of",
    "CURRENT",
    "RESOLVED",
    "HYPOTHETICAL",
    "HISTORICAL",
    "OTHER_PERSON",
)
