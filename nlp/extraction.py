"""``extract(text) -> Extraction``: the contract of docs/architecture.md, and its Rasa entities."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Mapping

from spacy.tokens import Doc

from .codes import AMOUNT_ANSWER_ROLE, BLEEDING_AMOUNTS
from .context import CURRENT, HISTORICAL, RESOLVED
from .entities import modifier_code
from .gestation import weeks_from_due_date

if TYPE_CHECKING:
    from .entities import ModifierTargets


log = logging.getLogger(__name__)

#: Longer messages are cut here (a chat message is never this long; it bounds the work).
MAX_CHARS = 50_000
#: Longer messages are read in pieces of about this size, cut at line or sentence ends: negspacy
#: looks at every entity once per sentence, which grows with the square of the message length.
CHUNK_CHARS = 1_000

EXTRACTOR = "ClinicalEntityExtractor"

#: The contexts in which a mention is a finding of the patient's: now, or earlier and stopped.
FINDING_CONTEXTS = frozenset({CURRENT, RESOLVED})


@dataclass(frozen=True)
class SymptomMention:
    code: str  # canonical symptom code (nlp.codes.SYMPTOMS)
    text: str  # the words in the message
    start: int  # character offsets in the message
    end: int
    negated: bool  # "no contractions", "it doesn't come and go"
    context: str  # "current" | "resolved" | "hypothetical" | "historical" | "other_person"


@dataclass(frozen=True)
class RiskFactorMention:
    code: str  # canonical risk-factor code (nlp.codes.RISK_FACTORS)
    text: str
    start: int
    end: int
    negated: bool
    context: str  # a past procedure or loss is the patient's history: "current"


@dataclass(frozen=True)
class Extraction:
    symptoms: tuple[SymptomMention, ...] = ()
    gestational_weeks: float | None = None
    gestational_text: str | None = None
    risk_factors: tuple[RiskFactorMention, ...] = ()
    bleeding_amount: str | None = None  # "spotting" | "light" | "heavy"
    on_behalf: bool = False  # "my girlfriend is six months along"
    # Where the single-valued findings were said (character offsets), for the Rasa entities.
    gestational_span: tuple[int, int] | None = None
    bleeding_amount_span: tuple[int, int] | None = None
    on_behalf_span: tuple[int, int] | None = None
    # Where words the lexicon knows to be no finding were said ("my gums bleed").
    ignored_spans: tuple[tuple[int, int], ...] = ()
    # An amount said without a word for blood ("loads", "just a bit", "not much"): an amount
    # only as the answer to the bot's bleeding-amount question (amount_answers in
    # bleeding_amounts.yml; the Rasa entity's role is "answer").
    answered_amount: str | None = None
    answered_amount_span: tuple[int, int] | None = None

    @property
    def present(self) -> frozenset[str]:
        """The patient's own findings: symptoms she has now or had earlier today and that
        stopped (context current or resolved, not negated)."""
        return frozenset(
            m.code for m in self.symptoms if m.context in FINDING_CONTEXTS and not m.negated
        )

    @property
    def resolved(self) -> frozenset[str]:
        """Symptom codes that were there earlier (today, yesterday) and have stopped."""
        return frozenset(m.code for m in self.symptoms if m.context == RESOLVED and not m.negated)

    @property
    def absent(self) -> frozenset[str]:
        """Symptom codes the patient says she does not have now."""
        return frozenset(m.code for m in self.symptoms if m.context == CURRENT and m.negated)

    @property
    def current_risk_factors(self) -> frozenset[str]:
        return frozenset(
            m.code for m in self.risk_factors if m.context == CURRENT and not m.negated
        )


EMPTY = Extraction()

#: Words that open a sentence about the finding of the sentence before ("it's from my bum").
BACK_REFERENCES = frozenset({"it", "its", "that", "thats", "this"})


def _clean(text: str) -> str:
    """Same-length clean-up: typographic apostrophes to ASCII, control characters to spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
    if any(ord(c) < 32 and c not in "\n\t\r" for c in text[:MAX_CHARS]):
        text = "".join(" " if ord(c) < 32 and c not in "\n\t\r" else c for c in text)
    return text


def _modified(
    doc: Doc, targets: Mapping[str, ModifierTargets]
) -> tuple[list[SymptomMention], set[tuple[str, int, int]]]:
    """The findings that modifiers add ("pain that isn't coming in waves and won't stop" is a
    constant pain): a current, affirmed modifier applies to the nearest earlier current, affirmed
    symptom of its sentence (or to the finding it is merged with) if that is one of its targets
    and none of its exceptions ("cramps every 5 minutes and they won't stop" are contractions).
    Negated findings are passed over ("not in waves" describes the same pain); any other
    affirmed finding in between stops the search ("cramps and bleeding that won't stop").
    Returns the added mentions, and the (code, start, end) of the target's mentions that a
    modifier replaces ("a sharp pain ... for a second" is no longer a severe constant pain)."""
    out: list[SymptomMention] = []
    dropped: set[tuple[str, int, int]] = set()
    ents = list(doc.ents)
    for k, ent in enumerate(ents):
        groups = [key for kind, key in ent._.findings if kind == "modifier"]
        if not groups or ent._.negex or (ent._.context or CURRENT) != CURRENT:
            continue
        sent_start = ent.sent.start
        # A modifier with "after": a word of its class earlier in the sentence is enough ("kicks
        # every day but nothing since yesterday"), the words in between do not matter.
        before = doc[sent_start : ent.start]
        for group in groups:
            after = targets.get(group, (frozenset(),) * 4)[3]
            if after and any(t.norm_ in after or t.lemma_ in after for t in before):
                code = modifier_code(group)
                out.append(
                    SymptomMention(code, ent.text, ent.start_char, ent.end_char, False, CURRENT)
                )
        target = None
        # A sentence that opens with "it" or "that" and names nothing before the modifier goes
        # on about the finding of the sentence before: "bright red on the paper after a poo.
        # it's definitely from my bum" (development set 4).
        reach = sent_start
        if doc[sent_start].lower_ in BACK_REFERENCES and not any(
            sent_start <= e.start < ent.start and any(kind == "symptom" for kind, _ in e._.findings)
            for e in ents
        ):
            reach = doc[sent_start - 1].sent.start if sent_start > 0 else sent_start
        for j in range(k, -1, -1):
            cand = ents[j]
            if cand.start < reach:
                break
            if cand._.negex or not any(kind == "symptom" for kind, _ in cand._.findings):
                continue
            target = cand
            break
        if target is None or (target._.context or CURRENT) != CURRENT:
            continue
        found = {code for kind, code in target._.findings if kind == "symptom"}
        start, end = target.start_char, max(ent.end_char, target.end_char)
        for group in groups:
            of, unless, replaces, _ = targets.get(group, (frozenset(),) * 4)
            if found & of and not found & unless:
                code = modifier_code(group)
                out.append(SymptomMention(code, doc.text[start:end], start, end, False, CURRENT))
                dropped |= {(c, target.start_char, target.end_char) for c in found & replaces}
    return out, dropped


def extraction_from_doc(
    doc: Doc,
    keep_historical: frozenset[str] | set[str] = frozenset(),
    modifier_targets: Mapping[str, ModifierTargets] | None = None,
    today: date | None = None,
) -> Extraction:
    """Read the pipeline's annotations off a processed Doc. A due date ("due in March") gives
    the weeks when the message gives none, counted back from ``today`` (default: the date now)."""
    symptoms: list[SymptomMention] = []
    risks: list[RiskFactorMention] = []
    amounts: list[tuple[int, str, int, int]] = []
    answers = [
        (BLEEDING_AMOUNTS.index(code), code, start, end)
        for start, end, code in getattr(doc._, "amount_answers", ()) or ()
    ]
    for ent in doc.ents:
        negated = bool(ent._.negex)
        context = ent._.context or CURRENT
        findings = ent._.findings
        for kind, code in findings:
            if kind == "symptom":
                # "not soaking a pad" denies heavy bleeding, not bleeding.
                if negated and code == "bleeding" and ("amount", "heavy") in findings:
                    continue
                symptoms.append(
                    SymptomMention(code, ent.text, ent.start_char, ent.end_char, negated, context)
                )
            elif kind == "risk_factor":
                # A risk factor is history: "resolved" or "historical" is the patient's own.
                rf_context = (
                    (HISTORICAL if code in keep_historical else CURRENT)
                    if context in (HISTORICAL, RESOLVED)
                    else context
                )
                risks.append(
                    RiskFactorMention(
                        code, ent.text, ent.start_char, ent.end_char, negated, rf_context
                    )
                )
            elif kind == "amount" and not negated and context in FINDING_CONTEXTS:
                amounts.append((BLEEDING_AMOUNTS.index(code), code, ent.start_char, ent.end_char))
    if modifier_targets:
        added, dropped = _modified(doc, modifier_targets)
        symptoms = [m for m in symptoms if (m.code, m.start, m.end) not in dropped] + added
        symptoms.sort(key=lambda m: (m.start, m.end))
    amount = max(amounts, key=lambda a: (a[0], -a[2])) if amounts else None
    answered = max(answers, key=lambda a: (a[0], -a[2])) if answers else None
    gestation = doc._.gestation
    due = doc._.due_date
    if gestation is None and due is not None:
        weeks = weeks_from_due_date(due[0], due[1], today or date.today(), due[4])
        if weeks is not None and 4.0 <= weeks <= 42.0:
            gestation = (weeks, doc.text[due[2] : due[3]], due[2], due[3])
    return Extraction(
        symptoms=tuple(symptoms),
        gestational_weeks=float(gestation[0]) if gestation else None,
        gestational_text=gestation[1] if gestation else None,
        risk_factors=tuple(risks),
        bleeding_amount=amount[1] if amount else None,
        on_behalf=bool(doc._.on_behalf),
        gestational_span=(gestation[2], gestation[3]) if gestation else None,
        bleeding_amount_span=(amount[2], amount[3]) if amount else None,
        on_behalf_span=doc._.on_behalf_span,
        ignored_spans=tuple(getattr(doc._, "ignored_spans", ()) or ()),
        answered_amount=answered[1] if answered else None,
        answered_amount_span=(answered[2], answered[3]) if answered else None,
    )


def chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Cut ``text`` into pieces of at most ``size`` characters, at a line break or a sentence
    end when there is one in the second half of the piece. Returns (offset, piece) pairs."""
    out: list[tuple[int, str]] = []
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            window = text[start + size // 2 : end]
            cut = max(
                window.rfind("\n"), window.rfind(". "), window.rfind("! "), window.rfind("? ")
            )
            if cut >= 0:
                end = start + size // 2 + cut + 1
        out.append((start, text[start:end]))
        start = end
    return out


def _shifted(span: tuple[int, int] | None, offset: int) -> tuple[int, int] | None:
    return (span[0] + offset, span[1] + offset) if span else None


def _heavier(amount: str | None, than: str | None) -> bool:
    """``amount`` is given and more than ``than`` (None: no amount yet)."""
    if not amount:
        return False
    return than is None or BLEEDING_AMOUNTS.index(amount) > BLEEDING_AMOUNTS.index(than)


def merge(parts: list[tuple[int, Extraction]]) -> Extraction:
    """Join the extractions of a message's pieces (offsets moved to the whole message)."""
    symptoms: list[SymptomMention] = []
    risks: list[RiskFactorMention] = []
    weeks = text = gspan = amount = aspan = bspan = answered = answered_span = None
    on_behalf = False
    for offset, x in parts:
        symptoms += [
            SymptomMention(m.code, m.text, m.start + offset, m.end + offset, m.negated, m.context)
            for m in x.symptoms
        ]
        risks += [
            RiskFactorMention(
                m.code, m.text, m.start + offset, m.end + offset, m.negated, m.context
            )
            for m in x.risk_factors
        ]
        if weeks is None and x.gestational_weeks is not None:
            weeks, text = x.gestational_weeks, x.gestational_text
            gspan = _shifted(x.gestational_span, offset)
        if _heavier(x.bleeding_amount, amount):
            amount, aspan = x.bleeding_amount, _shifted(x.bleeding_amount_span, offset)
        if _heavier(x.answered_amount, answered):
            answered = x.answered_amount
            answered_span = _shifted(x.answered_amount_span, offset)
        if x.on_behalf and not on_behalf:
            on_behalf, bspan = True, _shifted(x.on_behalf_span, offset)
    ignored = tuple((a + offset, b + offset) for offset, x in parts for a, b in x.ignored_spans)
    return Extraction(
        tuple(symptoms),
        weeks,
        text,
        tuple(risks),
        amount,
        on_behalf,
        gspan,
        aspan,
        bspan,
        ignored,
        answered,
        answered_span,
    )


def make_extract(get_nlp: Callable[[], Any]) -> Callable[..., Extraction]:
    def extract(text: str, today: date | None = None) -> Extraction:
        """Symptoms, risk factors, gestational age, bleeding amount and on-behalf from one message.

        ``today`` is the date a due date is counted from (default: the date now; tests pass one).
        Never raises: anything that is not a non-blank string, and any internal failure, gives an
        empty Extraction. Nothing about the text is ever logged.
        """
        if not isinstance(text, str) or not text.strip():
            return EMPTY
        try:
            nlp = get_nlp()
            entities = nlp.get_pipe("clinical_entities")
            keep, targets = entities.keep_historical, entities.modifier_targets
            text = _clean(text[:MAX_CHARS])
            if len(text) <= CHUNK_CHARS:
                return extraction_from_doc(nlp(text), keep, targets, today)
            pieces = chunks(text)
            docs = nlp.pipe(piece for _, piece in pieces)
            return merge(
                [
                    (offset, extraction_from_doc(doc, keep, targets, today))
                    for (offset, _), doc in zip(pieces, docs, strict=False)
                ]
            )
        except Exception as exc:  # noqa: BLE001 - the chatbot must keep going
            log.warning(
                "clinical extraction failed (%s); returning an empty extraction", type(exc).__name__
            )
            return EMPTY

    return extract


def role_of(negated: bool, context: str) -> str | None:
    """The Rasa entity role: none for a current affirmed mention, else negated/context."""
    if context != CURRENT:
        return context
    return "negated" if negated else None


def _entity(
    entity: str, value: Any, start: int, end: int, role: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "entity": entity,
        "value": value,
        "start": start,
        "end": end,
        "confidence_entity": 1.0,
        "extractor": EXTRACTOR,
    }
    if role:
        out["role"] = role
    return out


def to_rasa_entities(extraction: Extraction) -> list[dict[str, Any]]:
    """The entity dicts of docs/architecture.md, in text order, one per (entity, value, role)."""
    entities: list[dict[str, Any]] = []
    seen: set[tuple[str, Any, str | None]] = set()

    def add(entity: str, value: Any, start: int, end: int, role: str | None = None) -> None:
        key = (entity, value, role)
        if key in seen:
            return
        seen.add(key)
        entities.append(_entity(entity, value, start, end, role))

    for m in extraction.symptoms:
        add("symptom", m.code, m.start, m.end, role_of(m.negated, m.context))
    for r in extraction.risk_factors:
        add("risk_factor", r.code, r.start, r.end, role_of(r.negated, r.context))
    if extraction.gestational_weeks is not None:
        start, end = extraction.gestational_span or (0, 0)
        add("gestational_age", float(extraction.gestational_weeks), start, end)
    if extraction.bleeding_amount:
        start, end = extraction.bleeding_amount_span or (0, 0)
        add("bleeding_amount", extraction.bleeding_amount, start, end)
    if extraction.answered_amount:
        start, end = extraction.answered_amount_span or (0, 0)
        add("bleeding_amount", extraction.answered_amount, start, end, AMOUNT_ANSWER_ROLE)
    if extraction.on_behalf:
        start, end = extraction.on_behalf_span or (0, 0)
        add("on_behalf", True, start, end)
    entities.sort(key=lambda e: (e["start"], e["end"]))
    return entities
