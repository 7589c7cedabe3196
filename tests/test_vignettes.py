"""The triage safety floor as a test: every vignette of eval/vignettes.yml, played to the real
bot over REST, must get a safe answer (at its safe level or more cautious; no urgent or
emergency decision for information questions). Exact-level accuracy is a benchmark, not a
test: see `python -m eval vignettes` and docs/evaluation.md."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from eval import vignettes as vg
from eval.servers import Bot
from triage import RULES

# The kinds of patient the issue asks the vignettes to cover, and how many of each at least.
REQUIRED_TAGS = {
    "central": 20,
    "boundary": 8,
    "months": 3,
    "trimester": 2,
    "typos": 3,
    "negation": 5,
    "hypothetical": 2,
    "historical": 2,
    "other_person": 2,
    "on_behalf": 3,
    "risk_factor": 4,
    "red_flag_first": 5,
    "red_flag_mid": 3,
    "refusal": 3,
    "info": 5,
    "buttons": 2,
    "multi_symptom": 3,
}


def test_the_vignettes_are_valid_and_cover_every_rule():
    cases = vg.load()
    assert len(cases) >= 80
    assert all(c.source.strip() for c in cases)
    covered = {rule for c in cases for rule in c.rules}
    assert {r.id for r in RULES} <= covered, sorted({r.id for r in RULES} - covered)
    assert covered <= {r.id for r in RULES}, sorted(covered - {r.id for r in RULES})
    tags = Counter(t for c in cases for t in c.tags)
    short = {t: (tags[t], n) for t, n in REQUIRED_TAGS.items() if tags[t] < n}
    assert not short, f"too few vignettes of these kinds (have, want): {short}"
    assert sum(1 for c in cases if not c.expect_triage) >= 5
    assert all(c.rules for c in cases if c.expect_triage)


def test_the_verdict_follows_the_safe_level():
    urgent = vg.Vignette("x", "t", ("m",), "urgent", "urgent", "cervical_insufficiency", "s")

    def judged(v, level, concerns=()):
        return vg.judge(v, vg.Outcome(id="x", level=level, concerns=list(concerns)))

    assert judged(urgent, "emergency").safe and judged(urgent, "emergency").over
    assert judged(urgent, "urgent", ["cervical_insufficiency"]).exact
    assert judged(urgent, "urgent", ["cervical_insufficiency"]).concern_ok
    assert not judged(urgent, "same_day").safe
    assert not judged(urgent, None).safe
    lenient = vg.Vignette("y", "t", ("m",), "same_day", "routine", None, "s")
    assert judged(lenient, "routine").safe and not judged(lenient, "routine").exact
    assert not judged(lenient, "self_care").safe
    fine = vg.Vignette("z", "t", ("m",), "self_care", "self_care", None, "s")
    assert judged(fine, None).safe and not judged(fine, None).exact
    info = vg.Vignette("i", "t", ("m",), None, None, None, "s", expect_triage=False)
    assert judged(info, None).safe and judged(info, None).exact
    assert judged(info, "same_day").safe and judged(info, "same_day").over
    assert not judged(info, "urgent").safe and not judged(info, "emergency").safe
    broken = vg.judge(urgent, vg.Outcome(id="x", level="urgent", error="timeout"))
    assert not broken.safe


@pytest.mark.e2e
def test_no_vignette_gets_an_unsafe_answer(bot: Bot):
    cases = vg.load()
    outcomes = vg.run(bot.rasa_url, cases, concurrency=2)
    metrics = vg.score(cases, outcomes)
    print("\n" + vg.figures_table(metrics))
    by_id = {c.id: c for c in cases}
    unsafe = [o for o in outcomes if not o.safe]
    report = "\n".join(
        f"{o.id}: gold {by_id[o.id].gold_level or 'no escalation'}, safe from "
        f"{by_id[o.id].min_safe or '(below urgent)'}, bot {o.level or 'no decision'}"
        f"{' ' + o.error if o.error else ''} | {vg._trace_text(o)}"
        for o in unsafe
    )
    assert not unsafe, f"{len(unsafe)} of {len(cases)} vignettes got an unsafe answer:\n{report}"


def test_a_min_safe_below_gold_needs_a_written_reason(tmp_path):
    case = {
        "id": "x",
        "title": "t",
        "turns": ["m"],
        "gold_level": "same_day",
        "min_safe": "routine",
        "expected_concern": None,
        "source": "s",
        "rules": ["X1"],
    }
    path = tmp_path / "v.yml"
    path.write_text(yaml.safe_dump({"vignettes": [case]}))
    with pytest.raises(vg.VignetteError, match="min_safe_reason"):
        vg.load(path)
    path.write_text(yaml.safe_dump({"vignettes": [{**case, "min_safe_reason": "because"}]}))
    assert vg.load(path)[0].min_safe == "routine"


def test_the_sealed_set_is_valid_and_its_hash_is_recorded():
    """The sealed set loads, is large enough, and is the file whose SHA-256 the evaluation doc
    records (it is never edited to fit the bot)."""
    import hashlib

    cases = vg.load(vg.SEALED_FILE)
    assert len(cases) >= 60
    digest = hashlib.sha256(vg.SEALED_FILE.read_bytes()).hexdigest()
    assert digest in (vg.ROOT / "docs" / "evaluation.md").read_text()


def test_first_reply_and_999_figures():
    urgent = vg.Vignette(
        "a", "t", ("m",), "urgent", "urgent", None, "s", first_message_floor="urgent"
    )
    routine = vg.Vignette("b", "t", ("m",), "routine", "routine", None, "s")
    outcomes = [
        vg.judge(urgent, vg.Outcome(id="a", level="urgent", first_reply_level=None)),
        vg.judge(routine, vg.Outcome(id="b", level="emergency")),
    ]
    metrics = vg.score([urgent, routine], outcomes)
    assert metrics["advice_in_first_reply"] == {"n": 0, "of": 1, "value": 0.0}
    assert metrics["emergency_below_urgent"]["n"] == 1


def test_every_case_gets_a_conversation_id_the_rest_channel_accepts():
    """A case id of 58 characters once made the REST channel refuse the conversation (400):
    the case counted as an error instead of being played."""
    from channels.guard import rest_sender_problem
    from eval.vignettes import sender_id

    long_id = "dev-m-multi-partner-worried-then-weeks-then-bleeding-heavy"
    ids = {sender_id("0123abcd", long_id), sender_id("0123abcd", long_id + "-2")}
    assert len(ids) == 2 and all(rest_sender_problem(i) is None for i in ids)
    assert sender_id("0123abcd", "short-id") == "eval-0123abcd-short-id"
