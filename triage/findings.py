"""What we know about the patient, in one immutable value.

The Rasa actions build a ``Findings`` from the slots (which can only hold lists, strings and
numbers, hence ``from_dict``/``to_dict``) and hand it to ``assess``. Keeping it frozen means a
decision can always be replayed from the same findings, which the nurse console relies on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .codes import ALL_RED_FLAGS, BLEEDING_ANSWERS, CONTRACTION_ANSWERS

#: Gestations outside this range are a mistake (a typo, a date, "50 weeks"), not a pregnancy.
MAX_WEEKS = 45.0


def _codes(value: Iterable[str] | None) -> frozenset[str]:
    """Accept any iterable of codes (a Rasa list slot, a set) and ignore blanks."""
    if value is None:
        return frozenset()
    if isinstance(value, str):  # a single code, not its letters
        value = [value]
    return frozenset(str(v).strip() for v in value if v is not None and str(v).strip())


@dataclass(frozen=True)
class Findings:
    """The symptoms, answers and history that the rules look at.

    ``present`` holds symptoms the patient has now; ``absent`` those she said she does not have.
    A code in ``absent`` never fires a rule; if a code is in both, ``present`` wins (the safer
    reading, e.g. "no bleeding this morning, but now there is").
    """

    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    contractions: str = "unknown"  # "yes" | "no" | "unsure" | "unknown" | "declined"
    gestational_weeks: float | None = None
    gestational_declined: bool = False
    risk_factors: frozenset[str] = frozenset()
    bleeding_amount: str | None = None  # "spotting" | "light" | "heavy" | "unsure"
    #: Symptoms that happened recently and have stopped ("I bled this morning, it's stopped").
    #: They are findings like any other (also in ``present``); the advice says they still
    #: need checking.
    resolved: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Normalise in place (frozen, so via object.__setattr__) so that callers may pass lists.
        object.__setattr__(self, "present", _codes(self.present))
        object.__setattr__(self, "absent", _codes(self.absent))
        object.__setattr__(self, "risk_factors", _codes(self.risk_factors))
        resolved = _codes(self.resolved)
        object.__setattr__(self, "resolved", resolved)
        object.__setattr__(self, "present", self.present | resolved)
        contractions = "unknown" if self.contractions is None else str(self.contractions)
        if contractions not in CONTRACTION_ANSWERS:
            raise ValueError(
                f"contractions must be one of {CONTRACTION_ANSWERS}, not {self.contractions!r}"
            )
        object.__setattr__(self, "contractions", contractions)
        if self.bleeding_amount is not None and self.bleeding_amount not in BLEEDING_ANSWERS:
            raise ValueError(
                f"bleeding_amount must be one of {BLEEDING_ANSWERS} or None, "
                f"not {self.bleeding_amount!r}"
            )
        weeks = self.gestational_weeks
        if weeks is not None:
            if isinstance(weeks, bool):
                raise ValueError("gestational_weeks must be a number of weeks, not a bool")
            weeks = float(weeks)
            if math.isnan(weeks) or not 0.0 <= weeks <= MAX_WEEKS:
                raise ValueError(
                    f"gestational_weeks must be between 0 and {MAX_WEEKS:g}, not {weeks!r}"
                )
            object.__setattr__(self, "gestational_weeks", weeks)
        object.__setattr__(self, "gestational_declined", bool(self.gestational_declined))

    # -- what the rules read -------------------------------------------------------------

    @property
    def symptoms(self) -> frozenset[str]:
        """Symptoms present now; a "heavy" bleeding amount counts as the red flag heavy_bleeding."""
        if self.bleeding_amount == "heavy":
            return self.present | {"heavy_bleeding"}
        return self.present

    @property
    def contraction_status(self) -> str:
        """The effective answer: a mention in the text beats the form's answer."""
        if "contractions" in self.present:
            return "yes"
        if "contractions" in self.absent:
            return "no"
        return self.contractions

    @property
    def red_flags(self) -> frozenset[str]:
        return self.symptoms & ALL_RED_FLAGS

    @property
    def weeks_known(self) -> bool:
        return self.gestational_weeks is not None

    def has(self, *codes: str) -> bool:
        """True when any of ``codes`` is present now."""
        return not self.symptoms.isdisjoint(codes)

    # -- Rasa slots ------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Findings:
        """Build from slot values; missing or None values mean "not known yet"."""
        data = dict(data or {})
        unknown = set(data) - {
            "present",
            "absent",
            "contractions",
            "gestational_weeks",
            "gestational_declined",
            "risk_factors",
            "bleeding_amount",
            "resolved",
        }
        if unknown:
            raise ValueError(f"unknown Findings keys: {sorted(unknown)}")
        return cls(
            present=_codes(data.get("present")),
            absent=_codes(data.get("absent")),
            contractions=data.get("contractions") or "unknown",
            gestational_weeks=data.get("gestational_weeks"),
            gestational_declined=bool(data.get("gestational_declined") or False),
            risk_factors=_codes(data.get("risk_factors")),
            bleeding_amount=data.get("bleeding_amount") or None,
            resolved=_codes(data.get("resolved")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly, with sorted lists so that equal findings serialise identically."""
        return {
            "present": sorted(self.present),
            "absent": sorted(self.absent),
            "contractions": self.contractions,
            "gestational_weeks": self.gestational_weeks,
            "gestational_declined": self.gestational_declined,
            "risk_factors": sorted(self.risk_factors),
            "bleeding_amount": self.bleeding_amount,
            "resolved": sorted(self.resolved),
        }
