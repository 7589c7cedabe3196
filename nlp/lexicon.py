"""Word forms, pattern files and the small phrase language the pattern files are written in.

Clinicians write patterns as plain phrases ("pressure down below"); this module turns them into
spaCy ``Matcher`` token patterns. A word is compared with ``token.lemma_`` (the lookup lemma of the
lower-case, typo-corrected word that the ``typo_normalizer`` component writes to ``token.norm_``),
so one pattern word covers its inflections; ``=word`` is compared with ``token.norm_`` itself.

Phrase language (one phrase = words separated by spaces):

``word``
    the word or any of its inflections from the spaCy lookup lemmatiser
    (``cramp`` also matches cramps, cramping, cramped; ``bleed`` matches bleeding, bled)
``=word``
    exactly this word, no inflections (``=discharge`` does not match "discharged")
``a|b|c``
    any of these words (each may start with ``=``)
``@CLASS``
    any word of a word class from ``patterns/classes.yml`` (``@BELLY`` = tummy, belly, ...)
``<number>``
    a number ("20", "twenty", "38.5"). (Not "#": in YAML " #" starts a comment.)
``/regex/``
    a token whose norm matches the regular expression (``/^\\d+mins?$/`` for "10mins")
``*``
    a gap of up to three words (never punctuation, never a negation word such as "not")
``?`` after any item
    the item is optional (``really? heavy``)
``^`` before any item
    the word must start a sentence (``^does a``)
``[item]`` at the start or end of a phrase
    the word must be there but is not part of the finding: ``[no|a|had] =show`` matches
    "no show" and "had a show" and marks only "show", so that "no" can negate it
``!a|b`` as the last item
    the phrase must NOT be followed by one of these words (the end of the message is fine):
    ``@BABYNOUN @AUX been? [still] !moving|kicking`` matches "the baby has been still" but not
    "the baby is still moving". It is checked after matching (:meth:`PhraseCompiler.veto`);
    ``compile`` leaves it out of the spaCy pattern.

Words that the spaCy tokenizer splits are written as one word: ``cant`` becomes "can not".
``not`` matches "not", "n't" and the "nt" of "dont"/"doesnt" (spaCy normalises all three).
"""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"

#: libyaml's safe loader when available (ten times faster than the pure-Python one).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: A gap ``*`` is this many optional tokens (spaCy 3.4 has no bounded ``{0,3}`` operator).
GAP_LENGTH = 3

#: Words a gap may never swallow, so that "pressure * cervix" cannot bridge "no" or "but".
GAP_BLOCKERS: frozenset[str] = frozenset(
    {
        "not",
        "no",
        "never",
        "without",
        "nothing",
        "none",
        "nor",
        "neither",
        "but",
        "however",
        "although",
        "though",
        "tho",
        "except",
        "apart",
    }
)


def patterns_path(
    name: str | os.PathLike[str], patterns_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Resolve a pattern file name against ``patterns_dir`` (default: ``nlp/patterns``)."""
    path = Path(name)
    if path.is_absolute():
        return path
    return (Path(patterns_dir) if patterns_dir else PATTERNS_DIR) / path


@cache
def _load_yaml_cached(path: str, mtime: float) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader) or {}


def load_yaml(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file once (re-read if it changed on disk)."""
    path = str(path)
    return _load_yaml_cached(path, os.path.getmtime(path))


# -- lemma lookups (spacy-lookups-data) ---------------------------------------------------


@lru_cache(maxsize=1)
def lemma_table() -> Mapping[str, str]:
    """The English lookup lemmatiser table of spacy-lookups-data (word form -> lemma)."""
    try:
        import spacy_lookups_data
    except ImportError:  # pragma: no cover - the package is a declared dependency
        return {}
    path = Path(spacy_lookups_data.__file__).resolve().parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    return {str(k).lower(): str(v).lower() for k, v in table.items()}


@lru_cache(maxsize=1)
def _reverse_lemmas() -> Mapping[str, list[str]]:
    reverse: dict[str, list[str]] = defaultdict(list)
    for form, base in lemma_table().items():
        reverse[base].append(form)
    return dict(reverse)


def lemma(word: str) -> str:
    """The lookup lemma of a lower-case word (the word itself when the table does not know it)."""
    return lemma_table().get(word, word)


@lru_cache(maxsize=8192)
def forms(word: str) -> frozenset[str]:
    """A word, its lemma and every inflection that shares the lemma: ``cramp`` -> cramps, cramping.

    The forms whose lemma is the word itself count too: the lookup table maps "leggings" to
    "legging" but "legging" to "leg", so the forms of "legging" must include "leggings"."""
    word = word.lower()
    base = lemma(word)
    reverse = _reverse_lemmas()
    return frozenset({word, base, *reverse.get(base, ()), *reverse.get(word, ())})


def ensure_lemmas(doc: Any) -> None:
    """Give every token the lookup lemma of its norm, unless ``typo_normalizer`` already did
    (the entity and context patterns match ``token.lemma_``)."""
    if len(doc) and not doc.has_annotation("LEMMA"):
        for token in doc:
            token.lemma_ = lemma(token.norm_)


# -- the phrase language ------------------------------------------------------------------


class PatternError(ValueError):
    """A pattern file or phrase that cannot be compiled. Raised at load time, never per message."""


@dataclass
class PhraseCompiler:
    """Compile phrases of the pattern language into spaCy Matcher token patterns.

    ``tokenizer`` is the pipeline's tokenizer, so that "cant" or "ehlers-danlos" are split the
    same way in patterns and in messages; ``classes`` maps class names to their member words.
    """

    tokenizer: Any
    classes: Mapping[str, Iterable[str]]

    def __post_init__(self) -> None:
        self.classes = {
            str(k).upper(): [str(w) for w in v] for k, v in (self.classes or {}).items()
        }
        self._split_cache: dict[str, list[str]] = {}
        self._class_cache: dict[str, set[tuple[str, str]]] = {}
        self._norm_cache: dict[str, set[str]] = {}
        self._gap = {
            "NORM": {"NOT_IN": sorted(GAP_BLOCKERS)},
            "IS_PUNCT": False,
            "IS_SPACE": False,
            "OP": "?",
        }

    # words -----------------------------------------------------------------------------

    def _split(self, word: str) -> list[str]:
        """The norms spaCy gives the pieces of ``word`` ("cant" -> ["can", "not"])."""
        cached = self._split_cache.get(word)
        if cached is None:
            cached = [t.norm_ for t in self.tokenizer(word) if not t.is_space]
            if not cached:
                raise PatternError(f"empty word in pattern: {word!r}")
            self._split_cache[word] = cached
        return cached

    def _alternative_spec(self, alternative: str, phrase: str) -> tuple[str, str]:
        """("LEMMA", lemma) for a word, ("NORM", word) for an exact ``=word``."""
        exact = alternative.startswith("=")
        word = alternative[1:] if exact else alternative
        pieces = self._split(word)
        if len(pieces) != 1:
            raise PatternError(
                f"{alternative!r} in {phrase!r} splits into several tokens {pieces}; "
                "write the pieces as separate words"
            )
        return ("NORM", pieces[0]) if exact else ("LEMMA", lemma(pieces[0]))

    def _item_spec(self, specs: set[tuple[str, str]], phrase: str) -> dict[str, Any]:
        """One token spec accepting any of ``specs``: equality, or an IN set on one attribute."""
        attrs = {attr for attr, _ in specs}
        if len(attrs) > 1:  # mixed exact words and lemmas: compare norms
            norms: set[str] = set()
            for attr, value in specs:
                norms |= {value} if attr == "NORM" else set(forms(value)) | {value}
            attr, values = "NORM", norms
        else:
            attr, values = attrs.pop(), {value for _, value in specs}
        if len(values) == 1:
            return {attr: next(iter(values))}
        return {attr: {"IN": sorted(values)}}

    def class_specs(self, name: str, phrase: str = "") -> set[tuple[str, str]]:
        key = name.upper()
        if key in self._class_cache:
            return self._class_cache[key]
        if key not in self.classes:
            raise PatternError(f"unknown word class @{name} in {phrase!r}")
        specs = {self._alternative_spec(member, f"@{name}") for member in self.classes[key]}
        self._class_cache[key] = specs
        return specs

    def class_norms(self, name: str, phrase: str = "") -> set[str]:
        key = "norms:" + name.upper()
        norms = self._norm_cache.get(key)
        if norms is None:
            norms = set()
            for attr, value in self.class_specs(name, phrase):
                norms |= {value} if attr == "NORM" else set(forms(value)) | {value}
            self._norm_cache[key] = norms
        return norms

    # phrases ---------------------------------------------------------------------------

    @staticmethod
    def split_veto(phrase: str) -> tuple[str, str | None]:
        """The phrase without its final ``!a|b`` item, and that item (without the "!") or None."""
        items = phrase.split()
        if items and items[-1].startswith("!"):
            veto = items[-1][1:]
            if not veto or len(items) < 2:
                raise PatternError(f"empty or lone !item in {phrase!r}")
            return " ".join(items[:-1]), veto
        if any(item.startswith("!") for item in items):
            raise PatternError(f"a !item must be the last item: {phrase!r}")
        return phrase, None

    def veto(self, phrase: str) -> frozenset[str]:
        """The norms that must not follow a match of ``phrase`` (empty: no ``!`` item)."""
        _, item = self.split_veto(phrase)
        if item is None:
            return frozenset()
        norms: set[str] = set()
        for alternative in item.split("|"):
            if not alternative:
                raise PatternError(f"empty alternative in {phrase!r}")
            if alternative.startswith("@"):
                norms |= self.class_norms(alternative[1:], phrase)
            elif alternative.startswith("="):
                norms |= set(self._split(alternative[1:]))
            else:
                for piece in self._split(alternative):
                    norms |= set(forms(piece))
        return frozenset(norms)

    @staticmethod
    def trim(phrase: str) -> tuple[int, int]:
        """How many ``[context]`` words a phrase has at its start and at its end."""
        items = PhraseCompiler.split_veto(phrase)[0].split()
        lead = 0
        while lead < len(items) and items[lead].startswith("[") and items[lead].endswith("]"):
            lead += 1
        tail = 0
        while (
            tail < len(items) - lead
            and items[-1 - tail].startswith("[")
            and items[-1 - tail].endswith("]")
        ):
            tail += 1
        return lead, tail

    def compile(self, phrase: str) -> list[dict[str, Any]]:
        """One phrase -> one spaCy token pattern (a list of token dicts)."""
        if not isinstance(phrase, str) or not phrase.strip():
            raise PatternError(f"empty phrase: {phrase!r}")
        phrase = self.split_veto(phrase)[0]
        lead, tail = self.trim(phrase)
        if lead + tail >= len(phrase.split()):
            raise PatternError(f"phrase {phrase!r} has only [context] words")
        pattern: list[dict[str, Any]] = []
        for raw in phrase.split():
            item = raw[1:-1] if raw.startswith("[") and raw.endswith("]") and len(raw) > 2 else raw
            if item is not raw and (item.endswith("?") or item == "*"):
                raise PatternError(
                    f"a [context] word cannot be optional or a gap: {raw!r} in {phrase!r}"
                )
            optional = (
                len(item) > 1
                and item.endswith("?")
                and not (item.startswith("/") and item.endswith("/"))
            )
            if optional:
                item = item[:-1]
            sent_start = len(item) > 1 and item.startswith("^")
            if sent_start:
                item = item[1:]
            if item == "*":
                pattern.extend(dict(self._gap) for _ in range(GAP_LENGTH))
                continue
            specs: list[dict[str, Any]]
            if item == "<number>":
                specs = [{"LIKE_NUM": True}]
            elif len(item) > 2 and item.startswith("/") and item.endswith("/"):
                specs = [{"NORM": {"REGEX": item[1:-1]}}]
            elif item.startswith("@") or "|" in item:
                alternatives: set[tuple[str, str]] = set()
                for alternative in item.split("|"):
                    if not alternative:
                        raise PatternError(f"empty alternative in {phrase!r}")
                    if alternative.startswith("@"):
                        alternatives |= self.class_specs(alternative[1:], phrase)
                    else:
                        alternatives.add(self._alternative_spec(alternative, phrase))
                specs = [self._item_spec(alternatives, phrase)]
            else:
                exact = item.startswith("=")
                word = item[1:] if exact else item
                specs = [
                    {"NORM": piece} if exact else {"LEMMA": lemma(piece)}
                    for piece in self._split(word)
                ]
            if sent_start:
                specs[0]["IS_SENT_START"] = True
            if optional:
                if len(specs) != 1:
                    raise PatternError(
                        f"{item!r} splits into several tokens and cannot be optional"
                    )
                specs[0]["OP"] = "?"
            pattern.extend(specs)
        if all(spec.get("OP") == "?" for spec in pattern):
            raise PatternError(f"phrase {phrase!r} has no required word")
        return pattern

    def vocabulary(self, phrase: str) -> set[str]:
        """The alphabetic words a phrase can match (for the typo normaliser's vocabulary)."""
        cached = self._norm_cache.get("phrase:" + phrase)
        if cached is not None:
            return cached
        words: set[str] = set()
        for item in self.split_veto(phrase)[0].split():
            if item.startswith("[") and item.endswith("]"):
                item = item[1:-1]
            if len(item) > 1 and item.endswith("?"):
                item = item[:-1]
            if item in ("*", "<number>") or item.startswith("/"):
                continue
            for alternative in item.split("|"):
                alternative = alternative.lstrip("^")
                if alternative.startswith("@"):
                    words |= self.class_norms(alternative[1:], phrase)
                    continue
                exact = alternative.startswith("=")
                word = alternative[1:] if exact else alternative
                for piece in self._split(word):
                    words |= {piece} if exact else set(forms(piece))
        words = {w for w in words if w.isalpha() and w.isascii()}
        self._norm_cache["phrase:" + phrase] = words
        return words


def string_list(values: Any, where: str) -> list[str]:
    """A YAML list of words/phrases as strings; YAML's true/false/null are refused, because an
    unquoted ``no``, ``yes``, ``on`` or ``off`` in a list silently becomes a boolean."""
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise PatternError(f"{where}: expected a list")
    out = []
    for value in values:
        if value is None or isinstance(value, bool):
            raise PatternError(f"{where}: {value!r} in a word list (quote yes/no/on/off in YAML)")
        out.append(str(value))
    return out


def load_classes(
    classes_file: str | os.PathLike[str] = "classes.yml",
    patterns_dir: str | os.PathLike[str] | None = None,
) -> dict[str, list[str]]:
    data = load_yaml(patterns_path(classes_file, patterns_dir))
    classes = data.get("classes", data) if isinstance(data, Mapping) else {}
    if not isinstance(classes, Mapping):
        raise PatternError(f"{classes_file}: expected a mapping of class name -> words")
    return {str(k): string_list(v, f"{classes_file}: {k}") for k, v in classes.items()}
