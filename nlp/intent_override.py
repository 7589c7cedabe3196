"""When the rules overrule the intent classifier: one pure function, no Rasa import.

``ClinicalEntityExtractor`` (nlp/rasa_components.py) calls :func:`intent_override` with the
message text, the classifier's intent, the clinical entities (nlp.to_rasa_entities) and the
training vocabulary. The answer is the intent to use instead, or None to keep the classifier's.
In order, first match wins:

1. a red flag the patient has now or had earlier today (a code of ``triage.codes.RED_FLAGS``
   with no role or the role ``resolved``), or a heavy bleeding amount -> ``report_red_flag``,
   whatever the classifier said: "I'm 20 weeks and bleeding really heavily" can never be
   answered as a mere gestational age;
2. nothing to read (no letter or digit: empty, emoji, punctuation) -> ``nlu_fallback``;
3. a symptom, gestation or risk-factor intent (:data:`NONSENSE_CHECKED_INTENTS`) for a message
   with no entity at all and no word of the training data (nonsense, markup, another language)
   -> ``nlu_fallback``;
4. no current or resolved symptom -> keep the classifier's intent, except that "no symptoms"
   said of a message that gives no risk factor of hers and has, outside its entities, a word
   the training data uses only to report symptoms ("bit of a pinky colour on the loo roll, no
   pain, surely not worth ringing?") -> ``report_other_symptom``: a problem the bot could not
   place (rule X2), never the reassurance of "no symptoms"; and a message the
   classifier could not place or read as "no symptoms" that gives the patient's own risk factor
   in words about herself ("scan today showed my cervix is 22mm, I feel fine", "I had LLETZ 3
   years ago, does it matter?"), or asks about it while pregnant now (the message gives her
   weeks: "16 weeks, I have a heart-shaped womb, does that mean my cervix might be weak?") ->
   ``inform_risk_factor``: her scan finding or history is
   answered by its rule, never by "Sorry, I didn't understand" (a general question, "is a
   short cervix the same as an incompetent one?", keeps the classifier's intent); and a
   correction of the weeks the classifier could not place ("sorry I mean 24 not 34") ->
   ``inform_gestational_age``;
5. a symptom report or an inform intent (:data:`CONFIRMED_INTENTS`) -> keep it (the rules
   confirm the classifier, even when it hesitated between two symptoms);
6. anything else - a question (:data:`QUESTION_INTENTS`) whatever its confidence, "no
   symptoms", a greeting, "not sure", small talk, the fallback - becomes the intent of the first
   symptom the rules found (:data:`SYMPTOM_INTENT`, else ``report_other_symptom``), so that a
   symptom said inside a question ("is spotting normal at 20 weeks? I'm spotting") is triaged.

A question with only hypothetical mentions ("is spotting a sign of cervical insufficiency?")
has no current symptom and keeps its ``ask_*`` intent (step 4).
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from .codes import AMOUNT_ANSWER_ROLE, COMMON_COMPLAINT, RED_FLAGS
from .negation import negex_words

#: Rasa's name for "not understood" (rasa.shared.constants.DEFAULT_NLU_FALLBACK_INTENT_NAME).
FALLBACK_INTENT = "nlu_fallback"
RED_FLAG_INTENT = "report_red_flag"
OTHER_SYMPTOM_INTENT = "report_other_symptom"

#: The intents that report a symptom (domain.yml).
SYMPTOM_REPORT_INTENTS: frozenset[str] = frozenset(
    {
        "report_pressure",
        "report_bleeding",
        "report_pain",
        "report_discharge",
        "report_contractions",
        "report_fluid_leak",
        "report_reduced_movements",
        "report_red_flag",
        "report_other_symptom",
    }
)
#: "I have no symptoms": confirmed by no finding; overruled when the rules find one.
NO_SYMPTOMS_INTENT = "report_no_symptoms"
#: The intents that give the form a value.
RISK_FACTOR_INTENT = "inform_risk_factor"
GESTATION_INTENT = "inform_gestational_age"
INFORM_INTENTS: frozenset[str] = frozenset({GESTATION_INTENT, RISK_FACTOR_INTENT})
#: Questions about the condition, and the request for a person. A current or resolved symptom
#: in the message overrules them (step 6): the symptom is triaged, whatever the confidence.
QUESTION_INTENTS: frozenset[str] = frozenset(
    {
        "ask_what_is_ci",
        "ask_causes",
        "ask_cerclage",
        "ask_ultrasound",
        "ask_recurrence",
        "ask_ci_contractions",
        "ask_human",
    }
)
#: Intents the rules confirm when the message names a current or resolved symptom (step 5).
CONFIRMED_INTENTS: frozenset[str] = SYMPTOM_REPORT_INTENTS | INFORM_INTENTS
#: Intents that need something clinical in the message: with no entity and no known word, the
#: classifier guessed from nothing (step 3).
NONSENSE_CHECKED_INTENTS: frozenset[str] = (
    SYMPTOM_REPORT_INTENTS | INFORM_INTENTS | {NO_SYMPTOMS_INTENT}
)

#: The intent a current symptom stands for when the classifier's intent is not a report.
SYMPTOM_INTENT: dict[str, str] = {
    "vaginal_pressure": "report_pressure",
    "bleeding": "report_bleeding",
    "rectal_bleeding": "report_bleeding",
    "abdominal_pain": "report_pain",
    "back_pain": "report_pain",
    "period_type_pain": "report_pain",
    "positional_pain": "report_pain",
    "epigastric_pain": "report_pain",
    "calf_pain": "report_pain",
    "discharge_change": "report_discharge",
    "smelly_discharge": "report_discharge",
    "itchy_discharge": "report_discharge",
    "contractions": "report_contractions",
    "fluid_leak": "report_fluid_leak",
    "reduced_movements": "report_reduced_movements",
    # every other code (abdominal_trauma, vomiting, rigors, stitch_problem, abuse, fever,
    # headache ...) -> report_other_symptom
}

#: The roles of a symptom the patient has: now (no role) or earlier today and stopped.
FINDING_ROLES: frozenset[str | None] = frozenset({None, "resolved"})

WORD = re.compile(r"[a-z]{3,}")
ALNUM = re.compile(r"[^\W_]")  # a letter or digit, in any script
#: Words by which the patient speaks of herself.
FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|my|me|mine)\b", re.I)
#: A correction: "sorry I mean 24 not 34", "I meant 21", "typo, 23".
#: Words by which a question says she is pregnant now ("what does it mean for the pregnancy").
PREGNANT_NOW = re.compile(
    r"\b(?:(?:this|the|my current) pregnancy|(?:i'?m|i am|currently|now) pregnant)\b",
    re.I,
)
CORRECTION = re.compile(r"\b(?:mean|meant|sorry|typo|wrong|correction)\b|\d\s+not\s+\d", re.I)


def words(text: str) -> frozenset[str]:
    """The words of a message the nonsense check compares with the training vocabulary."""
    return frozenset(WORD.findall(text.lower()))


#: Where a clause ends, for :func:`denied_spans`: punctuation, a line break, the words that end
#: a negation's reach for negex (nlp/patterns/negation.yml: "no bleeding but a funny feeling"),
#: and "otherwise" and "and there" ("no pain otherwise", "no bleeding and there's a smell").
_CLAUSE_END_WORDS = sorted(
    {w for w in negex_words("termination") if w[0].isalnum()} | {"otherwise", "and there"},
    key=lambda w: (-len(w), w),
)
CLAUSE_END = re.compile(
    r"[,.;:!?()\n]+|\b(?:" + "|".join(re.escape(w) for w in _CLAUSE_END_WORDS) + r")\b",
    re.I,
)
#: A word that denies the rest of its clause: "no swelling or redness", "not itchy", "doesn't
#: sting or smell", "no temp", "without any pain".
DENIAL = re.compile(
    r"\b(?:no|not|nothing|none|never|without|nor|neither|isn'?t|aren'?t|doesn'?t|don'?t|"
    r"didn'?t|hasn'?t|haven'?t|wasn'?t|weren'?t|won'?t|wont|can'?t|cant)\b|n't\b|n’t\b",
    re.I,
)
#: A denial said of its clause's subject: "hands and feet aren't itchy" denies the hands too.
VERB_DENIAL = re.compile(r"^(?:isn|aren|doesn|don|didn|hasn|haven|wasn|weren|won|can)", re.I)
#: ...when the subject is only body parts: "weird lump that doesn't hurt" keeps the lump.
BODY_SUBJECT = re.compile(
    r"^\W*(?:(?:my|the|her|both|and|or|either|of|them|hands?|feet|foot|fingers?|toes?|face|"
    r"legs?|ankles?|eyes?|palms?|soles?|arms?|wrists?|calf|calves|lips|skin)\W+)+$",
    re.I,
)
#: Words that say something is as it should be.
_NORMAL_WORDS = r"normal|fine|ok|okay|alright|usual"
#: A clause that says what comes before is normal: "face and hands normal", "eyes fine", "legs
#: look normal in the day", "everything's totally dry and fine".
NORMAL = re.compile(rf"\b(?:{_NORMAL_WORDS}|dry|as always)\b", re.I)
#: What a body part "doesn't look" or "isn't" when it is a problem ("doesn't look normal").
NOT_RIGHT = re.compile(rf"\b(?:{_NORMAL_WORDS}|right|same|good|well|itself)\b", re.I)
#: A clause that asks whether something is normal ("is cramp in the calves normal?") reports it.
ASKS = re.compile(r"^\W*(?:is|are|does|do|can|could|should|would|will|it|that|this)\b", re.I)


def denied_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The parts of ``text`` where the patient says she does not have something, or that it is
    normal, which the "no symptoms" check must not read as a problem reported: the rest of a
    clause after a denial ("no swelling or redness", "doesn't sting or smell"), and a clause's
    words before "normal" or "fine" ("face and hands normal", "eyes fine") unless the clause
    asks it ("is cramp in the calves normal at 28 weeks?") or denies it ("my face doesn't look
    normal"), and the body parts a denial is said of ("hands and feet aren't itchy"). A clause
    ends at punctuation and at the words that end a negation's reach ("no pain but my face is
    puffy" keeps the face)."""
    text = text or ""
    spans: list[tuple[int, int]] = []
    start = 0
    bounds = [(m.start(), m.end()) for m in CLAUSE_END.finditer(text)] + [(len(text), len(text))]
    for end, after in bounds:
        clause = text[start:end]
        denial = DENIAL.search(clause)
        if denial:
            said_of = clause[: denial.start()]
            # (not "my face doesn't look normal" or "isn't right": that reports it)
            whole = (
                VERB_DENIAL.match(denial.group(0))
                and BODY_SUBJECT.match(said_of)
                and not NOT_RIGHT.search(clause[denial.end() :])
            )
            spans.append((start if whole else start + denial.start(), end))
        normal = NORMAL.search(clause)
        asked = text[end:after].startswith("?") or ASKS.match(clause)
        # ("my face doesn't look normal" says it is not)
        if normal and not asked and not (denial and denial.start() < normal.start()):
            spans.append((start, start + normal.end()))
        start = after
    return tuple(spans)


#: The clause of a common complaint, for :func:`more_than_a_complaint`: "and", "with", "also"
#: end it too ("tired all the time and short of breath" says two things).
COMPLAINT_CLAUSE_END = re.compile(
    CLAUSE_END.pattern + r"|\b(?:and|with|also|plus|as well as)\b", re.I
)
#: A clause that goes on about the complaint before it: "heartburn after meals, it's worse
#: lying down", "cramp in both calves at night, it goes when I stretch my feet".
BACK_REFERENCE = frozenset(
    [
        "it",
        "its",
        "it's",
        "it’s",
        "they",
        "theyre",
        "they're",
        "which",
        "that",
        "this",
        "goes",
        "gone",
        "went",
        "comes",
        "eases",
        "eased",
        "worse",
        "better",
        "stops",
        "stopped",
        "lasts",
        "lasted",
    ]
)
FIRST_WORD = re.compile(r"[^\w’']*([\w’']+)")


def more_than_a_complaint(
    text: str,
    entities: Sequence[Mapping[str, Any]],
    report_words: frozenset[str] | set[str],
    placed: Sequence[tuple[int, int]] = (),
) -> bool:
    """Does a message whose only findings are common complaints (``common_complaint``: "a
    nosebleed", "heartburn") say more, outside the complaint's own clause, with a word only
    symptom reports use ("had a nosebleed, also feel weird down below", "tired all the time and
    short of breath")? Then the complaint does not place the whole message: the caller drops it,
    and the message is read as if the bot had not recognised it (the "no symptoms" check, rule
    X2), never as a common complaint alone. The complaint's own clause, the clauses that go on
    about it ("..., it's worse lying down"), denials and placed spans do not count."""
    findings = [
        e for e in entities if e.get("entity") == "symptom" and e.get("role") in FINDING_ROLES
    ]
    if (
        not findings
        or any(e.get("value") != COMMON_COMPLAINT for e in findings)
        or not report_words
    ):
        return False
    text = text or ""
    cuts = sorted(
        {0, len(text), *(i for m in COMPLAINT_CLAUSE_END.finditer(text) for i in m.span())}
    )
    covered: list[tuple[int, int]] = []
    previous = False
    for a, b in zip(cuts, cuts[1:], strict=False):
        first = FIRST_WORD.match(text[a:b])
        if first is None:  # (punctuation between clauses: the chain goes on)
            continue
        previous = (previous and first.group(1).lower() in BACK_REFERENCE) or any(
            isinstance(e.get("start"), int)
            and isinstance(e.get("end"), int)
            and e["start"] < b
            and a < e["end"]
            for e in findings
        )
        if previous:
            covered.append((a, b))
    spans = (*placed, *denied_spans(text), *covered)
    return bool(unplaced_words(text, entities, spans) & report_words)


def unplaced_words(
    text: str, entities: Sequence[Mapping[str, Any]], placed: Sequence[tuple[int, int]] = ()
) -> frozenset[str]:
    """The words of ``text`` outside its entities and the ``placed`` spans."""
    chars = list((text or "").lower())
    spans = [(e.get("start"), e.get("end")) for e in entities] + list(placed)
    for start, end in spans:
        if isinstance(start, int) and isinstance(end, int):
            chars[start:end] = " " * (end - start)
    return words("".join(chars))


def intent_override(
    text: str,
    intent: Mapping[str, Any] | None,
    entities: Sequence[Mapping[str, Any]],
    vocabulary: frozenset[str] | set[str] = frozenset(),
    report_words: frozenset[str] | set[str] = frozenset(),
    placed: Sequence[tuple[int, int]] = (),
) -> str | None:
    """The intent the rules put in place of the classifier's, or None (see the module doc).

    ``intent`` is the classifier's ``{"name": ..., "confidence": ...}`` (or None), ``entities``
    the message's entity dicts; an empty ``vocabulary`` turns the nonsense check off, and an
    empty ``report_words`` the "no symptoms" check; ``placed`` are spans of words the lexicon
    knows to be no finding ("my gums bleed"), which that check does not count."""
    # An amount said without a word for blood ("loads") is no finding of this message: it is
    # read only as the answer to the bot's bleeding-amount question (actions/slot_updates.py).
    entities = [e for e in entities if e.get("role") != AMOUNT_ANSWER_ROLE]
    findings = [
        e["value"]
        for e in entities
        if e.get("entity") == "symptom" and e.get("role") in FINDING_ROLES
    ]
    heavy = any(
        e.get("entity") == "bleeding_amount" and e.get("value") == "heavy" for e in entities
    )
    if heavy or any(code in RED_FLAGS for code in findings):
        return RED_FLAG_INTENT
    if not ALNUM.search(text or ""):
        return FALLBACK_INTENT
    name = str((intent or {}).get("name") or "")
    if (
        not entities
        and name in NONSENSE_CHECKED_INTENTS
        and vocabulary
        and not (words(text) & vocabulary)
    ):
        return FALLBACK_INTENT
    if not findings:
        own_history = any(
            e.get("entity") == "risk_factor" and e.get("role") in (None, "historical")
            for e in entities
        )
        # Said beside "no symptoms" or the weeks, words that only ever report a symptom are a
        # problem the bot cannot place ("6 months gone and it's like someone's turned a tap on
        # down below, bright red"): never a question about her symptoms, never reassurance.
        if (
            name in (NO_SYMPTOMS_INTENT, GESTATION_INTENT)
            and not own_history
            and unplaced_words(text, entities, (*placed, *denied_spans(text))) & report_words
        ):
            return OTHER_SYMPTOM_INTENT
        pregnant_now = any(e.get("entity") == "gestational_age" for e in entities) or bool(
            PREGNANT_NOW.search(text or "")
        )
        if (
            own_history
            and FIRST_PERSON.search(text or "")
            and (
                name in (FALLBACK_INTENT, NO_SYMPTOMS_INTENT, "")
                or (name in QUESTION_INTENTS and pregnant_now)
            )
        ):
            return RISK_FACTOR_INTENT
        if (
            name in (FALLBACK_INTENT, "")
            and CORRECTION.search(text or "")
            and any(e.get("entity") == "gestational_age" for e in entities)
        ):
            return GESTATION_INTENT
        return None
    if name in CONFIRMED_INTENTS:
        return name
    for code in findings:
        if code in SYMPTOM_INTENT:
            return SYMPTOM_INTENT[code]
    return OTHER_SYMPTOM_INTENT
