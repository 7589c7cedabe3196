"""The output of triage: how urgent, what we are worried about, and why.

Every reason carries the rule id and its published source, so a nurse reviewing a conversation
can see exactly which rule sent a patient where, and check it against docs/triage-rules.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Mapping


class Level(enum.Enum):
    """Triage levels, comparable by urgency: ``Level.EMERGENCY > Level.URGENT``.

    Each level is a level of care plus a time frame (as NHS Pathways dispositions are).
    """

    EMERGENCY = "emergency"  # call the emergency number now
    URGENT = "urgent"  # call maternity triage now and go in to be checked
    SAME_DAY = "same_day"  # contact the midwife, GP or early pregnancy unit today
    ROUTINE = "routine"  # at the next appointment, within a week
    SELF_CARE = "self_care"  # nothing to do now except watch for warning signs

    @property
    def rank(self) -> int:
        """Higher is more urgent."""
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank


_RANK = {
    Level.SELF_CARE: 0,
    Level.ROUTINE: 1,
    Level.SAME_DAY: 2,
    Level.URGENT: 3,
    Level.EMERGENCY: 4,
}

#: The level names, least urgent first: the one order the evaluation, the console and (checked
#: by a test) the widget use.
LEVEL_ORDER: tuple[str, ...] = tuple(level.value for level in sorted(_RANK, key=_RANK.__getitem__))


@dataclass(frozen=True)
class Reason:
    """Why one rule fired: its id, an explanation for the record, and where the rule comes from."""

    rule: str
    text: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text, "source": self.source}


@dataclass(frozen=True)
class Decision:
    """The result of ``assess``: the most urgent level of all rules that fired.

    ``concerns`` and ``reasons`` are ordered most urgent rule first; concerns are unique.
    """

    level: Level
    concerns: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        """The ids of the rules that fired, most urgent first."""
        return tuple(r.rule for r in self.reasons)

    def to_payload(self) -> dict[str, Any]:
        """The JSON sent to the widget and stored in the tracker for the nurse console."""
        return {
            "level": self.level.value,
            "concerns": list(self.concerns),
            "reasons": [r.to_dict() for r in self.reasons],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Decision:
        """Rebuild a decision from ``to_payload`` output (e.g. to re-render advice later)."""
        return cls(
            level=Level(payload["level"]),
            concerns=tuple(payload.get("concerns", ())),
            reasons=tuple(
                Reason(rule=r["rule"], text=r["text"], source=r["source"])
                for r in payload.get("reasons", ())
            ),
        )
