"""Run the rule table over findings, and decide what still needs asking.

The level is the maximum over every rule that fires, never a vote or a first match: a red flag
can only raise the level, and a reassuring answer elsewhere can never lower it.
"""

from __future__ import annotations

from .codes import CI_RISK_FACTORS, SEED_SYMPTOMS
from .decision import Decision, Level, Reason
from .findings import Findings
from .rules import Rule, fired_rules

#: Symptoms for which contractions decide between cervical insufficiency and preterm labour.
_ASK_CONTRACTIONS_FOR = SEED_SYMPTOMS | {"fluid_leak", "mucus_plug"}


def _reason(rule: Rule, f: Findings) -> Reason:
    """The rule's text plus what this patient's findings add to it."""
    parts = [rule.text]
    if rule.if_weeks_unknown and f.gestational_weeks is None:
        note = rule.if_weeks_unknown
        if f.gestational_declined:
            note = note.replace("not known", "not given (declined)", 1)
        parts.append(note)
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


def missing_information(findings: Findings) -> list[str]:
    """Which of "gestational_weeks", "contractions" the bot should still ask, in that order.

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
    weeks = f.gestational_weeks
    if (
        f.contraction_status == "unknown"
        and f.has(*_ASK_CONTRACTIONS_FOR)
        and (weeks is None or 14 <= weeks < 37)
    ):
        missing.append("contractions")
    return missing
