"""The semantic red-flag bank, measured: recall and false alarms at each threshold.

    python -m eval redflags

Positives: the NLU training examples of ``report_red_flag`` (emergencies in patients' words,
written in session 2, before the bank). Negatives: every other intent's examples (questions,
small talk, non-emergency symptoms). The bank (nlp/patterns/red_flag_bank.yml) was written
from the reference's 999 list, not from these examples. For each threshold it prints the
bank's recall on its own, its recall on the emergencies the lexicon missed, and its false
alarms on messages in which the lexicon found no red flag (only those can raise X3). The
threshold in config.yml is the lowest with at most 1% false alarms.
"""

from __future__ import annotations

import yaml

from .common import REPORTS, ROOT, markdown_table, save_report

THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def nlu_examples() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text:
                    out.append((item["intent"], _plain(text)))
    return out


def _plain(text: str) -> str:
    """Rasa's entity mark-up "[22 weeks](gestational_age)" -> "22 weeks"."""
    import re

    return re.sub(
        r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}", lambda m: m.group(1) or m.group(2), text
    )


def main(layers: int = 4) -> int:
    import nlp
    from nlp.codes import RED_FLAGS
    from nlp.red_flag_bank import RedFlagBank, load_bank
    from nlp.sentence_featurizer import encoder_for

    encoder = encoder_for(layers=layers)
    bank = RedFlagBank(load_bank(), encoder.encode)
    rows = []
    for intent, text in nlu_examples():
        found = nlp.extract(text)
        lexicon = found.bleeding_amount == "heavy" or any(
            s.code in RED_FLAGS and not s.negated and s.context in ("current", "resolved")
            for s in found.symptoms
        )
        _, score = bank.best(encoder.encode(text))
        rows.append((intent == "report_red_flag", lexicon, score))
    pos = [r for r in rows if r[0]]
    missed = [r for r in pos if not r[1]]
    neg_open = [r for r in rows if not r[0] and not r[1]]
    table = []
    for t in THRESHOLDS:
        table.append(
            [
                f"{t:.2f}",
                f"{sum(r[2] >= t for r in pos)}/{len(pos)}",
                f"{sum(r[2] >= t for r in missed)}/{len(missed)}",
                f"{sum(r[2] >= t for r in neg_open)}/{len(neg_open)}"
                f" ({100 * sum(r[2] >= t for r in neg_open) / max(1, len(neg_open)):.1f}%)",
            ]
        )
    text = "\n".join(
        [
            "# Semantic red-flag bank",
            "",
            f"{len(pos)} emergencies ({len(pos) - len(missed)} found by the lexicon, {len(missed)} not); "
            f"{len(neg_open)} other messages without a lexicon red flag.",
            "",
            markdown_table(
                [
                    "threshold",
                    "bank recall (all emergencies)",
                    "bank recall (lexicon missed)",
                    "false alarms (non-emergencies)",
                ],
                table,
            ),
        ]
    )
    print(text)
    save_report(REPORTS / "redflags", {"rows": table}, text)
    return 0
