"""Patients not fluent in English (hazard HZ-15): which language a message is clearly written
in, and a short safety card in that language with the clinic's numbers.

Pure Python (no Rasa, no language-identification library). The word lists and the cards are
data, in ``content/languages.yml``; this module only reads them:

- a message mostly in the letters of one script (Arabic, Gurmukhi, Bengali, Cyrillic,
  Devanagari) is in a language of that script; two languages that share a script (Arabic and
  Urdu, Ukrainian and Russian) are told apart by their cue words and their own letters;
- a Latin-script message is in a language only when it holds at least two different cue words
  of that language, more than of any other, and no more English words than cue words. An
  English message with one foreign word, a name or a typo is never taken for another language.

``detect_language`` returns None for English and whenever it is unsure: the caller then
answers in English as before. Why a word list and not a dependency: docs/decisions.md.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .clinic import Clinic

#: The data file: word lists and cards (the cards' translations are drafts, see the file).
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "languages.yml"

#: Unicode blocks of the scripts a card can be chosen by (Latin is everything else that is a
#: letter of the Latin blocks).
SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "arabic": (
        (0x0600, 0x06FF),
        (0x0750, 0x077F),
        (0x08A0, 0x08FF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
    ),
    "gurmukhi": ((0x0A00, 0x0A7F),),
    "bengali": ((0x0980, 0x09FF),),
    "cyrillic": ((0x0400, 0x052F),),
    "devanagari": ((0x0900, 0x097F),),
}
LATIN: tuple[tuple[int, int], ...] = (
    (0x0041, 0x005A),
    (0x0061, 0x007A),
    (0x00C0, 0x024F),
    (0x1E00, 0x1EFF),
)
#: A script's letters must be at least this many, and more than the Latin letters.
MIN_SCRIPT_LETTERS = 2
#: A Latin-script language needs at least this many different cue words.
MIN_CUES = 2

# Right-to-left cards: a phone number like "0300 123 4567" inside Arabic text would show its
# groups in reverse order ("4567 123 0300"); each filled value is isolated left to right, and
# each line right to left (the chat shows text left to right, which would move a line's final
# full stop and brackets to the wrong end).
_LRI, _RLI, _PDI = "\u2066", "\u2067", "\u2069"
# Letters written differently on Arabic and Urdu keyboards, folded to one form for matching.
_ARABIC_SCRIPT_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ه": "ہ"})
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


class LanguagesConfigError(ValueError):
    """content/languages.yml is missing, unreadable, or an entry is malformed."""


@dataclass(frozen=True)
class Language:
    """One language of content/languages.yml."""

    code: str
    name: str
    native_name: str
    script: str
    card: str
    cues: frozenset[str] = frozenset()
    letters: frozenset[str] = frozenset()
    default: bool = False
    rtl: bool = False


@dataclass(frozen=True)
class Languages:
    """The whole data file: the languages in file order, the English words, and the English
    interpreter line."""

    languages: tuple[Language, ...]
    english_words: frozenset[str]
    interpreter_line: str

    def get(self, code: str) -> Language:
        for language in self.languages:
            if language.code == code:
                return language
        raise KeyError(code)


def fold(word: str) -> str:
    """Lower case without accents, as cue words are matched: "Ciąży" -> "ciazy"."""
    text = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("ł", "l").translate(_ARABIC_SCRIPT_FOLD)


def words(text: str) -> list[str]:
    """The message's words, folded (digits and punctuation dropped; "j'ai" stays one word)."""
    return _WORD.findall(fold(text))


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    point = ord(ch)
    return any(low <= point <= high for low, high in ranges)


def _script_letters(text: str) -> dict[str, int]:
    """How many letters (and vowel signs) of each script the text has, Latin included."""
    counts = dict.fromkeys([*SCRIPTS, "latin"], 0)
    for ch in text:
        if not unicodedata.category(ch).startswith(("L", "M")):
            continue
        if _in(ch, LATIN):
            counts["latin"] += 1
            continue
        for script, ranges in SCRIPTS.items():
            if _in(ch, ranges):
                counts[script] += 1
                break
    return counts


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LanguagesConfigError(f"{where} must be a list of words")
    return [v.strip() for v in value]


def _language(code: str, entry: Any, source: str) -> Language:
    where = f"{source}: languages: {code}"
    if not isinstance(entry, Mapping):
        raise LanguagesConfigError(f"{where} must be a mapping")
    script = entry.get("script")
    if script != "latin" and script not in SCRIPTS:
        raise LanguagesConfigError(
            f"{where}: script must be latin or one of {', '.join(SCRIPTS)}, not {script!r}"
        )
    card = entry.get("card")
    if not isinstance(card, str) or not card.strip():
        raise LanguagesConfigError(f"{where}: missing card")
    cues = frozenset(fold(w) for w in _str_list(entry.get("cues"), f"{where}: cues"))
    if script == "latin" and len(cues) < MIN_CUES:
        raise LanguagesConfigError(f"{where}: a Latin-script language needs cue words")
    letters = entry.get("letters") or ""
    if not isinstance(letters, str):
        raise LanguagesConfigError(f"{where}: letters must be a string of letters")
    direction = entry.get("direction", "ltr")
    if direction not in ("ltr", "rtl"):
        raise LanguagesConfigError(f"{where}: direction must be ltr or rtl")
    return Language(
        code=code,
        name=str(entry.get("name") or code),
        native_name=str(entry.get("native_name") or entry.get("name") or code),
        script=script,
        card=card.strip(),
        cues=cues,
        letters=frozenset(letters.lower()),
        default=bool(entry.get("default", False)),
        rtl=direction == "rtl",
    )


def languages_from_dict(data: Any, source: str = "languages config") -> Languages:
    """Validate and build the languages from parsed YAML."""
    if not isinstance(data, Mapping) or not isinstance(data.get("languages"), Mapping):
        raise LanguagesConfigError(f"{source}: expected a 'languages' mapping")
    line = data.get("interpreter_line")
    if not isinstance(line, str) or not line.strip():
        raise LanguagesConfigError(f"{source}: missing interpreter_line")
    english = frozenset(fold(w) for w in _str_list(data.get("english_words"), "english_words"))
    found = tuple(_language(str(code), entry, source) for code, entry in data["languages"].items())
    return Languages(found, english, line.strip())


@functools.lru_cache(maxsize=4)
def load_languages(path: str | os.PathLike[str] | None = None) -> Languages:
    """Read content/languages.yml (or ``path``), once per process."""
    chosen = Path(path or DEFAULT_PATH)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LanguagesConfigError(f"cannot read {chosen}: {exc}") from exc
    return languages_from_dict(data, str(chosen))


def _evidence(language: Language, tokens: set[str], text: str) -> int:
    """Different cue words in the message, plus each of the language's own letters in it."""
    return len(language.cues & tokens) + sum(1 for ch in language.letters if ch in text)


def detect_language(text: str, config: Languages | None = None) -> str | None:
    """The code of the language ``text`` is clearly written in, if it is not English and is one
    of content/languages.yml; None for English, for a language not in the file, and whenever
    unsure."""
    config = config or load_languages()
    if not text or not text.strip():
        return None
    lowered = unicodedata.normalize("NFC", text).lower()
    counts = _script_letters(lowered)
    tokens = words(text)
    distinct = set(tokens)
    script = max(SCRIPTS, key=lambda name: counts[name])
    if counts[script] >= MIN_SCRIPT_LETTERS and counts[script] > counts["latin"]:
        candidates = [lang for lang in config.languages if lang.script == script]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0].code
        evidence = {lang.code: _evidence(lang, distinct, lowered) for lang in candidates}
        best = max(candidates, key=lambda lang: (evidence[lang.code], lang.default))
        if evidence[best.code] == 0 and not best.default:
            return None  # no evidence either way, and no default for this script
        return best.code
    latin = [lang for lang in config.languages if lang.script == "latin"]
    scores = sorted(((len(lang.cues & distinct), lang.code) for lang in latin), reverse=True)
    if not scores:
        return None
    (best_score, best_code), runner_up = scores[0], scores[1][0] if len(scores) > 1 else 0
    english = sum(1 for token in tokens if token in config.english_words)
    if best_score >= MIN_CUES and best_score > runner_up and english <= best_score:
        return best_code
    return None


def _isolated(value: str, rtl: bool) -> str:
    return f"{_LRI}{value}{_PDI}" if rtl else value


def safety_card(code: str, clinic: Clinic, config: Languages | None = None) -> str:
    """The card of language ``code`` with the clinic's names and numbers filled in."""
    language = (config or load_languages()).get(code)
    rtl = language.rtl
    card = language.card.format(
        triage_name=_isolated(clinic.maternity_triage.name, rtl),
        triage_phone=_isolated(clinic.maternity_triage.phone, rtl),
        emergency_number=_isolated(clinic.emergency_number, rtl),
    )
    if rtl:
        card = "\n".join(f"{_RLI}{line}{_PDI}" for line in card.splitlines())
    return card


def interpreter_line(config: Languages | None = None) -> str:
    """The English line that goes with every card and every 'not understood' reply."""
    return (config or load_languages()).interpreter_line
