"""NLU evaluation: intent classification by 5-fold cross-validation, and the entity extractor.

1. `rasa test nlu --cross-validation --folds 5 --config config.yml --nlu data/nlu --out
   reports/nlu`: Rasa trains the pipeline on four fifths of data/nlu and predicts the fifth,
   five times, and writes intent_report.json (per-intent precision/recall/F1 over the pooled
   held-out predictions), intent_errors.json, intent_confusion_matrix.png and
   intent_histogram.png. The figure is the intent macro-F1 (the unweighted mean over intents,
   so a rare intent counts as much as a common one). Rasa's own fold means (± standard
   deviation) are read from its log.
2. Entities: the training data carries no entity annotations (entities come from the
   rule-based ClinicalEntityExtractor, nlp/), so Rasa has no gold entities to score against and
   reports nothing useful for them; whatever Rasa writes is reported as it is. The entity
   figures are computed instead on eval/entity_gold.yml, a small hand-annotated set, by
   calling nlp.extract directly: precision, recall and F1 for current symptoms, negated
   symptoms and gestational age.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from .common import (
    REPORTS,
    ROOT,
    VENV_BIN,
    markdown_table,
    meta_line,
    previous_summary,
    run_meta,
    save_report,
)

OUT_DIR = REPORTS / "nlu"
GOLD_FILE = ROOT / "eval" / "entity_gold.yml"
#: Frozen intent examples written by someone who never saw data/nlu (12 per intent), scored with
#: the trained model: the figure cross-validation cannot give, because the word lists and the
#: training data were written after reading cross-validation errors.
HELDOUT_FILE = ROOT / "tests" / "nlu_heldout.yml"
HELDOUT_DIR = REPORTS / "nlu-heldout"
GOAL_MACRO_F1 = 0.95
WEEKS_TOLERANCE = 0.15


def rasa_env() -> dict[str, str]:
    """The same environment as every other Rasa process the evaluation starts."""
    from .servers import server_env

    return server_env()


# -- entities on the gold set -------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}


def entity_scores(gold_file: Path = GOLD_FILE, extract=None) -> dict[str, Any]:
    """Scores nlp.extract on the gold set: micro P/R/F1 per kind, and the misses."""
    if extract is None:
        from nlp import extract
    items = yaml.safe_load(Path(gold_file).read_text())["items"]
    counts: dict[str, Counter[str]] = {
        k: Counter() for k in ("symptom", "negated_symptom", "gestational_age")
    }
    misses: list[dict[str, Any]] = []
    for item in items:
        text = item["text"]
        x = extract(text)
        optional = set(item.get("optional") or ())
        for kind, gold, found in (
            ("symptom", set(item.get("present") or ()), set(x.present)),
            ("negated_symptom", set(item.get("negated") or ()), set(x.absent)),
        ):
            found_scored = found - (optional - gold)
            tp, fp, fn = gold & found_scored, found_scored - gold, gold - found_scored
            counts[kind].update(tp=len(tp), fp=len(fp), fn=len(fn))
            if fp or fn:
                misses.append(
                    {"text": text, "kind": kind, "missed": sorted(fn), "extra": sorted(fp)}
                )
        gold_w, found_w = item.get("weeks"), x.gestational_weeks
        c = counts["gestational_age"]
        if gold_w is None and found_w is None:
            continue
        if (
            gold_w is not None
            and found_w is not None
            and abs(float(gold_w) - float(found_w)) <= WEEKS_TOLERANCE
        ):
            c.update(tp=1)
            continue
        if found_w is not None:
            c.update(fp=1)
        if gold_w is not None:
            c.update(fn=1)
        misses.append({"text": text, "kind": "gestational_age", "missed": gold_w, "extra": found_w})
    scores = {k: _prf(c["tp"], c["fp"], c["fn"]) for k, c in counts.items()}
    return {"items": len(items), "scores": scores, "misses": misses}


# -- rasa test nlu ------------------------------------------------------------------------------

FOLD_LINE = re.compile(r"(train|test) (Accuracy|F1-score|Precision): ([0-9.]+) \(([0-9.]+)\)")


def parse_outputs(out: Path = OUT_DIR, log: Path | None = None) -> dict[str, Any]:
    """Reads what `rasa test nlu` wrote in `out` (and its log) into the summary's figures."""
    log = log or out / "rasa-test-nlu.log"
    text = log.read_text(errors="replace")
    folds_stats: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    section = None
    for line in text.splitlines():
        if "Intent evaluation results" in line:
            section = "intent"
        elif "Entity evaluation results" in line:
            section = "entity"
        elif "Response Selection evaluation results" in line:
            section = "response"
        m = FOLD_LINE.search(line)
        if m and section:
            split, name, mean, std = m.groups()
            folds_stats.setdefault(section, {}).setdefault(split, {})[name] = {
                "mean": float(mean),
                "std": float(std),
            }
    result: dict[str, Any] = {"log": str(log), "fold_stats": folds_stats}
    intent_report = out / "intent_report.json"
    if intent_report.exists():
        report = json.loads(intent_report.read_text())
        per_intent = {
            k: v
            for k, v in report.items()
            if isinstance(v, dict)
            and "f1-score" in v
            and k not in ("macro avg", "weighted avg", "micro avg")
        }
        result["intent"] = {
            "macro_f1": report.get("macro avg", {}).get("f1-score"),
            "macro_precision": report.get("macro avg", {}).get("precision"),
            "macro_recall": report.get("macro avg", {}).get("recall"),
            "weighted_f1": report.get("weighted avg", {}).get("f1-score"),
            "accuracy": report.get("accuracy"),
            "support": report.get("macro avg", {}).get("support"),
            "intents": len(per_intent),
            "per_intent": {
                k: {
                    "precision": v["precision"],
                    "recall": v["recall"],
                    "f1": v["f1-score"],
                    "support": v.get("support"),
                }
                for k, v in per_intent.items()
            },
            "worst": sorted(
                ((k, v["f1-score"], v.get("support")) for k, v in per_intent.items()),
                key=lambda t: t[1],
            )[:6],
        }
    errors = out / "intent_errors.json"
    if errors.exists():
        pairs = Counter(
            (e["intent"], (e.get("intent_prediction") or {}).get("name"))
            for e in json.loads(errors.read_text())
        )
        result["intent_confusions"] = [[g, p, n] for (g, p), n in pairs.most_common(8)]
    entity_reports = {}
    for path in sorted(out.glob("*_report.json")):
        if path.name in ("intent_report.json", "response_selection_report.json"):
            continue
        data = json.loads(path.read_text())
        entity_reports[path.name[: -len("_report.json")]] = {
            k: v for k, v in data.items() if isinstance(v, dict) and "f1-score" in v
        }
    result["rasa_entity_reports"] = entity_reports
    result["images"] = sorted(
        str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in out.glob("*.png")
    )
    return result


def _rasa_test_nlu(args: list[str], out: Path) -> dict[str, Any]:
    """Runs `rasa test nlu ARGS --out OUT` (old reports removed first) and reads its outputs."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.json"):
        if stale.name.endswith("_report.json") or stale.name.endswith("_errors.json"):
            stale.unlink()
    log = out / "rasa-test-nlu.log"
    cmd = [str(VENV_BIN / "rasa"), "test", "nlu", *args, "--out", str(out)]
    started = time.perf_counter()
    with log.open("w") as fh:
        code = subprocess.run(
            cmd, cwd=ROOT, env=rasa_env(), stdout=fh, stderr=subprocess.STDOUT
        ).returncode
    result = {
        "command": "rasa " + " ".join(cmd[1:]),
        "exit_code": code,
        "seconds": round(time.perf_counter() - started, 1),
    }
    result.update(parse_outputs(out, log))
    return result


def run_cross_validation(folds: int = 5, out: Path = OUT_DIR) -> dict[str, Any]:
    # The spaCy base model (nlp/base_model) is built by the training script; build it if needed.
    if not (ROOT / "nlp" / "base_model").exists():
        subprocess.run(
            [str(VENV_BIN / "python"), "scripts/build_spacy_base.py"],
            cwd=ROOT,
            env=rasa_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    args = ["--cross-validation", "--folds", str(folds), "--config", "config.yml"]
    result = _rasa_test_nlu([*args, "--nlu", "data/nlu"], out)
    return {**result, "folds": folds}


def run_heldout(model: str, out: Path = HELDOUT_DIR) -> dict[str, Any]:
    """`rasa test nlu` of the trained model on the frozen held-out examples."""
    return _rasa_test_nlu(["--model", model, "--nlu", str(HELDOUT_FILE)], out)


def heldout_main() -> int:
    """python -m eval nlu --heldout: the held-out macro-F1 (a minute: no training if cached)."""
    from .servers import model_path

    result = run_heldout(model_path())
    intent = result.get("intent") or {}
    worst = ", ".join(f"{k} {v:.2f}" for k, v, _ in intent.get("worst", [])[:4])
    text = "\n".join(
        [
            "# NLU: held-out intents",
            "",
            f"{meta_line(run_meta())}",
            f"{HELDOUT_FILE.relative_to(ROOT)}: {intent.get('support')} examples, "
            f"{intent.get('intents')} intents",
            "",
            markdown_table(
                ["figure", "value"],
                [
                    ["intent macro-F1 (held-out)", _f(intent.get("macro_f1"))],
                    ["accuracy", _f(intent.get("accuracy"))],
                    ["weakest intents", worst],
                ],
            ),
        ]
    )
    print(text)
    save_report(HELDOUT_DIR, {"meta": run_meta(), "heldout": result}, text)
    return 0 if result["exit_code"] == 0 else 1


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render(meta: dict, cv: dict | None, ents: dict, prev: dict | None) -> str:
    lines = ["# NLU evaluation", "", meta_line(meta), ""]
    prev_f1 = ((prev or {}).get("cross_validation") or {}).get("intent", {}).get("macro_f1")
    if cv is not None:
        intent = cv.get("intent") or {}
        stats = (cv.get("fold_stats") or {}).get("intent", {}).get("test", {})
        fold_f1 = stats.get("F1-score")
        rows = [
            [
                "intent macro-F1 (pooled held-out predictions)",
                _f(intent.get("macro_f1")),
                f">= {GOAL_MACRO_F1}",
                _f(prev_f1),
            ],
            ["intent weighted F1", _f(intent.get("weighted_f1")), "", ""],
            ["intent accuracy", _f(intent.get("accuracy")), "", ""],
            [
                "fold test F1 (Rasa, weighted, mean ± sd)",
                f"{_f(fold_f1['mean'])} ± {_f(fold_f1['std'])}" if fold_f1 else "n/a",
                "",
                "",
            ],
        ]
        lines += [
            f"`{cv['command']}`: exit {cv['exit_code']}, {cv['seconds']} s, "
            f"{intent.get('intents', '?')} intents, {intent.get('support', '?')} examples.",
            "",
            markdown_table(["figure", "value", "goal", "last run"], rows),
            "",
        ]
        if intent.get("per_intent"):
            per_intent = sorted(intent["per_intent"].items(), key=lambda kv: (kv[1]["f1"], kv[0]))
            lines += [
                "Per intent (held-out predictions of all folds), lowest F1 first:",
                "",
                markdown_table(
                    ["intent", "precision", "recall", "F1", "examples"],
                    [
                        [k, _f(v["precision"], 2), _f(v["recall"], 2), _f(v["f1"], 2), v["support"]]
                        for k, v in per_intent
                    ],
                ),
                "",
            ]
        if cv.get("intent_confusions"):
            lines.append(
                "Most frequent confusions (gold -> predicted, count): "
                + "; ".join(f"{g} -> {p} {n}" for g, p, n in cv["intent_confusions"])
                + "."
            )
        if cv["rasa_entity_reports"]:
            for name, rep in cv["rasa_entity_reports"].items():
                body = {
                    k: v
                    for k, v in rep.items()
                    if k not in ("micro avg", "macro avg", "weighted avg")
                }
                lines.append(
                    f"Rasa's entity report for {name}: "
                    + (
                        ", ".join(f"{k} F1 {v['f1-score']:.2f}" for k, v in body.items())
                        or "no labels (the training data has no entity annotations)"
                    )
                    + "."
                )
        else:
            lines.append(
                "Rasa reports no entity figures: data/nlu has no entity annotations (the "
                "entities come from the rule-based ClinicalEntityExtractor), so there is no "
                "gold to score against. The entity figures below are from eval/entity_gold.yml."
            )
        lines.append("Images: " + ", ".join(cv.get("images") or ["none"]) + ".")
        lines.append("")
    rows = []
    names = {
        "symptom": "symptom (current)",
        "negated_symptom": "negated symptom",
        "gestational_age": "gestational age",
    }
    for kind, s in ents["scores"].items():
        rows.append(
            [
                names[kind],
                _f(s["precision"]),
                _f(s["recall"]),
                _f(s["f1"]),
                f"{s['tp']}/{s['fp']}/{s['fn']}",
            ]
        )
    lines += [
        f"Entities on eval/entity_gold.yml ({ents['items']} messages, nlp.extract):",
        "",
        markdown_table(["entity", "precision", "recall", "F1", "tp/fp/fn"], rows),
        "",
    ]
    if ents["misses"]:
        lines.append("Entity errors:")
        for miss in ents["misses"]:
            lines.append(
                f"- {miss['kind']}: {miss['text']!r} missed {miss['missed']} extra {miss['extra']}"
            )
    return "\n".join(lines)


def main(folds: int = 5, entities_only: bool = False, from_reports: bool = False) -> int:
    prev = previous_summary(OUT_DIR)
    ents = entity_scores()
    cv = None
    if from_reports:
        # Re-read the last cross-validation's files (no training): for a changed summary.
        cv = dict((prev or {}).get("cross_validation") or {})
        cv.update(parse_outputs(OUT_DIR))
        prev = None
    elif not entities_only:
        print(
            f"nlu: rasa test nlu, {folds}-fold cross-validation (several minutes) ...", flush=True
        )
        cv = run_cross_validation(folds)
    meta = run_meta()
    text = render(meta, cv, ents, prev)
    print(text)
    data = {"meta": meta, "cross_validation": cv, "entities": ents}
    if from_reports:
        (OUT_DIR / "latest.md").write_text(text + "\n")
        (OUT_DIR / "latest.json").write_text(json.dumps(data, indent=2, default=str))
        print(f"\nrewrote {OUT_DIR / 'latest.md'} from the last cross-validation")
    elif not entities_only:
        paths = save_report(OUT_DIR, data, text)
        print(f"\nsaved {paths['latest_md']}, Rasa's reports and images in {OUT_DIR}")
    if cv is not None and cv["exit_code"] != 0:
        print(f"rasa test nlu failed (exit {cv['exit_code']}); see {cv['log']}", file=sys.stderr)
        return 1
    return 0
