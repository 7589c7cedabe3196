"""``AnchoredMatcher``: spaCy ``Matcher`` patterns, indexed by their first required word.

spaCy's Matcher tries every pattern at every token, and evaluates set predicates
(``{"LEMMA": {"IN": [...]}}``) in Python. With ~700 clinical phrases that is ~5 ms per message. So
each pattern is filed under its *anchor*, the first word it cannot do without (one entry per
alternative of that word, with the alternative written as a plain equality, which spaCy checks in
C). For a message, only the small matchers whose anchor occurs in it run, and each is built the
first time its anchor is seen. The matches are exactly those of one big Matcher (checked in
tests/test_nlp_extraction.py); optional words before the anchor are filed under their own
alternatives too, so "have not felt" still matches "@AUX? not felt".

Patterns whose first required token has no word to anchor on (a number, a regular expression)
go into one ordinary Matcher that always runs.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

Anchor = tuple[str, str]  # ("LEMMA", "bleed") or ("NORM", "waters")
ANCHOR_ATTRS = ("LEMMA", "NORM")


def _alternatives(spec: dict[str, Any]) -> tuple[str, list[str]] | None:
    """The (attribute, values) a token spec accepts, if it tests LEMMA or NORM for equality/IN."""
    for attr in ANCHOR_ATTRS:
        if attr in spec:
            value = spec[attr]
            if isinstance(value, str):
                return attr, [value]
            if isinstance(value, dict) and set(value) == {"IN"}:
                return attr, [str(v) for v in value["IN"]]
            return None
    return None


def anchors_of(pattern: list[dict[str, Any]]) -> list[tuple[Anchor, list[dict[str, Any]]]] | None:
    """The (anchor, pattern from the anchor on) pairs of a pattern, or None if it has no anchor."""
    out: list[tuple[Anchor, list[dict[str, Any]]]] = []
    for k, spec in enumerate(pattern):
        optional = spec.get("OP") == "?"
        alternatives = _alternatives(spec)
        if alternatives is None:
            # A number, a regular expression or a gap before the first required word: the
            # pattern may start there, so it cannot be filed under a word.
            return None
        attr, values = alternatives
        extra = {key: v for key, v in spec.items() if key not in (attr, "OP")}
        for value in values:
            head = {attr: value, **extra}
            out.append(((attr, value), [head] + pattern[k + 1 :]))
        if not optional:
            return out
    return out or None


class AnchoredMatcher:
    """A drop-in for ``spacy.matcher.Matcher`` (``add`` and ``__call__`` only) that scales."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._pending: dict[Anchor, dict[str, list[list[dict[str, Any]]]]] = {}
        self._built: dict[Anchor, Matcher] = {}
        self._fallback = Matcher(vocab, validate=False)
        self._has_fallback = False
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, patterns: Iterable[list[dict[str, Any]]]) -> None:
        self.vocab.strings.add(key)
        self._keys.add(key)
        for pattern in patterns:
            anchored = anchors_of(pattern)
            if anchored is None:
                self._fallback.add(key, [pattern])
                self._has_fallback = True
                continue
            for anchor, tail in anchored:
                self._pending.setdefault(anchor, {}).setdefault(key, []).append(tail)
                self._built.pop(anchor, None)

    def anchors(self) -> set[Anchor]:
        return set(self._pending)

    def _matcher(self, anchor: Anchor) -> Matcher | None:
        matcher = self._built.get(anchor)
        if matcher is None:
            by_key = self._pending.get(anchor)
            if by_key is None:
                return None
            with self._lock:
                matcher = self._built.get(anchor)
                if matcher is None:
                    matcher = Matcher(self.vocab, validate=False)
                    for key, patterns in by_key.items():
                        matcher.add(key, patterns)
                    self._built[anchor] = matcher
        return matcher

    def warm(self) -> None:
        """Build every small matcher now (otherwise each is built when first needed)."""
        for anchor in list(self._pending):
            self._matcher(anchor)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        found: set[tuple[int, int, int]] = set()
        seen: set[Anchor] = set()
        pending = self._pending
        for token in doc:
            for anchor in (("LEMMA", token.lemma_), ("NORM", token.norm_)):
                if anchor in seen or anchor not in pending:
                    continue
                seen.add(anchor)
                matcher = self._matcher(anchor)
                if matcher is not None:
                    found.update(matcher(doc))
        if self._has_fallback:
            found.update(self._fallback(doc))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))
