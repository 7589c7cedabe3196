"""``gestational_age``: how many weeks pregnant, from "20 weeks", "19+5", "5 months", "halfway".

Settings (number words, cue words, trimester values) are in ``patterns/gestation.yml``.

Forms, strongest first:

* weeks and days - "19 weeks and 5 days", "24w3d", "20+3" -> weeks + days/7 (2 decimals);
* "20/40" (UK notes), "week 20", "wk 20" (= 20 weeks, like "20 weeks"), "21st week" (the
  ordinal counts the week under way: the 21st week is 20+0 to 20+6, so 20 completed weeks,
  the clinical convention, which also puts every whole-week threshold on the right side);
* "20w", "21wks" (written together);
* "20 weeks", "twenty-two weeks", "18 and a half weeks" and "5 months", "6 mnths", "four and a
  half months" (months * 4.345, 1 decimal). These are durations just as often ("for 2 weeks",
  "3 weeks ago"), so they count only with a cue: a pregnancy word after ("pregnant", "preggo",
  "along", "gone", "today"), a subject or "at" before ("I'm", "she's", "is", "at", "nearly",
  "about", "in my"), or standing at the end of a statement ("lower tummy pain 19 weeks"). A
  duration word before ("for", "since", "past") or after ("ago", "later", "old") always rules
  it out, as does a label ("20 week scan");
* "first/second/third trimester" (10, 20, 32) and "halfway" (20);
* a message that is only a number from 4 to 42 (the answer to "how many weeks are you?").

A candidate is dropped when it is someone else's or the past (context "other_person" or
"historical", e.g. "my sister had her baby at 30 weeks", "last pregnancy"), when it overlaps a
risk-factor mention ("second trimester miscarriage"), or when an event word precedes it in the
same clause ("lost a baby at 20 weeks", "stitch put in at 13 weeks"). The first candidate left
wins. The result is ``doc._.gestation = (weeks, text, start_char, end_char)`` or None.
"""
# (no "from __future__ import annotations": spaCy resolves the factory signatures at runtime)

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from spacy.language import Language
from spacy.tokens import Doc, Span

from .context import CURRENT, HISTORICAL, OTHER_PERSON, RESOLVED, context_of
from .lexicon import load_yaml, patterns_path, string_list

if not Doc.has_extension("gestation"):
    Doc.set_extension("gestation", default=None)
if not Doc.has_extension("due_date"):
    Doc.set_extension("due_date", default=None)

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:the\s+)?(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"
DUE_DATE = re.compile(
    r"\b(?:due(?:\s+date)?|edd|estimated\s+due\s+date)\b(?:\s*[:=]|\s+(?:is|was|'s|s|of|on|in|at|"
    r"for|around|about|roughly|approx|approximately))*"
    r"(?:\s+(?P<part>early|mid|late|end\s+of|start\s+of|beginning\s+of|middle\s+of))?\s*"
    r"(?:" + _DAY.format(name="d1") + r"\s*(?:of\s+)?)?" + _MONTH + r"\b"
    r"(?:\s*" + _DAY.format(name="d2") + r"\b)?"
    r"(?:\s*,?\s*(?P<y>20\d\d)\b)?",
    re.IGNORECASE,
)
#: The day of the month a due date without one is taken as ("due in March": the 15th).
_PART_DAY = {"early": 5, "start of": 5, "beginning of": 5, "mid": 15, "middle of": 15,
             "late": 25, "end of": 25}  # fmt: skip


#: Due dates said as a day of the year ("baby's due on christmas day", development set 7).
_HOLIDAYS = {
    "christmas eve": (12, 24), "christmas": (12, 25), "christmas day": (12, 25),
    "xmas": (12, 25), "xmas day": (12, 25), "boxing day": (12, 26), "new years eve": (12, 31),
    "new year's eve": (12, 31), "new years day": (1, 1), "new year's day": (1, 1),
    "valentines day": (2, 14), "valentine's day": (2, 14), "valentines": (2, 14),
    "halloween": (10, 31), "bonfire night": (11, 5),
}  # fmt: skip
DUE_HOLIDAY = re.compile(
    r"\b(?:due(?:\s+date)?|edd)\b(?:\s+(?:is|was|'s|s|on|at|for|around|about|roughly))*\s+"
    r"(?:the\s+)?(?P<h>"
    + "|".join(re.escape(h) for h in sorted(_HOLIDAYS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


def due_date_candidate(text: str) -> tuple[int, int, int, int, int] | None:
    """The first due date in ``text``: (month, day, start, end, year); day 15 when none is
    given, year 0 when none is given."""
    m = DUE_DATE.search(text)
    if m is None:
        h = DUE_HOLIDAY.search(text)
        if h is None:
            return None
        month, day = _HOLIDAYS[re.sub(r"\s+", " ", h.group("h").lower())]
        return month, day, h.start(), h.end(), 0
    year = int(m.group("y")) if m.group("y") else 0
    month = _MONTHS[m.group("m")[:3].lower()]
    day_text = m.group("d1") or m.group("d2")
    if day_text:
        day = int(day_text)
    else:
        part = re.sub(r"\s+", " ", (m.group("part") or "").lower())
        day = _PART_DAY.get(part, 15)
    if not 1 <= day <= 31:
        return None
    return month, day, m.start(), m.end(), year


def weeks_from_due_date(month: int, day: int, today: date, year: int = 0) -> float | None:
    """Gestational weeks today for a due date (40+0 on the due date). Without a year, the year
    that puts the date between two weeks ago and ten months ahead."""
    years = (year,) if year else (today.year - 1, today.year, today.year + 1)
    for y in years:
        try:
            due = date(y, month, min(day, calendar.monthrange(y, month)[1]))
        except ValueError:
            return None
        days = (due - today).days
        if -14 <= days <= 300:
            return round(40.0 - days / 7.0, 2)
    return None


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\+")
_CLAUSE_END = re.compile(r"[,.;:!?\n()]")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    weeks: float
    kind: str  # "strong" (always a gestation), "cued" (needs a cue), "months" (cued)


def _alternation(words: list[str]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"[\s-]+") for w in sorted(words, key=len, reverse=True)
    )


class GestationParser:
    """The text-only part (no spaCy needed): find and value the candidates in a string."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        s = settings
        self.weeks_min, self.weeks_max = (float(x) for x in s.get("weeks_range", [4, 42]))
        self.months_min, self.months_max = (float(x) for x in s.get("months_range", [1, 10]))
        self.weeks_per_month = float(s.get("weeks_per_month", 4.345))
        self.trimesters = {str(k).lower(): float(v) for k, v in (s.get("trimesters") or {}).items()}
        self.halfway = float(s.get("halfway", 20.0))
        units = {str(k): int(v) for k, v in (s.get("number_words", {}).get("units") or {}).items()}
        teens = {str(k): int(v) for k, v in (s.get("number_words", {}).get("teens") or {}).items()}
        tens = {str(k): int(v) for k, v in (s.get("number_words", {}).get("tens") or {}).items()}
        numbers = dict(units) | teens | tens
        for ten, tv in tens.items():
            for unit, uv in units.items():
                numbers[f"{ten} {unit}"] = tv + uv
        self.number_words = numbers
        self.dictated = {str(k).lower(): int(v) for k, v in (s.get("dictated_units") or {}).items()}
        cues = s.get("cues") or {}
        self.cues = {
            k: frozenset(w.lower() for w in string_list(v, f"gestation.yml cues.{k}"))
            for k, v in cues.items()
        }
        self.subject_pairs = frozenset(tuple(p.split()) for p in self.cues.get("subject_pairs", ()))

        num = rf"(?:\d{{1,2}}(?:\.\d)?|{_alternation(list(numbers))})"
        wk = r"(?:weeks?|weeks|wee?ks|wks?|wk|w(?![a-z]))"
        wk_word = r"(?:weeks?|wee?ks|wks?|wk)"
        month_word = r"(?:months?|monthes|mnths?|mths?|mos)"
        days = r"(?:days?|dys?|d(?![a-z]))"
        day_num = rf"(?:[0-6]|{_alternation([w for w, v in units.items() if v <= 6])})"
        trimester_words = _alternation(list(self.trimesters))
        half = r"(?:\s+and\s+a\s+half|\s*\.5|\s*½)"
        flags = re.IGNORECASE
        self.patterns: list[tuple[str, re.Pattern[str]]] = [
            (
                "weeks_days",
                re.compile(
                    rf"\b(?P<w>{num})\s*{wk}\s*(?:and\s+|\+\s*|,\s*|&\s*)?(?P<d>{day_num})\s*{days}\b",
                    flags,
                ),
            ),
            (
                "plus",
                re.compile(
                    r"(?<![\d.+])\b(?P<w>\d{1,2})\s*\+\s*(?P<d>[0-6])(?:\s*(?:days?|d)\b)?(?![\d.])",
                    flags,
                ),
            ),
            ("slash40", re.compile(r"(?<![\d/])\b(?P<w>\d{1,2})\s*/\s*40\b(?!/)", flags)),
            ("week_n", re.compile(rf"\b(?:week\s+|wk\s*)(?P<w>{num})\b", flags)),
            ("nth_week", re.compile(r"\b(?P<w>\d{1,2})(?:st|nd|rd|th)\s+week\b", flags)),
            ("compact", re.compile(r"\b(?P<w>\d{1,2})(?:w|wk|wks|weeks?)\b", flags)),
            # Voice to text: "twenty-four weeks" heard as "20 for weeks" (development set 8).
            (
                "dictated",
                re.compile(
                    rf"\b(?P<w>{_alternation([*tens, *(str(v) for v in tens.values())])})"
                    rf"\s+(?P<u>{_alternation(list(self.dictated)) or '(?!)'})\s+{wk_word}\b",
                    flags,
                ),
            ),
            (
                "weeks",
                re.compile(rf"\b(?P<w>{num})(?P<half>{half})?(?:\s+|\s*-\s*){wk_word}\b", flags),
            ),
            (
                "months",
                re.compile(rf"\b(?P<m>{num})(?P<half>{half})?(?:\s+|\s*-\s*){month_word}\b", flags),
            ),
            # A correction with a bare number: "sorry I mean 24 not 34", "I meant 24".
            (
                "correction",
                re.compile(
                    rf"\b(?:mean|meant|i\s+mean|i\s+meant)\s*,?\s+(?P<w>{num})\b(?!\s*(?:%|kg|lbs?|mm|cm|"
                    r"minutes?|mins?|hours?|hrs?|days?|times?|years?|pads?|am|pm|o'?clock))"
                    rf"|\b(?P<w2>\d{{1,2}})\s+not\s+\d{{1,2}}\b(?!\s*(?:%|kg|lbs?|mm|cm|minutes?|mins?|"
                    r"hours?|hrs?|days?|times?|years?|pads?|am|pm))",
                    flags,
                ),
            ),
            ("trimester", re.compile(rf"\b(?P<t>{trimester_words})\s+trimester\b", flags)),
            (
                "halfway",
                re.compile(
                    r"\bhalf\s*-?\s*way\b(?!\s+(?:through\s+)?(?:the|my|a)\s+(?:day|night|morning|afternoon|"
                    r"evening|shift|work|film|meal|walk|run|journey))",
                    flags,
                ),
            ),
        ]
        self.standalone = re.compile(
            rf"^\s*(?:about|around|roughly|nearly|almost|approx\.?|~)?\s*(?P<w>\d{{1,2}}(?:\.\d)?|{_alternation(list(numbers))})"
            r"\s*(?:ish)?\s*[?.!]*\s*$",
            flags,
        )

    # values ----------------------------------------------------------------------------

    def number(self, text: str) -> float | None:
        text = re.sub(r"[\s-]+", " ", text.strip().lower())
        if text in self.number_words:
            return float(self.number_words[text])
        try:
            return float(text)
        except ValueError:
            return None

    def _weeks_ok(self, weeks: float | None) -> bool:
        return weeks is not None and self.weeks_min <= weeks <= self.weeks_max

    # cues ------------------------------------------------------------------------------

    def _before(self, text: str, start: int) -> list[str]:
        prefix = text[max(0, start - 60) : start]
        clause = _CLAUSE_END.split(prefix)[-1]
        return _WORD.findall(clause.lower())[-3:]

    def _after(self, text: str, end: int) -> tuple[str | None, bool]:
        """The next word, and whether the statement ends here (end of text or punctuation)."""
        rest = text[end : end + 40]
        stripped = rest.lstrip()
        if not stripped or stripped[0] in ",.;:!?\n)":
            return None, True
        words = _WORD.findall(stripped.lower()[:30])
        return (words[0] if words else None), False

    def _cued(self, text: str, start: int, end: int) -> bool:
        before = self._before(text, start)
        after, at_end = self._after(text, end)
        cues = self.cues
        if after is not None and (
            after in cues.get("duration_after", ()) or after in cues.get("label_after", ())
        ):
            return False
        if len(before) >= 2 and tuple(before[-2:]) in self.subject_pairs:
            return True
        if any(w in cues.get("duration_before", ()) for w in before[-2:]):
            return False
        if after is not None and after in cues.get("pregnancy_after", ()):
            return True
        if before and before[-1] in cues.get("subject_before", ()):
            return True
        return bool(at_end or after is not None and after in cues.get("statement_after", ()))

    def _duration(self, text: str, start: int, end: int) -> bool:
        before = self._before(text, start)
        after, _ = self._after(text, end)
        cues = self.cues
        if after is not None and (
            after in cues.get("duration_after", ()) or after in cues.get("label_after", ())
        ):
            return True
        if len(before) >= 2 and tuple(before[-2:]) in self.subject_pairs:
            return False
        return any(w in cues.get("duration_before", ()) for w in before[-2:])

    # candidates ------------------------------------------------------------------------

    def candidates(self, text: str) -> list[Candidate]:
        found: list[Candidate] = []
        m = self.standalone.match(text)
        if m:
            weeks = self.number(m.group("w"))
            if weeks is not None and self._weeks_ok(weeks):
                return [Candidate(m.start("w"), m.end("w"), float(weeks), "strong")]
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return not any(start < te and ts < end for ts, te in taken)

        for kind, pattern in self.patterns:
            for m in pattern.finditer(text):
                start, end = m.start(), m.end()
                if not free(start, end):
                    continue
                value: float | None = None
                ok = False
                if kind in ("weeks_days", "plus"):
                    weeks, days = self.number(m.group("w")), self.number(m.group("d"))
                    if (
                        weeks is not None
                        and self._weeks_ok(weeks)
                        and days is not None
                        and 0 <= days <= 6
                    ):
                        value, ok = (
                            round(weeks + days / 7.0, 2),
                            not self._duration(text, start, end),
                        )
                elif kind in ("slash40", "week_n"):
                    weeks = self.number(m.group("w"))
                    value, ok = (
                        weeks,
                        self._weeks_ok(weeks) and not self._duration(text, start, end),
                    )
                elif kind == "nth_week":
                    weeks = self.number(m.group("w"))
                    weeks = weeks - 1 if weeks is not None else None  # the 21st week: 20 weeks done
                    value, ok = (
                        weeks,
                        self._weeks_ok(weeks) and not self._duration(text, start, end),
                    )
                elif kind == "compact":
                    weeks = self.number(m.group("w"))
                    value, ok = (
                        weeks,
                        self._weeks_ok(weeks) and not self._duration(text, start, end),
                    )
                elif kind == "dictated":
                    weeks = self.number(m.group("w"))
                    if weeks is not None:
                        weeks += self.dictated[m.group("u").lower()]
                    value, ok = weeks, self._weeks_ok(weeks) and self._cued(text, start, end)
                elif kind == "weeks":
                    weeks = self.number(m.group("w"))
                    if weeks is not None and m.group("half"):
                        weeks += 0.5
                    value, ok = weeks, self._weeks_ok(weeks) and self._cued(text, start, end)
                elif kind == "months":
                    months = self.number(m.group("m"))
                    if months is not None and m.group("half"):
                        months += 0.5
                    if months is not None and self.months_min <= months <= self.months_max:
                        value = min(round(months * self.weeks_per_month, 1), self.weeks_max)
                        ok = self._cued(text, start, end)
                elif kind == "correction":
                    weeks = self.number(m.group("w") or m.group("w2"))
                    value, ok = weeks, self._weeks_ok(weeks)
                    group = "w" if m.group("w") else "w2"
                    start, end = m.start(group), m.end(group)
                elif kind == "trimester":
                    value, ok = self.trimesters.get(re.sub(r"\s+", " ", m.group("t").lower())), True
                elif kind == "halfway":
                    value, ok = self.halfway, True
                taken.append((start, end))  # a rejected duration still hides its pieces
                if ok and value is not None:
                    found.append(Candidate(start, end, float(value), kind))
        found.sort(key=lambda c: c.start)
        return found


@Language.factory(
    "gestational_age",
    default_config={"settings_file": "gestation.yml", "patterns_dir": None},
    requires=[
        "token.norm",
        "token.lemma",
        "doc.ents",
        "span._.findings",
        "span._.context",
        "doc._.clause_ids",
        "doc._.token_contexts",
    ],
    # span._.context: a symptom in a clause dated by a past gestation ("spotting at 8 weeks,
    # I'm 20 weeks now") becomes historical.
    assigns=["doc._.gestation", "doc._.due_date", "span._.context"],
)
def make_gestational_age(
    nlp: Language, name: str, settings_file: str, patterns_dir: str | None
) -> "GestationalAge":
    settings = load_yaml(patterns_path(settings_file, patterns_dir))
    return GestationalAge(name, GestationParser(settings))


class GestationalAge:
    """spaCy component: pick the patient's gestational age among the parser's candidates."""

    def __init__(self, name: str, parser: GestationParser) -> None:
        self.name = name
        self.parser = parser
        self.event_words = parser.cues.get("event_before", frozenset())
        self.event_window = 6
        self.date_words = parser.cues.get("date_before", frozenset())
        self.past_words = parser.cues.get("past_words", frozenset())

    def __call__(self, doc: Doc) -> Doc:
        doc._.gestation = None
        text = doc.text
        if not text.strip():
            return doc
        risk_ents = [
            (e.start_char, e.end_char, e.start)
            for e in doc.ents
            if any(kind == "risk_factor" for kind, _ in e._.findings)
        ]
        clause_ids = doc._.clause_ids
        kept: list[tuple[Candidate, Span]] = []
        for cand in self.parser.candidates(text):
            span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
            if span is None:
                continue
            if context_of(doc, span.start, span.end) in (HISTORICAL, OTHER_PERSON):
                continue
            if any(cand.start < re_ and rs < cand.end for rs, re_, _ in risk_ents):
                continue
            if clause_ids is not None and self._after_event(doc, span.start, clause_ids, risk_ents):
                continue
            kept.append((cand, span))
        if clause_ids is not None and len(kept) > 1:
            kept = self._drop_past_dates(doc, kept, clause_ids)
        if kept:
            cand = kept[0][0]
            doc._.gestation = (cand.weeks, text[cand.start : cand.end], cand.start, cand.end)
        doc._.due_date = None
        due = due_date_candidate(text)
        if due is not None:
            span = doc.char_span(due[2], due[3], alignment_mode="expand")
            if span is not None and context_of(doc, span.start, span.end) not in (
                HISTORICAL,
                OTHER_PERSON,
            ):
                doc._.due_date = due
        return doc

    def _drop_past_dates(
        self, doc: Doc, kept: list[tuple[Candidate, Span]], clause_ids: list[int]
    ) -> list[tuple[Candidate, Span]]:
        """ "I had spotting at 8 weeks, I'm 20 weeks now": "at 8 weeks" in a clause with a past
        word dates that clause, when the message gives a later gestation. The candidate goes,
        and the clause's symptoms are history."""
        latest = max(c.weeks for c, _ in kept)
        out = []
        for cand, span in kept:
            cid = clause_ids[span.start]
            before = doc[span.start - 1].norm_ if span.start > 0 else ""
            past = cid != -1 and any(
                clause_ids[t.i] == cid
                and (t.norm_ in self.past_words or t.lemma_ in self.past_words)
                for t in doc
            )
            if before in self.date_words and past and cand.weeks + 1 <= latest:
                for ent in doc.ents:
                    if (
                        clause_ids[ent.start] == cid
                        and ent._.context in (CURRENT, RESOLVED)
                        and any(kind == "symptom" for kind, _ in ent._.findings)
                    ):
                        ent._.context = HISTORICAL
                continue
            out.append((cand, span))
        return out

    def _after_event(self, doc: Doc, start: int, clause_ids: list[int], risk_ents: list) -> bool:
        """An event ("lost", "born", "stitch", a risk factor) earlier in the same clause."""
        cid = clause_ids[start] if start < len(clause_ids) else -1
        if cid == -1:
            return False
        if any(clause_ids[tok] == cid and tok < start for _, _, tok in risk_ents):
            return True
        i = start - 1
        steps = 0
        while i >= 0 and clause_ids[i] == cid and steps < self.event_window:
            if doc[i].norm_ in self.event_words or doc[i].lemma_ in self.event_words:
                return True
            i -= 1
            steps += 1
        return False
