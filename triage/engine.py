"""Run the rule table over findings, decide what still needs asking, and find the floor.

The level is the maximum over every rule that fires, never a vote or a first match: a red flag
can only raise the level, and a reassuring answer elsewhere can never lower it.

The *floor* is the least urgent decision that the answers still missing (the weeks, how much
blood, whether there are contractions) could lead to. When it is urgent or an emergency, the
patient is told so at once, before any question: a patient may leave after one message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from .codes import CI_RISK_FACTORS, CONTRACTION_ANSWERS, SEED_SYMPTOMS
from .decision import Decision, Level, Reason
from .findings import Findings
from .rules import EARLY_END, WEEK_BOUNDARIES, Rule, fired_rules

#: Symptoms for which contractions decide between cervical insufficiency, preterm labour and
#: (from 37 weeks) labour.
_ASK_CONTRACTIONS_FOR = SEED_SYMPTOMS | {"fluid_leak", "mucus_plug", "period_type_pain"}

#: The one reason that keeps an earlier, more urgent piece of advice (see ``hold``).
HELD = "H1"
HELD_TEXT = (
    "Earlier in this conversation the advice was {level}. Later answers never lower it: "
    "the earlier advice stands."
)
HELD_SOURCE = (
    "Almond, Mant & Thompson, BJGP 2009 (safety-netting); project decision "
    "(docs/triage-rules.md): advice given is never withdrawn by a later answer"
)
RESOLVED_NOTE = "It has stopped, but it still needs checking."


def _reason(rule: Rule, f: Findings) -> Reason:
    """The rule's text plus what this patient's findings add to it."""
    parts = [rule.text]
    if rule.if_weeks_unknown and f.gestational_weeks is None:
        note = rule.if_weeks_unknown
        if f.gestational_declined:
            note = note.replace("not known", "not given (declined)", 1)
        parts.append(note)
    if f.resolved & rule.covers and not (f.present - f.resolved) & rule.covers:
        parts.append(RESOLVED_NOTE)
    history = sorted(f.risk_factors & CI_RISK_FACTORS)
    if rule.notes_history and history:
        parts.append(
            "History: " + ", ".join(history) + " - your history makes this more important."
        )
    return Reason(rule=rule.id, text=" ".join(parts), source=rule.source)


def assess(findings: Findings) -> Decision:
    """Triage ``findings``: the most urgent level over all rules that fire, with every reason."""
    fired = fired_rules(findings)
    # sorted() is stable, so rules of the same level keep their table order.
    fired.sort(key=lambda rule: rule.level.rank, reverse=True)
    if not fired:  # cannot happen (SC1 and X1 between them cover every case), but be safe
        return Decision(level=Level.SAME_DAY, concerns=("other_symptom",), reasons=())
    concerns: list[str] = []
    for rule in fired:
        for concern in rule.concerns:
            if concern not in concerns:
                concerns.append(concern)
    return Decision(
        level=fired[0].level,
        concerns=tuple(concerns),
        reasons=tuple(_reason(rule, findings) for rule in fired),
    )


def hold(decision: Decision, earlier: Level | None) -> Decision:
    """``decision``, raised to ``earlier`` when an earlier reply already advised more urgently.

    A patient told "call maternity triage now" is never later told "see your GP today" because
    of an answer (a correction, a button) given after that advice.
    """
    if earlier is None or decision.level >= earlier:
        return decision
    reason = Reason(
        rule=HELD,
        text=HELD_TEXT.format(level=earlier.value.replace("_", " ")),
        source=HELD_SOURCE,
    )
    return Decision(level=earlier, concerns=decision.concerns, reasons=(reason, *decision.reasons))


def _band_weeks() -> tuple[float, ...]:
    """One gestation inside each band between the rules' week boundaries (and either side)."""
    edges = (4.0, *WEEK_BOUNDARIES, 42.0)
    return tuple((lo + hi) / 2 for lo, hi in zip(edges, edges[1:], strict=False))


_BAND_WEEKS = _band_weeks()


def completions(findings: Findings) -> Iterator[Findings]:
    """Every way the questions still open could be answered (including never answered).

    The bleeding amount is not varied: an amount not known counts as not heavy, the least
    urgent answer, so it is the floor's own.
    """
    missing = missing_information(findings)
    weeks_options: tuple[float | None, ...] = (findings.gestational_weeks,)
    if "gestational_weeks" in missing:
        weeks_options = (None, *_BAND_WEEKS)
    contraction_options: tuple[str, ...] = (findings.contractions,)
    if findings.contraction_status == "unknown" and (
        "contractions" in missing or findings.gestational_weeks is None
    ):
        # (With the weeks unknown, the question may come once they are known.) The answer as
        # it stands comes first, so that a tie keeps the reasons of what is known now.
        contraction_options = (
            findings.contractions,
            *(a for a in CONTRACTION_ANSWERS if a != findings.contractions),
        )
    for weeks in weeks_options:
        for answer in contraction_options:
            yield dataclasses.replace(findings, gestational_weeks=weeks, contractions=answer)


def floor(findings: Findings) -> Decision:
    """The least urgent decision over every way the missing answers could go.

    With nothing left to ask it is ``assess(findings)`` itself. The first completion is the
    findings as they stand, so a tie keeps the reasons that hold now.
    """
    return min((assess(c) for c in completions(findings)), key=lambda d: d.level.rank)


def missing_information(findings: Findings) -> list[str]:
    """Which of "gestational_weeks", "bleeding_amount", "contractions" the bot should still ask,
    in that order: the amount before the contractions, as the answer that can mean an
    emergency (ask about the life-threatening things first).

    Nothing is asked when a red flag is present: the patient must be told to call the
    emergency number without a questionnaire first.
    """
    f = findings
    if f.red_flags:
        return []
    missing: list[str] = []
    something_reported = bool(f.symptoms) or f.contraction_status in ("yes", "unsure")
    if f.gestational_weeks is None and not f.gestational_declined and something_reported:
        missing.append("gestational_weeks")
    if _amount_would_change_level(f):
        missing.append("bleeding_amount")
    weeks = f.gestational_weeks
    # Asked at term too: there contractions decide between labour (urgent) and early signs
    # (same day).
    if (
        f.contraction_status == "unknown"
        and f.has(*_ASK_CONTRACTIONS_FOR)
        and (weeks is None or weeks >= EARLY_END)
    ):
        missing.append("contractions")
    return missing


def _amount_would_change_level(f: Findings) -> bool:
    """Bleeding now, of an amount not yet known, where "heavy" would give a more urgent level
    (robust triage: ask for the evidence that tells a spot from a bleed when it would change
    the level). Not for bleeding that has stopped: "how much are you bleeding?" does not fit,
    and the advice says it still needs checking."""
    if f.bleeding_amount is not None or "bleeding" not in f.present - f.resolved:
        return False
    heavy = dataclasses.replace(f, bleeding_amount="heavy")
    return assess(heavy).level > assess(f).level


__all__ = ["HELD", "assess", "completions", "floor", "hold", "missing_information"]
