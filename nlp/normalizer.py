"""``typo_normalizer``: map misspelled words to the closest word of the clinical vocabulary.

The vocabulary is every word the pattern files can match (with its inflections), plus the
context trigger words. A token is corrected only when all of these hold:

* it is a plain ASCII word of at least ``min_length`` (4) letters;
* it is not itself a vocabulary word, and not a protected common English word
  (``patterns/common_words.txt``, the extra words in ``patterns/normalizer.yml`` and every word
  form of the lookup lemmatiser) - so "wife" never becomes "wipe" and "stairs" never "stains";
* a vocabulary word lies within Damerau-Levenshtein (optimal string alignment) distance 1 for a
  word of 4-7 letters, or 2 for 8 letters or more.

The correction is written to ``token.norm_`` (the text is never changed); every token's
``token.lemma_`` gets the lookup lemma of its norm, which the entity and context patterns match. Candidates come from a symmetric-deletion index (SymSpell style): every
vocabulary word is stored under each string obtained by deleting up to two of its letters, so a
lookup only generates the deletions of the typed word, and the distance is computed only for the
handful of words that share one. Explicit misspellings (``misspellings:`` in normalizer.yml) win
over the distance search, for typos the distance rule cannot reach.
"""
# (no "from __future__ import annotations": spaCy resolves the factory signatures at runtime)

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from .lexicon import lemma, lemma_table, load_yaml, patterns_path, string_list


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).

    Stops early and returns ``limit`` once every path is at least ``limit`` edits long.
    """
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        best = cur[0]
        ai = a[i - 1]
        for j in range(1, lb + 1):
            cost = 0 if ai == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            if value < best:
                best = value
        if best >= limit:
            return limit
        prev2, prev = prev, cur
    return min(prev[lb], limit)


def _deletions(word: str, depth: int) -> set[str]:
    """All strings made by deleting 1..depth letters of ``word``."""
    result: set[str] = set()
    frontier = {word}
    for _ in range(depth):
        nxt: set[str] = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        result |= nxt
        frontier = nxt
    return result


class TypoCorrector:
    """The word-level part of the normaliser, usable (and testable) without spaCy."""

    def __init__(
        self,
        vocabulary: Iterable[str],
        protected: Iterable[str] = (),
        min_length: int = 4,
        long_word: int = 8,
        misspellings: Mapping[str, str] | None = None,
        min_target_length: int = 3,
    ) -> None:
        self.min_length = min_length
        self.long_word = long_word
        self.vocabulary = frozenset(
            w.lower()
            for w in vocabulary
            if w.isalpha() and w.isascii() and len(w) >= min_target_length
        )
        self.protected = (
            protected if isinstance(protected, (set, frozenset)) else frozenset(protected)
        )
        self.misspellings = {k.lower(): v.lower() for k, v in (misspellings or {}).items()}
        # Symmetric-deletion index. Two edits are allowed only for words of long_word letters, and
        # a word within two edits of those has at least long_word - 2 letters: only such words
        # need their two-letter deletions indexed.
        self._index: dict[str, list[str]] = {}
        for word in self.vocabulary:
            self._index.setdefault(word, []).append(word)
            depth = 2 if len(word) >= long_word - 2 else 1
            for deleted in _deletions(word, depth):
                self._index.setdefault(deleted, []).append(word)
        self.correct = lru_cache(maxsize=16384)(self._correct)  # per instance

    def max_distance(self, word: str) -> int:
        if len(word) < self.min_length:
            return 0
        return 2 if len(word) >= self.long_word else 1

    def _correct(self, word: str) -> str | None:
        """The vocabulary word ``word`` is a typo of, or None (unknown, protected or ambiguous-free)."""
        if word in self.misspellings:
            return self.misspellings[word]
        if word in self.vocabulary or word in self.protected:
            return None
        limit = self.max_distance(word)
        if limit == 0:
            return None
        candidates: set[str] = set(self._index.get(word, ()))
        for deleted in _deletions(word, limit):
            candidates.update(self._index.get(deleted, ()))
        best: tuple[int, int, int, int, str] | None = None
        for candidate in candidates:
            distance = osa_distance(word, candidate, limit + 1)
            if distance > limit:
                continue
            # Prefer the nearest word, then one with the same first letter, then a base form
            # ("stomache" -> "stomach", not "stomachs"), then a similar length.
            key = (
                distance,
                0 if candidate[0] == word[0] else 1,
                0 if lemma(candidate) == candidate else 1,
                abs(len(candidate) - len(word)),
                candidate,
            )
            if best is None or key < best:
                best = key
        return best[-1] if best else None


def _read_word_list(path: Path) -> set[str]:
    words: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip().lower()
            if line:
                words.add(line)
    return words


@Language.factory(
    "typo_normalizer",
    default_config={
        "pattern_files": ["symptoms.yml", "bleeding_amounts.yml", "risk_factors.yml"],
        "context_file": "context.yml",
        "settings_file": "normalizer.yml",
        "classes_file": "classes.yml",
        "patterns_dir": None,
    },
    assigns=["token.norm", "token.lemma"],
)
def make_typo_normalizer(
    nlp: Language,
    name: str,
    pattern_files: list[str],
    context_file: str | None,
    settings_file: str,
    classes_file: str,
    patterns_dir: str | None,
) -> "TypoNormalizer":
    from .context import context_vocabulary
    from .entities import pattern_vocabulary

    vocabulary = pattern_vocabulary(nlp, pattern_files, classes_file, patterns_dir)
    if context_file:
        vocabulary |= context_vocabulary(nlp, context_file, classes_file, patterns_dir)
    settings = load_yaml(patterns_path(settings_file, patterns_dir)) or {}
    vocabulary |= {
        w.lower() for w in string_list(settings.get("extra_vocabulary"), "extra_vocabulary")
    }
    protected: set[str] = {
        w.lower() for w in string_list(settings.get("protected_words"), "protected_words")
    }
    for list_file in string_list(settings.get("protected_word_files"), "protected_word_files"):
        protected |= _read_word_list(patterns_path(list_file, patterns_dir))
    if settings.get("protect_lemmatizer_words", True):
        table = lemma_table()
        protected |= set(table) | set(table.values())
    corrector = TypoCorrector(
        vocabulary,
        protected - vocabulary,
        min_length=int(settings.get("min_length", 4)),
        long_word=int(settings.get("long_word", 8)),
        misspellings={str(k): str(v) for k, v in (settings.get("misspellings") or {}).items()},
    )
    return TypoNormalizer(name, corrector)


class TypoNormalizer:
    """spaCy component: write the corrected word to ``token.norm_`` and its lemma to ``token.lemma_``."""

    def __init__(self, name: str, corrector: TypoCorrector) -> None:
        self.name = name
        self.corrector = corrector

    def __call__(self, doc: Doc) -> Doc:
        correct = self.corrector.correct
        min_length = self.corrector.min_length
        for token in doc:
            if token.is_alpha:
                text = token.lower_
                if len(text) >= min_length and text.isascii():
                    fixed = correct(text)
                    if fixed is not None:
                        token.norm_ = fixed
            token.lemma_ = lemma(token.norm_)
        return doc


__all__: Sequence[str] = ("TypoCorrector", "TypoNormalizer", "osa_distance")
