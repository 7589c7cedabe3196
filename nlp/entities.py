"""``clinical_entities``: find symptoms, risk factors and bleeding amounts from the pattern files.

Each pattern file entry maps phrases (see :mod:`nlp.lexicon` for the phrase language) to what
they mean: symptom codes, risk-factor codes and/or a bleeding amount. The component

1. matches the phrases (spaCy ``Matcher`` token patterns, see :mod:`nlp.matching`) against the
   typo-corrected ``token.norm_`` and its lemma, so "presure" and "cramping" match;
2. trims ``[context]`` words off the edges of a match ("[no|had] =show" marks only "show") and
   drops every match that overlaps an ``ignore`` phrase ("blood pressure", "blood test"), its
   context words included ("baby has been [still]" is dropped in "baby is still moving");
3. drops matches that lie inside a longer match ("pain" inside "back pain", "bleeding" inside
   "heavy bleeding"): the longer phrase says everything it means itself;
4. merges matches that still overlap into one entity carrying all their findings;
5. writes the result to ``doc.ents`` (label SYMPTOM, RISK_FACTOR, BLEEDING_AMOUNT or MODIFIER),
   where negspacy's ``negex`` and our ``clinical_context`` read them. Each entity's findings are
   in ``span._.findings`` as ``(kind, code)`` pairs, kind being "symptom", "risk_factor",
   "amount" or "modifier". Amounts said without a word for blood (``amount_answers``: "loads",
   "not much") are no entity: they go to ``doc._.amount_answers`` and are read only as the
   answer to the bot's bleeding-amount question.

Modifiers (``modifiers:`` in symptoms.yml) are phrases that are no finding on their own but add
one to the finding they describe: "won't stop" after a pain makes it a constant pain. They are
entities so that negation and context reach them ("the pain is not unbearable", "what if it
doesn't stop"); :func:`nlp.extraction.extraction_from_doc` applies a current, affirmed modifier
to the nearest earlier current, affirmed finding of its sentence when that finding is one of its
targets and none of its exceptions (``modifier_targets``: each group of modifier phrases -> (the
codes it may modify, the codes that rule a finding out, the codes it takes away), so two groups
may add one code to different findings): "won't stop" said of
contractions means they keep coming, not a constant pain; "a sharp pain ... for a second" is a
brief positional pain, no longer the severe constant pain "sharp pain" alone would be).
"""
# (no "from __future__ import annotations": spaCy resolves the factory signatures at runtime)

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from spacy.language import Language
from spacy.schemas import validate_token_pattern
from spacy.tokens import Doc, Span

from .codes import BLEEDING_AMOUNTS, COMMON_COMPLAINT, RISK_FACTORS, SYMPTOMS
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
from .negation import negex_words

DEFAULT_PATTERN_FILES = ["symptoms.yml", "bleeding_amounts.yml", "risk_factors.yml"]
#: Words that deny the amount answer said just after them ("no clots", "not soaking"): negex's
#: one-word negations (nlp/patterns/negation.yml).
ANSWER_DENIALS = frozenset(w for w in negex_words("preceding_negations") if " " not in w) - {
    "its",
    "it's",
    "it’s",
}
#: ...unless one of these comes between: it starts another clause. negex's one-word
#: terminations, and "and" and "it", which in a short answer start the next part of it ("not
#: much and it's slowing").
ANSWER_CLAUSE_STARTS = frozenset(w for w in negex_words("termination") if " " not in w) | {
    "and",
    "it",
    "its",
}

if not Span.has_extension("findings"):
    Span.set_extension("findings", default=())
if not Doc.has_extension("amount_answers"):
    # Amounts said without a word for blood ("loads", "not much"): (start_char, end_char,
    # amount), kept out of doc.ents so that they change no finding, its negation or context.
    Doc.set_extension("amount_answers", default=())
if not Doc.has_extension("ignored_spans"):
    # Where an ignore phrase matched (character offsets): words the lexicon knows are no finding
    # ("my gums bleed"), so the "no symptoms" check does not count them as unplaced.
    Doc.set_extension("ignored_spans", default=())


#: A modifier's (targets, exceptions, replaced codes, words one of which must come earlier in its
#: sentence): see the module doc.
ModifierTargets = tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]


@dataclass(frozen=True)
class Concept:
    """What a group of phrases means."""

    key: str
    findings: tuple[tuple[str, str], ...] = ()
    phrases: tuple[str, ...] = ()
    ignore: bool = False
    source: str = ""
    targets: tuple[str, ...] = ()  # modifiers: the symptom codes they may modify ...
    unless: tuple[str, ...] = ()  # ... unless the finding is also one of these
    replaces: tuple[str, ...] = ()  # ... and the codes of that finding the modifier takes away
    after: str = ""  # or: a word class, one of whose words must come earlier in the sentence


def modifier_key(code: str, concept_key: str) -> str:
    """A modifier's finding in ``span._.findings``: the code it adds and its group of phrases
    (``"severe_constant_pain#symptoms.yml:modifiers[0]:12"``); :func:`modifier_code` gives the
    code back."""
    return f"{code}#{concept_key}"


def modifier_code(key: str) -> str:
    """The symptom code a modifier finding (:func:`modifier_key`) adds."""
    return key.partition("#")[0]


def _as_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        if any(v is None or str(v).strip() == "" for v in value):
            raise PatternError(
                f"{where}: empty phrase (in YAML, ' #' starts a comment: use <number>)"
            )
        return string_list(value, where)
    raise PatternError(f"{where}: expected a list of phrases, got {type(value).__name__}")


def _check(kind: str, code: str, where: str) -> None:
    known = {
        "symptom": SYMPTOMS,
        "risk_factor": RISK_FACTORS,
        "amount": set(BLEEDING_AMOUNTS),
        "answer": set(BLEEDING_AMOUNTS),
        "modifier": SYMPTOMS,
    }[kind]
    if code not in known:
        raise PatternError(f"{where}: unknown {kind} code {code!r}")


def read_concepts(data: Mapping[str, Any], source: str) -> tuple[list[Concept], set[str]]:
    """Turn one pattern file's content into concepts; also return the risk factors whose
    historical mentions stay historical (``history_is_current: false``)."""
    concepts: list[Concept] = []
    keep_historical: set[str] = set()

    def add(
        findings: list[tuple[str, str]],
        phrases: list[str],
        where: str,
        ignore: bool = False,
        targets: tuple[str, ...] = (),
        unless: tuple[str, ...] = (),
        replaces: tuple[str, ...] = (),
        after: str = "",
    ) -> None:
        for kind, code in findings:
            _check(kind, code, where)
        for code in targets + unless + replaces:
            _check("symptom", code, where)
        if not phrases:
            raise PatternError(f"{where}: no phrases")
        concepts.append(
            Concept(
                key=f"{source}:{where}:{len(concepts)}",
                findings=tuple(findings),
                phrases=tuple(phrases),
                ignore=ignore,
                source=source,
                targets=targets,
                unless=unless,
                replaces=replaces,
                after=after,
            )
        )

    for code, value in (data.get("symptoms") or {}).items():
        where = f"symptoms.{code}"
        if isinstance(value, Mapping):
            extra = [("symptom", c) for c in _as_list(value.get("also"), where)]
            add([("symptom", str(code))] + extra, _as_list(value.get("phrases"), where), where)
        else:
            add([("symptom", str(code))], _as_list(value, where), where)

    for i, entry in enumerate(data.get("combinations") or []):
        where = f"combinations[{i}]"
        findings = [("symptom", c) for c in _as_list(entry.get("symptoms"), where)]
        findings += [("risk_factor", c) for c in _as_list(entry.get("risk_factors"), where)]
        if entry.get("amount"):
            findings.append(("amount", str(entry["amount"])))
        add(findings, _as_list(entry.get("phrases"), where), where)

    for i, entry in enumerate(data.get("modifiers") or []):
        where = f"modifiers[{i}]"
        if not isinstance(entry, Mapping):
            raise PatternError(f"{where}: expected a mapping with symptoms, of and phrases")
        findings = [("modifier", c) for c in _as_list(entry.get("symptoms"), where)]
        targets = tuple(_as_list(entry.get("of"), where))
        unless = tuple(_as_list(entry.get("unless"), where))
        replaces = tuple(_as_list(entry.get("replaces"), where))
        after = str(entry.get("after") or "")
        if not findings or not (targets or after.startswith("@")):
            raise PatternError(f"{where}: a modifier needs symptoms, and of or after: @CLASS")
        add(
            findings,
            _as_list(entry.get("phrases"), where),
            where,
            targets=targets,
            unless=unless,
            replaces=replaces,
            after=after,
        )

    for amount, value in (data.get("bleeding_amounts") or {}).items():
        where = f"bleeding_amounts.{amount}"
        value = value if isinstance(value, Mapping) else {"phrases": value}
        findings = [("amount", str(amount))]
        findings += [("symptom", c) for c in _as_list(value.get("symptoms"), where)]
        add(findings, _as_list(value.get("phrases"), where), where)

    # Amounts said without a word for blood ("loads", "not much"): read only as the answer to
    # the bot's bleeding-amount question (Extraction.answered_amount).
    for amount, value in (data.get("amount_answers") or {}).items():
        where = f"amount_answers.{amount}"
        add([("answer", str(amount))], _as_list(value, where), where)

    for code, value in (data.get("risk_factors") or {}).items():
        where = f"risk_factors.{code}"
        value = value if isinstance(value, Mapping) else {"phrases": value}
        if value.get("history_is_current", True) is False:
            keep_historical.add(str(code))
        add([("risk_factor", str(code))], _as_list(value.get("phrases"), where), where)

    ignore = _as_list(data.get("ignore"), "ignore")
    if ignore:
        add([], ignore, "ignore", ignore=True)
    # A common discomfort of pregnancy ("a nosebleed", "heartburn", "cramp in both calves at
    # night") masks what it overlaps, as an ignore phrase does ("nose bleed" is no vaginal
    # bleeding), and is a finding of its own: COMMON_COMPLAINT.
    common = _as_list(data.get("common_complaints"), "common_complaints")
    if common:
        add([("symptom", COMMON_COMPLAINT)], common, "common_complaints", ignore=True)
    return concepts, keep_historical


def load_concepts(
    pattern_files: Sequence[str], patterns_dir: str | None = None
) -> tuple[list[Concept], set[str]]:
    concepts: list[Concept] = []
    keep_historical: set[str] = set()
    for name in pattern_files:
        path = patterns_path(name, patterns_dir)
        data = load_yaml(path)
        if not isinstance(data, Mapping):
            raise PatternError(f"{name}: expected a mapping at the top level")
        found, keep = read_concepts(data, path.stem)
        concepts.extend(found)
        keep_historical |= keep
    return concepts, keep_historical


def pattern_vocabulary(
    nlp: Language,
    pattern_files: Sequence[str],
    classes_file: str = "classes.yml",
    patterns_dir: str | None = None,
) -> set[str]:
    """Every word the entity patterns can match: the clinical vocabulary of the typo normaliser."""
    compiler = PhraseCompiler(nlp.tokenizer, load_classes(classes_file, patterns_dir))
    concepts, _ = load_concepts(pattern_files, patterns_dir)
    words: set[str] = set()
    for concept in concepts:
        if concept.ignore:
            continue
        for phrase in concept.phrases:
            words |= compiler.vocabulary(phrase)
    return words


def _select(
    matches: Iterable[tuple[int, int, int, int, int]],
    ignore_ids: set[int],
    complaint_ids: frozenset[int] | set[int] = frozenset(),
) -> list[tuple[int, int, list[int]]]:
    """Ignore-masking, containment and merging (steps 2-4 of the module docstring).

    ``matches`` are ``(match_id, start, end, full_start, full_end)``: the finding's tokens, and
    the whole match with its ``[context]`` words, which is what an ignore phrase masks. A
    common complaint (``complaint_ids``, also ignore phrases) does not mask a longer finding
    that takes it in ("severe heartburn", "heartburn that won't go" are epigastric pain)."""
    matches = list(matches)
    masks = [
        (start, end, match_id in complaint_ids)
        for match_id, start, end, _, _ in matches
        if match_id in ignore_ids
    ]
    spans: dict[tuple[int, int], list[int]] = {}
    for match_id, start, end, full_start, full_end in matches:
        if match_id in ignore_ids:
            continue
        if masks and any(
            full_start < me
            and ms < full_end
            and not (complaint and start <= ms and me <= end and end - start > me - ms)
            for ms, me, complaint in masks
        ):
            continue
        spans.setdefault((start, end), [])
        if match_id not in spans[(start, end)]:
            spans[(start, end)].append(match_id)
    ordered = sorted(spans, key=lambda k: (k[0], -k[1]))
    kept: list[tuple[int, int]] = []
    max_end = -1
    for start, end in ordered:
        if end <= max_end:  # inside an earlier, longer (or equal-start, longer) span
            continue
        kept.append((start, end))
        max_end = end
    # A span may still be contained in a later-starting one only if equal start; handled above.
    merged: list[tuple[int, int, list[int]]] = []
    for start, end in kept:
        ids = spans[(start, end)]
        if merged and start < merged[-1][1]:
            m_start, m_end, m_ids = merged[-1]
            merged[-1] = (m_start, max(m_end, end), m_ids + [i for i in ids if i not in m_ids])
        else:
            merged.append((start, end, list(ids)))
    return merged


@Language.factory(
    "clinical_entities",
    default_config={
        "pattern_files": DEFAULT_PATTERN_FILES,
        "classes_file": "classes.yml",
        "patterns_dir": None,
        "validate": False,
    },
    requires=["token.norm", "token.lemma"],
    assigns=["doc.ents", "token.ent_iob", "token.ent_type", "span._.findings"],
)
def make_clinical_entities(
    nlp: Language,
    name: str,
    pattern_files: list[str],
    classes_file: str,
    patterns_dir: str | None,
    validate: bool,
) -> "ClinicalEntities":
    return ClinicalEntities(nlp, name, pattern_files, classes_file, patterns_dir, validate)


def _answer_denied(doc: Doc, start: int) -> bool:
    """A denial among the three words before the amount answer at ``start``, in its clause
    ("no clots", "not soaking"); a comma, a sentence start or "but" ends the look back ("no,
    loads", "not sure but loads" are loads)."""
    sent_start = doc[start].sent.start if doc.has_annotation("SENT_START") else 0
    for token in reversed(doc[max(sent_start, start - 3) : start]):
        if token.is_punct or token.norm_ in ANSWER_CLAUSE_STARTS:
            return False
        if token.norm_ in ANSWER_DENIALS:
            return True
    return False


class ClinicalEntities:
    """Rule-based recogniser for the clinical findings in the pattern files."""

    def __init__(
        self,
        nlp: Language,
        name: str = "clinical_entities",
        pattern_files: Sequence[str] = tuple(DEFAULT_PATTERN_FILES),
        classes_file: str = "classes.yml",
        patterns_dir: str | None = None,
        validate: bool = False,
    ) -> None:
        self.name = name
        compiler = PhraseCompiler(nlp.tokenizer, load_classes(classes_file, patterns_dir))
        self.concepts, self.keep_historical = load_concepts(pattern_files, patterns_dir)
        #: Modifier group ("<code>#<concept key>", see :func:`modifier_key`) -> (the symptom
        #: codes it may modify, the codes that rule a finding out, the codes it takes away from
        #: the finding it modifies, the words one of which must come earlier). Each group of
        #: modifier phrases keeps its own targets, so two groups may add the same code to
        #: different findings (a tummy pain "that won't stop", a tightening "that won't go soft").
        self.modifier_targets: dict[str, ModifierTargets] = {}
        for concept in self.concepts:
            for kind, code in concept.findings:
                if kind == "modifier":
                    after = (
                        compiler.class_norms(concept.after[1:], concept.key)
                        if concept.after
                        else frozenset()
                    )
                    self.modifier_targets[modifier_key(code, concept.key)] = (
                        frozenset(concept.targets),
                        frozenset(concept.unless),
                        frozenset(concept.replaces),
                        frozenset(after),
                    )
        # Schema validation of every pattern costs ~0.2 s at start-up; the tests validate.
        self.matcher = AnchoredMatcher(nlp.vocab)
        self.patterns: dict[str, list[list[dict[str, Any]]]] = {}
        self._findings: dict[int, tuple[tuple[str, str], ...]] = {}
        self._trim: dict[int, tuple[int, int]] = {}
        self._veto: dict[int, frozenset[str]] = {}
        self._ignore_ids: set[int] = set()
        for concept in self.concepts:
            by_trim: dict[tuple[tuple[int, int], frozenset[str]], list[list[dict[str, Any]]]] = {}
            for phrase in concept.phrases:
                try:
                    pattern = compiler.compile(phrase)
                except PatternError as exc:
                    raise PatternError(f"{concept.key}: {exc}") from None
                if validate:
                    errors = validate_token_pattern(pattern)
                    if errors:
                        raise PatternError(f"{concept.key}: {phrase!r}: {errors}")
                by_trim.setdefault((compiler.trim(phrase), compiler.veto(phrase)), []).append(
                    pattern
                )
            for n, ((trim, veto), patterns) in enumerate(by_trim.items()):
                # Phrases with [context] words or a !veto go under their own key.
                key = concept.key if trim == (0, 0) else f"{concept.key}|trim={trim[0]},{trim[1]}"
                if veto:
                    key = f"{key}|veto={n}"
                self.matcher.add(key, patterns)
                self.patterns[key] = patterns
                match_id = nlp.vocab.strings[key]
                self._findings[match_id] = tuple(
                    (kind, modifier_key(code, concept.key) if kind == "modifier" else code)
                    for kind, code in concept.findings
                )
                self._trim[match_id] = trim
                if veto:
                    self._veto[match_id] = veto
                if concept.ignore:
                    self._ignore_ids.add(match_id)
        #: The common complaints' match ids: ignore phrases that are also a finding.
        self._complaint_ids = frozenset(i for i in self._ignore_ids if self._findings[i])
        #: The amount answers' match ids (``amount_answers``): no entity, see _answers.
        self._answer_ids = frozenset(
            i for i, found in self._findings.items() if found and found[0][0] == "answer"
        )

    def __call__(self, doc: Doc) -> Doc:
        ensure_lemmas(doc)
        ents: list[Span] = []
        matches = []
        n = len(doc)
        for match_id, start, end in self.matcher(doc):
            veto = self._veto.get(match_id)
            if veto is not None and end < n and (doc[end].norm_ in veto or doc[end].lemma_ in veto):
                continue
            lead, tail = self._trim.get(match_id, (0, 0))
            matches.append((match_id, start + lead, end - tail, start, end))
        doc._.amount_answers = self._answers(doc, [m for m in matches if m[0] in self._answer_ids])
        matches = [m for m in matches if m[0] not in self._answer_ids]
        doc._.ignored_spans = tuple(
            (doc[start].idx, doc[end - 1].idx + len(doc[end - 1]))
            for match_id, start, end, _, _ in matches
            if match_id in self._ignore_ids and end > start
        )
        for start, end, ids in _select(matches, self._ignore_ids, self._complaint_ids):
            findings: list[tuple[str, str]] = []
            for match_id in ids:
                for finding in self._findings[match_id]:
                    if finding not in findings:
                        findings.append(finding)
            kinds = {kind for kind, _ in findings}
            label = (
                "SYMPTOM"
                if "symptom" in kinds
                else "RISK_FACTOR"
                if "risk_factor" in kinds
                else "BLEEDING_AMOUNT"
                if "amount" in kinds
                else "MODIFIER"
            )
            span = Span(doc, start, end, label=label)
            span._.findings = tuple(findings)
            ents.append(span)
        ents.extend(self._complaints(doc, matches, ents))
        doc.ents = sorted(ents, key=lambda e: e.start)  # type: ignore[assignment]
        return doc

    def _answers(
        self, doc: Doc, matches: Sequence[tuple[int, int, int, int, int]]
    ) -> tuple[tuple[int, int, str], ...]:
        """The amount answers, longest first where they overlap ("not heavy" over "heavy"),
        none denied by a word just before it in its sentence ("no clots", "not soaking")."""
        chosen: list[tuple[int, int, str]] = []
        for match_id, start, end, _, _ in sorted(matches, key=lambda m: m[1] - m[2]):
            if end <= start or any(s < end and start < e for s, e, _ in chosen):
                continue
            if _answer_denied(doc, start):
                continue
            chosen.append((start, end, self._findings[match_id][0][1]))
        return tuple(
            (doc[start].idx, doc[end - 1].idx + len(doc[end - 1]), amount)
            for start, end, amount in sorted(chosen)
        )

    def _complaints(
        self, doc: Doc, matches: Sequence[tuple[int, int, int, int, int]], ents: Sequence[Span]
    ) -> list[Span]:
        """The common complaints: ignore phrases that are also a finding, overlapping ones merged,
        none where another entity already is."""
        spans = sorted(
            (start, end)
            for match_id, start, end, _, _ in matches
            if match_id in self._complaint_ids and end > start
        )
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out = []
        for start, end in merged:
            if any(e.start < end and start < e.end for e in ents):
                continue
            span = Span(doc, start, end, label="SYMPTOM")
            span._.findings = (("symptom", COMMON_COMPLAINT),)
            out.append(span)
        return out
