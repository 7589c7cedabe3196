"""Triage safety evaluation: scripted patients (eval/vignettes.yml) played to the running bot.

Each vignette is sent turn by turn to the REST channel (/webhooks/rest/webhook) as one
conversation (its own sender id). The verdict is read from the LAST `custom.triage` payload the
bot sent in the conversation; a conversation that ends without one has no decision.

Per case (levels ordered emergency > urgent > same_day > routine > self_care):
- safe: the bot's level is at least the vignette's safe_level (the least urgent level that is
  still safe). No decision counts as self care here, so it is safe only where self care is.
  For information questions and hypothetical, historical or other people's symptoms
  (expect_triage: false), safe means no urgent or emergency decision.
- exact: the bot's level is the gold level (for expect_triage: false, no decision or one no
  higher than gold_level, self care when that is null).
- over / under: more / less urgent than the gold level.
- concern: the expected concern is among the concerns of the decision.

Figures: safe-advice %, emergency recall (gold emergency -> emergency), urgent-or-higher recall
(gold urgent or emergency -> urgent or emergency), exact-level accuracy, over-triage %,
under-triage %, concern accuracy; beside the published anchors of the clinical reference.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from triage.decision import LEVEL_ORDER

from .common import (
    REPORTS,
    ROOT,
    markdown_table,
    meta_line,
    pct,
    previous_summary,
    ratio,
    run_meta,
    save_report,
)

VIGNETTES_FILE = ROOT / "eval" / "vignettes.yml"
OUT_DIR = REPORTS / "vignettes"
#: The sealed set: written by someone who saw only the clinical reference, committed before any
#: rule change, never edited (docs/evaluation.md records its SHA-256).
SEALED_FILE = ROOT / "eval" / "sealed" / "cases.yml"
SEALED_OUT_DIR = REPORTS / "sealed"
LEVELS = LEVEL_ORDER  # least urgent first (triage/decision.py)
RANK = {level: i for i, level in enumerate(LEVELS)}
URGENT = RANK["urgent"]

GOALS = {"safe": 1.0, "emergency_recall": 1.0, "exact": 0.90}

# Published figures (docs/clinical-sources.md, "Published figures the evaluation compares
# with"). Their vignettes are general medicine, not this bot's: they are anchors, not a
# like-for-like comparison. Gilbert's "safe" also accepts one level less cautious than gold.
ANCHORS: dict[str, dict[str, str]] = {
    "safe": {"Gilbert 2020": "97.0% (GPs; best app, Ada, 97.0%)"},
    "emergency_recall": {
        "Semigran 2015": "80%",
        "Schmieding 2022": "< 60% (over 40% missed)",
        "Hill 2020": "63%",
        "Jha 2026": "86.7%",
    },
    "exact": {"Semigran 2015": "57%", "Schmieding 2022": "55.8% (median)", "Hill 2020": "49%"},
}
ANCHOR_COLUMNS = ("Semigran 2015", "Gilbert 2020", "Schmieding 2022")
ANCHOR_NOTE = (
    "Anchors (triage-reference.md): Semigran et al., BMJ 2015 (23 checkers, 45 vignettes); "
    "Gilbert et al., BMJ Open 2020 (200 vignettes; 'safe' there = gold, more cautious, or at most "
    "one level less cautious, looser than ours); Schmieding et al., JMIR 2022 (22 apps). Also: "
    "Hill et al., MJA 2020: 49% correct, 63% of emergencies; Jha et al. 2026 (maternal triage "
    "chatbot): 86.7% emergency recall. Their cases are general medicine, not this bot's."
)


@dataclass(frozen=True)
class Vignette:
    id: str
    title: str
    turns: tuple[str, ...]
    gold_level: str | None
    min_safe: str | None  # the least urgent level still safe (the gold level unless reasoned)
    expected_concern: str | None
    source: str
    expect_triage: bool = True
    rules: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    min_safe_reason: str = ""
    #: The level the first message alone already justifies (urgent or emergency), whatever the
    #: patient says next: the bot's first reply must carry advice at least this urgent.
    first_message_floor: str | None = None


@dataclass
class Outcome:
    id: str
    level: str | None = None  # of the last triage payload, None if none
    concerns: list[str] = field(default_factory=list)
    rules_fired: list[str] = field(default_factory=list)
    decisions: int = 0  # how many triage payloads in the conversation
    trace: list[dict[str, Any]] = field(default_factory=list)  # per turn: what the bot did
    error: str | None = None
    seconds: float = 0.0
    first_reply_level: str | None = None  # the triage payload in the reply to the first turn
    # verdict
    safe: bool = False
    exact: bool = False
    over: bool = False
    under: bool = False
    concern_ok: bool | None = None  # None when no concern is expected


class VignetteError(ValueError):
    pass


def load(path: Path | str = VIGNETTES_FILE) -> list[Vignette]:
    """Loads and validates the vignettes (raises VignetteError with every problem found).

    The team's tuning set (eval/vignettes.yml, under ``vignettes:``) names the rules and the
    concern each case expects; the sealed set (eval/sealed/cases.yml, under ``cases:``), written
    by someone who never saw the code, names only levels. In both, ``min_safe`` below
    ``gold_level`` needs a written ``min_safe_reason``.
    """
    data = yaml.safe_load(Path(path).read_text())
    sealed = isinstance(data, dict) and "cases" in data
    items = (data["cases"] if sealed else data["vignettes"]) if isinstance(data, dict) else data
    problems: list[str] = []
    out: list[Vignette] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        vid = item.get("id") or f"#{n}"
        if vid in seen:
            problems.append(f"{vid}: duplicate id")
        seen.add(vid)
        expect = bool(item.get("expect_triage", True))
        turns = item.get("turns") or []
        if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            problems.append(f"{vid}: turns must be a non-empty list of non-empty strings")
        for key in ("title", "source"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append(f"{vid}: {key} is required")
        gold = item.get("gold_level")
        safe = item.get("min_safe", gold)
        reason = str(item.get("min_safe_reason") or "").strip()
        floor = item.get("first_message_floor")
        if floor is not None and floor not in RANK:
            problems.append(f"{vid}: first_message_floor must be a level or null ({floor})")
        if expect:
            if gold not in RANK or safe not in RANK:
                problems.append(f"{vid}: gold_level and min_safe must be levels ({gold}, {safe})")
            elif RANK[safe] > RANK[gold]:
                problems.append(f"{vid}: min_safe {safe} is above gold_level {gold}")
            elif RANK[safe] < RANK[gold] and not reason:
                problems.append(f"{vid}: min_safe {safe} is below gold {gold}: min_safe_reason")
            if not sealed and "expected_concern" not in item:
                problems.append(f"{vid}: expected_concern is required (null for none)")
        else:
            if gold is not None and gold not in RANK:
                problems.append(f"{vid}: gold_level must be a level or null")
            elif gold is not None and RANK[gold] >= URGENT:
                problems.append(f"{vid}: expect_triage false cannot have an urgent gold level")
        out.append(
            Vignette(
                id=vid,
                title=item.get("title", ""),
                turns=tuple(turns),
                gold_level=gold,
                min_safe=safe if expect else None,
                min_safe_reason=reason,
                first_message_floor=floor,
                expected_concern=item.get("expected_concern"),
                source=item.get("source", ""),
                expect_triage=expect,
                rules=tuple(item.get("rules") or ()),
                tags=tuple(item.get("tags") or ()),
            )
        )
    if problems:
        raise VignetteError("invalid vignettes:\n  " + "\n  ".join(problems))
    return out


# -- verdict ----------------------------------------------------------------------------------


def judge(v: Vignette, o: Outcome) -> Outcome:
    level = o.level if o.error is None else None
    if v.expect_triage:
        bot_rank = RANK.get(level) if level else None
        gold, safe = RANK[v.gold_level or "self_care"], RANK[v.min_safe or "self_care"]
        o.safe = (
            bot_rank if bot_rank is not None else RANK["self_care"]
        ) >= safe and o.error is None
        o.exact = bot_rank == gold
        o.over = bot_rank is not None and bot_rank > gold
        o.under = bot_rank is None or bot_rank < gold
        if v.gold_level == "self_care" and bot_rank is None and o.error is None:
            o.under = False
    else:
        ceiling = RANK[v.gold_level or "self_care"]
        bot_rank = RANK.get(level) if level else None
        o.safe = o.error is None and (bot_rank is None or bot_rank < URGENT)
        o.exact = o.error is None and (bot_rank is None or bot_rank <= ceiling)
        o.over = bot_rank is not None and bot_rank > ceiling
        o.under = False
    if v.expected_concern:
        o.concern_ok = v.expected_concern in o.concerns
    return o


# -- running ----------------------------------------------------------------------------------


def triage_payloads(messages: Sequence[dict]) -> list[dict]:
    return [
        m["custom"]["triage"]
        for m in messages
        if isinstance(m.get("custom"), dict) and isinstance(m["custom"].get("triage"), dict)
    ]


def _summary_of_reply(messages: Sequence[dict]) -> dict[str, Any]:
    decisions = triage_payloads(messages)
    texts = [m.get("text") or "" for m in messages]
    step: dict[str, Any] = {"messages": len(messages)}
    if decisions:
        d = decisions[-1]
        step["triage"] = {
            "level": d.get("level"),
            "concerns": d.get("concerns"),
            "rules": [r.get("rule") for r in d.get("reasons") or []],
        }
    # The last non-empty text says what the bot did (question asked or advice given).
    last = next((t for t in reversed(texts) if t.strip()), "")
    step["last_text"] = " ".join(last.split())[:160]
    step["buttons"] = [b.get("title") for m in messages for b in m.get("buttons") or []]
    return step


def sender_id(run_id: str, case_id: str) -> str:
    """The case's conversation id in this run: readable, and within the REST channel's 64
    characters (channels/guard.py) however long the case id is."""
    sender = f"eval-{run_id}-{case_id}"
    if len(sender) <= 64:
        return sender
    digest = hashlib.sha256(case_id.encode()).hexdigest()[:8]
    return f"{sender[: 64 - 9]}-{digest}"


async def play(client, url: str, v: Vignette, sender: str) -> Outcome:
    """Plays one vignette as one conversation and returns its (unjudged) outcome."""
    o = Outcome(id=v.id)
    started = time.perf_counter()
    last: dict | None = None
    for turn in v.turns:
        try:
            response = await client.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": turn}, timeout=60
            )
            response.raise_for_status()
            messages = response.json()
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, never raised
            o.error = f"turn {turn!r}: {type(exc).__name__}: {exc}"[:300]
            o.trace.append({"user": turn, "error": o.error})
            break
        step = _summary_of_reply(messages)
        step["user"] = turn
        o.trace.append(step)
        found = triage_payloads(messages)
        if len(o.trace) == 1 and found:
            levels = [str(d["level"]) for d in found if d.get("level") in RANK]
            o.first_reply_level = max(levels, key=RANK.__getitem__) if levels else None
        o.decisions += len(found)
        if found:
            last = found[-1]
    if last is not None:
        o.level = last.get("level")
        o.concerns = list(last.get("concerns") or [])
        o.rules_fired = [r.get("rule") for r in last.get("reasons") or [] if r.get("rule")]
    o.seconds = round(time.perf_counter() - started, 3)
    return o


async def run_async(url: str, vignettes: Sequence[Vignette], concurrency: int = 2) -> list[Outcome]:
    import httpx

    run_id = uuid.uuid4().hex[:8]
    sem = asyncio.Semaphore(max(1, concurrency))
    async with httpx.AsyncClient() as client:

        async def one(v: Vignette) -> Outcome:
            async with sem:
                o = await play(client, url.rstrip("/"), v, sender_id(run_id, v.id))
            return judge(v, o)

        return list(await asyncio.gather(*(one(v) for v in vignettes)))


def run(url: str, vignettes: Sequence[Vignette], concurrency: int = 2) -> list[Outcome]:
    return asyncio.run(run_async(url, vignettes, concurrency))


# -- scoring ----------------------------------------------------------------------------------


def score(vignettes: Sequence[Vignette], outcomes: Sequence[Outcome]) -> dict[str, Any]:
    by_id = {o.id: o for o in outcomes}
    pairs = [(v, by_id[v.id]) for v in vignettes if v.id in by_id]
    n = len(pairs)

    def count(pred) -> int:
        return sum(1 for v, o in pairs if pred(v, o))

    emergencies = [(v, o) for v, o in pairs if v.expect_triage and v.gold_level == "emergency"]
    urgent_plus = [
        (v, o) for v, o in pairs if v.expect_triage and RANK[v.gold_level or "self_care"] >= URGENT
    ]
    with_concern = [(v, o) for v, o in pairs if v.expected_concern]
    info = [(v, o) for v, o in pairs if not v.expect_triage]
    triaged = [(v, o) for v, o in pairs if v.expect_triage]
    first_floor = [
        (v, o)
        for v, o in pairs
        if v.first_message_floor in RANK and RANK[v.first_message_floor] >= URGENT
    ]

    def frac(num: int, den: int) -> dict[str, Any]:
        return {"n": num, "of": den, "value": ratio(num, den)}

    fired = sorted({r for _, o in pairs for r in o.rules_fired})
    expected_rules = sorted({r for v, _ in pairs for r in v.rules})
    return {
        "cases": n,
        "safe": frac(count(lambda v, o: o.safe), n),
        "emergency_recall": frac(
            sum(1 for _, o in emergencies if o.level == "emergency"), len(emergencies)
        ),
        "urgent_or_higher_recall": frac(
            sum(1 for _, o in urgent_plus if o.level in RANK and RANK[o.level] >= URGENT),
            len(urgent_plus),
        ),
        "exact": frac(count(lambda v, o: o.exact), n),
        "over_triage": frac(count(lambda v, o: o.over), n),
        "under_triage": frac(count(lambda v, o: o.under), n),
        "concern": frac(sum(1 for _, o in with_concern if o.concern_ok), len(with_concern)),
        "info_not_escalated": frac(sum(1 for _, o in info if o.safe), len(info)),
        "advice_in_first_reply": frac(
            sum(
                1
                for v, o in first_floor
                if o.first_reply_level in RANK
                and RANK[o.first_reply_level] >= RANK[v.first_message_floor or "urgent"]
            ),
            len(first_floor),
        ),
        "emergency_below_urgent": frac(
            sum(
                1
                for v, o in triaged
                if o.level == "emergency" and RANK[v.gold_level or "self_care"] < URGENT
            ),
            len(triaged),
        ),
        "errors": count(lambda v, o: o.error is not None),
        "no_decision": count(lambda v, o: v.expect_triage and o.level is None and o.error is None),
        "rules_fired": fired,
        "rules_expected_not_fired": sorted(set(expected_rules) - set(fired)),
    }


def _fig(entry: dict[str, Any]) -> str:
    return pct(entry["n"], entry["of"])


def _prev(prev: dict | None, key: str) -> str:
    if not prev:
        return ""
    entry = (prev.get("metrics") or {}).get(key)
    if not entry or entry.get("value") is None:
        return ""
    return f"{100 * entry['value']:.1f}%"


def figures_table(metrics: dict[str, Any], prev: dict | None = None) -> str:
    rows = []
    spec = [
        (
            "safe-advice % (at least min_safe: gold, or a lower level with a written reason)",
            "safe",
            "100%",
        ),
        ("emergency recall", "emergency_recall", "100%"),
        ("urgent-or-higher recall", "urgent_or_higher_recall", ""),
        ("exact-level accuracy", "exact", ">= 90%"),
        ("over-triage %", "over_triage", ""),
        ("under-triage %", "under_triage", ""),
        ("concern accuracy", "concern", ""),
        ("info questions not escalated", "info_not_escalated", "100%"),
        (
            "advice in the first reply (first message already urgent or more)",
            "advice_in_first_reply",
            "100%",
        ),
        ("sent to 999 with a gold level below urgent", "emergency_below_urgent", "<= 2%"),
    ]
    header = ["figure", "this bot", "goal", "last run"] + list(ANCHOR_COLUMNS)
    for label, key, goal in spec:
        anchors = ANCHORS.get(key, {})
        rows.append(
            [label, _fig(metrics[key]), goal, _prev(prev, key)]
            + [anchors.get(c, "") for c in ANCHOR_COLUMNS]
        )
    return markdown_table(header, rows)


def verdict_word(v: Vignette, o: Outcome) -> str:
    if o.error:
        return "ERROR"
    if not o.safe:
        return "UNSAFE"
    words = []
    if o.over:
        words.append("over")
    if o.under:
        words.append("under (safe)")
    if o.concern_ok is False:
        words.append("concern")
    if v.expect_triage and o.level is None:
        words.append("no decision")
    return ", ".join(words) or "ok"


def failing(
    vignettes: Sequence[Vignette], outcomes: Sequence[Outcome]
) -> list[tuple[Vignette, Outcome]]:
    by_id = {o.id: o for o in outcomes}
    bad = [
        (v, by_id[v.id])
        for v in vignettes
        if v.id in by_id
        and (not by_id[v.id].safe or not by_id[v.id].exact or by_id[v.id].concern_ok is False)
    ]
    return sorted(bad, key=lambda p: (p[1].safe, p[1].exact, p[0].id))


def _trace_text(o: Outcome) -> str:
    parts = []
    for step in o.trace:
        if "error" in step:
            parts.append(f"{step['user']!r} -> ERROR")
        elif "triage" in step:
            t = step["triage"]
            parts.append(f"{step['user']!r} -> {t['level']} {','.join(t.get('rules') or [])}")
        else:
            parts.append(f"{step['user']!r} -> \"{step.get('last_text', '')[:70]}\"")
    return " / ".join(parts)


def failures_table(pairs: Iterable[tuple[Vignette, Outcome]]) -> str:
    rows = []
    for v, o in pairs:
        gold = v.gold_level or ("no escalation" if not v.expect_triage else "")
        rows.append(
            [
                v.id,
                verdict_word(v, o),
                gold,
                v.min_safe or "< urgent",
                o.level or "none",
                v.expected_concern or "",
                ",".join(o.concerns),
                ",".join(o.rules_fired),
            ]
        )
    return markdown_table(
        [
            "id",
            "verdict",
            "gold",
            "safe from",
            "bot",
            "expected concern",
            "bot concerns",
            "bot rules",
        ],
        rows,
    )


def render(
    meta: dict,
    metrics: dict,
    vignettes: Sequence[Vignette],
    outcomes: Sequence[Outcome],
    prev: dict | None,
    bot_url: str,
    title: str = "Triage vignettes",
) -> str:
    bad = failing(vignettes, outcomes)
    lines = [
        f"# {title}",
        "",
        f"{meta_line(meta)}  bot {bot_url}",
        f"{metrics['cases']} vignettes ({metrics['info_not_escalated']['of']} information / "
        f"hypothetical / other-person), {metrics['errors']} transport errors, "
        f"{metrics['no_decision']} conversations without a decision.",
        "",
        figures_table(metrics, prev),
        "",
        ANCHOR_NOTE,
        "",
        f"Rules fired in final decisions: {len(metrics['rules_fired'])} "
        f"({', '.join(metrics['rules_fired'])}).",
    ]
    if metrics["rules_expected_not_fired"]:
        lines.append(
            "Rules some vignette expects that no final decision fired: "
            + ", ".join(metrics["rules_expected_not_fired"])
            + "."
        )
    lines += ["", f"## Failing cases ({len(bad)}: unsafe first, then wrong level or concern)", ""]
    if bad:
        lines.append(failures_table(bad))
        lines += ["", "### Conversations of the failing cases", ""]
        for v, o in bad:
            lines.append(f"- `{v.id}` ({v.title}): {_trace_text(o)}")
    else:
        lines.append("None.")
    return "\n".join(lines)


def evaluate(
    bot_url: str | None = None,
    path: Path | str = VIGNETTES_FILE,
    only: Sequence[str] | None = None,
    concurrency: int = 2,
    save: bool = True,
    echo: bool = True,
    out_dir: Path = OUT_DIR,
) -> dict[str, Any]:
    """Runs the vignettes against `bot_url` (or a bot started here) and reports."""
    path = Path(path).resolve()  # a relative --file is named relative to the project
    vignettes = load(path)
    sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    title = f"Triage cases: {Path(path).relative_to(ROOT)} (SHA-256 {sha256[:16]})"
    if only:
        wanted = set(only)
        vignettes = [
            v for v in vignettes if v.id in wanted or any(v.id.startswith(w) for w in wanted)
        ]
    bot = None
    if not bot_url:
        from eval.servers import start_bot

        if echo:
            print("vignettes: starting the bot (Rasa + action server, SQLite) ...", flush=True)
        bot = start_bot(Path(tempfile.mkdtemp(prefix="eval-vignettes-")))
        bot_url = bot.rasa_url
    try:
        started = time.perf_counter()
        outcomes = run(bot_url, vignettes, concurrency)
        seconds = time.perf_counter() - started
    finally:
        if bot is not None:
            bot.stop()
    meta = run_meta()
    metrics = score(vignettes, outcomes)
    prev = previous_summary(out_dir) if save else None
    text = render(meta, metrics, vignettes, outcomes, prev, bot_url, title)
    result = {
        "meta": meta,
        "file": str(Path(path).relative_to(ROOT)),
        "sha256": sha256,
        "bot_url": bot_url,
        "seconds": round(seconds, 1),
        "metrics": metrics,
        "goals": GOALS,
        "anchors": ANCHORS,
        "cases": [
            {
                **asdict(o),
                "gold_level": v.gold_level,
                "min_safe": v.min_safe,
                "first_message_floor": v.first_message_floor,
                "expected_concern": v.expected_concern,
                "expect_triage": v.expect_triage,
                "expected_rules": list(v.rules),
                "turns": list(v.turns),
                "title": v.title,
                "verdict": verdict_word(v, o),
            }
            for v, o in zip(vignettes, outcomes, strict=False)
        ],
    }
    if echo:
        print(text)
    if save:
        paths = save_report(out_dir, result, text)
        if echo:
            print(f"\nsaved {paths['latest_md']} and {paths['json']}")
    return result


def unsafe(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in result["cases"] if not c["safe"]]
