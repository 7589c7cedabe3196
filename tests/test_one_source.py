"""Facts that must stay the same where a copy cannot be avoided (another language, another
direction of a map): each test fails when a copy drifts from its one source."""

from __future__ import annotations

import json
import re
from pathlib import Path

from actions.slot_updates import INTENT_SYMPTOM
from nlp.intent_override import SYMPTOM_INTENT
from triage.codes import ALL_SYMPTOMS
from triage.decision import LEVEL_ORDER

ROOT = Path(__file__).resolve().parent.parent


def test_the_widget_knows_the_levels_in_the_triage_order():
    source = (ROOT / "web" / "widget" / "helpers.js").read_text(encoding="utf-8")
    found = re.search(r"var LEVELS = (\[[^\]]*\]);", source)
    assert found, "web/widget/helpers.js no longer declares LEVELS"
    assert tuple(json.loads(found.group(1))) == tuple(reversed(LEVEL_ORDER))


def test_the_console_and_the_evaluation_take_the_level_order_from_triage():
    from console.events import LEVELS as console_levels
    from eval.vignettes import LEVELS as eval_levels

    assert console_levels is LEVEL_ORDER and eval_levels is LEVEL_ORDER


def test_intent_to_symptom_and_symptom_to_intent_agree():
    """actions/slot_updates.py says which symptom an intent stands for; nlp/intent_override.py
    which intent a symptom stands for. Where both name a pair, they must name the same one."""
    assert set(INTENT_SYMPTOM.values()) <= ALL_SYMPTOMS
    assert set(SYMPTOM_INTENT) <= ALL_SYMPTOMS
    for intent, code in INTENT_SYMPTOM.items():
        if code in SYMPTOM_INTENT:
            assert SYMPTOM_INTENT[code] == intent, (intent, code)
