"""The benchmark's report (see eval/bench/__init__.py): the ratios project / stock and
project / floor (pooled, and round by round with the median), the goals, the markdown table
and the plot. Pure arithmetic over the results' dictionaries, tested in
tests/test_bench_report.py."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Sequence

from ..common import markdown_table, meta_line

#: The scale-out issue's efficiency goals (one node is what every node costs): p95 at most 0.7x
#: stock's under load, and throughput at least 1.3x stock's at 50.
P95_UNDER_LOAD: dict[int, float] = {10: 0.7, 50: 0.7}

GOALS = {
    "p95_ratio_vs_stock_max": 1.0,
    "throughput_vs_stock_min_at_50": 1.3,
    "errors_at_50": 0,
    "rss_total_mb_max": 1536,
    "start_to_ready_s_max": 30,
}


def _r(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def ratios(levels: list[dict], rounds: Sequence[dict] = ()) -> list[dict]:
    """Per project variant and concurrency: project / stock and project / floor, over the pooled
    messages; and the p95 ratio to stock round by round, with its median."""
    by = {(r["target"], r["concurrency"]): r for r in levels}
    by_round = {(r["target"], r["concurrency"], r["round"]): r for r in rounds}
    out = []
    for project in ("project", "project-postgres"):
        for c in sorted({r["concurrency"] for r in levels}):
            p, s, f = by.get((project, c)), by.get(("stock", c)), by.get(("floor", c))
            if not p:
                continue
            row = {"target": project, "concurrency": c}
            for q in ("p50_ms", "p95_ms", "p99_ms"):
                row[f"{q[:-3]}_vs_stock"] = _r(p[q], s[q]) if s else None
                row[f"{q[:-3]}_vs_floor"] = _r(p[q], f[q]) if f else None
            row["throughput_vs_stock"] = _r(p["msgs_per_s"], s["msgs_per_s"]) if s else None
            round_ratios = [
                _r(by_round[(project, c, n)]["p95_ms"], by_round[(ref, c, n)]["p95_ms"])
                for (ref, cc, n) in sorted(by_round)
                if ref == "stock" and cc == c and (project, c, n) in by_round
            ]
            per_round = [x for x in round_ratios if x is not None]
            row["p95_vs_stock_rounds"] = per_round
            row["p95_vs_stock_median"] = (
                round(statistics.median(per_round), 2) if per_round else None
            )
            out.append(row)
    return out


def goals_check(data: dict) -> list[tuple[str, bool, str]]:
    checks = []
    for row in data["ratios"]:
        median, pooled = row.get("p95_vs_stock_median"), row.get("p95_vs_stock")
        value = median if median is not None else pooled
        if value is not None:
            detail = f"{value:.2f}"
            if median is not None and len(row["p95_vs_stock_rounds"]) > 1:
                detail += (
                    f" (median of rounds {', '.join(f'{x:.2f}' for x in row['p95_vs_stock_rounds'])};"
                    f" pooled {pooled:.2f})"
                )
            checks.append(
                (
                    f"p95 {row['target']}/stock <= {GOALS['p95_ratio_vs_stock_max']:.1f}"
                    f" at {row['concurrency']}",
                    value <= GOALS["p95_ratio_vs_stock_max"],
                    detail,
                )
            )
            under_load = P95_UNDER_LOAD.get(row["concurrency"])
            if under_load is not None:
                checks.append(
                    (
                        f"p95 {row['target']}/stock <= {under_load:.1f} at {row['concurrency']}"
                        " (efficiency)",
                        value <= under_load,
                        detail,
                    )
                )
        throughput = row.get("throughput_vs_stock")
        if row["concurrency"] == 50 and throughput is not None:
            least = GOALS["throughput_vs_stock_min_at_50"]
            checks.append(
                (
                    f"throughput {row['target']}/stock >= {least:.1f} at 50",
                    throughput >= least,
                    f"{throughput:.2f}",
                )
            )
    for r in data["levels"]:
        if r["concurrency"] == 50 and r["target"].startswith("project"):
            checks.append(
                (
                    f"zero errors at 50 ({r['target']})",
                    r["errors"] <= GOALS["errors_at_50"],
                    str(r["errors"]),
                )
            )
    for t in data["targets"]:
        if t["name"].startswith("project"):
            mem = t["memory"]["total_peak_mb"]
            checks.append(
                (
                    f"all processes under 1.5 GB RSS ({t['name']})",
                    mem < GOALS["rss_total_mb_max"],
                    f"{mem:.0f} MB",
                )
            )
            checks.append(
                (
                    f"start to ready under 30 s ({t['name']})",
                    t["start_to_ready_s"] < GOALS["start_to_ready_s_max"],
                    f"{t['start_to_ready_s']:.1f} s",
                )
            )
    return checks


def cpu_table(levels: list[dict]) -> list[str]:
    """Report lines: CPU milliseconds per message for each process of each target and level."""
    rows = [
        [
            level["target"],
            level["concurrency"],
            "; ".join(f"{cmd} {ms}" for cmd, ms in level["cpu_ms_per_message"].items()),
            round(sum(level["cpu_ms_per_message"].values()), 2),
        ]
        for level in levels
        if level.get("cpu_ms_per_message")
    ]
    if not rows:
        return []
    return [
        "CPU milliseconds per message, per process (user + system, all rounds pooled):",
        "",
        markdown_table(
            ["target", "concurrent", "per process (ms per message)", "all processes"], rows
        ),
        "",
    ]


def render(data: dict, prev: dict | None) -> str:
    prev_p95 = {
        (r["target"], r["concurrency"]): r["p95_ms"] for r in (prev or {}).get("levels", [])
    }
    rows = []
    for r in data["levels"]:
        last = prev_p95.get((r["target"], r["concurrency"]))
        rows.append(
            [
                r["target"],
                r["concurrency"],
                r["messages"],
                r["p50_ms"],
                r["p95_ms"],
                r["p99_ms"],
                r["msgs_per_s"],
                r["errors"],
                "" if last is None else last,
            ]
        )
    lines = [
        "# Benchmark: speed and memory",
        "",
        meta_line(data["meta"]),
        f"load average at start: {data['loadavg_start']}; at end: {data['loadavg_end']}",
        "",
        markdown_table(
            [
                "target",
                "concurrent",
                "messages",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "msg/s",
                "errors",
                "p95 last run",
            ],
            rows,
        ),
        "",
    ]
    rrows = [
        [
            x["target"],
            x["concurrency"],
            x["p50_vs_stock"],
            x["p95_vs_stock"],
            x.get("p95_vs_stock_median", ""),
            " ".join(f"{v:.2f}" for v in x.get("p95_vs_stock_rounds") or ()),
            x["p99_vs_stock"],
            x["throughput_vs_stock"],
            x["p50_vs_floor"],
            x["p95_vs_floor"],
        ]
        for x in data["ratios"]
    ]
    lines += [
        f"Ratios, project / peer (stock Rasa) and / floor, over {data.get('rounds', 1)} round(s) "
        "(latency: lower is better, below 1.0 the project is faster; throughput: higher is "
        "better; 'by round' pairs each round's project and stock, run a minute apart):",
        "",
        markdown_table(
            [
                "project",
                "concurrent",
                "p50 /stock",
                "p95 /stock (pooled)",
                "p95 /stock (median round)",
                "p95 /stock by round",
                "p99 /stock",
                "msg/s /stock",
                "p50 /floor",
                "p95 /floor",
            ],
            rrows,
        ),
        "",
    ]
    checkpoints = [
        f"c={r['concurrency']} round {r['round']}: {r['pg_checkpoints']}"
        for r in data.get("rounds_detail", [])
        if r.get("pg_checkpoints") is not None
    ]
    if checkpoints:
        lines += [
            "PostgreSQL checkpoints during each project-postgres round: " + "; ".join(checkpoints),
            "",
        ]
    lines += cpu_table(data["levels"])
    trows = []
    for t in data["targets"]:
        train = t.get("training") or {}
        procs = "; ".join(f"{p['cmd']} {p['peak_mb']:.0f}" for p in t["memory"]["processes"])
        trows.append(
            [
                t["name"],
                t["start_to_ready_s"],
                train.get("seconds", ""),
                train.get("peak_rss_mb", ""),
                t["memory"]["total_peak_mb"],
                procs,
            ]
        )
    lines += [
        markdown_table(
            [
                "target",
                "start to ready s",
                "training s",
                "training peak RSS MB",
                "serving peak RSS MB (sum)",
                "per process (MB)",
            ],
            trows,
        ),
        "",
    ]
    for t in data["targets"]:
        lines.append(f"- {t['name']}: {t['notes']}")
    for name, reason in data.get("skipped", {}).items():
        lines.append(f"- {name}: skipped ({reason})")
    lines += ["", "Goals:"]
    for label, ok, value in data["goals"]:
        lines.append(f"- [{'met' if ok else 'MISSED'}] {label}: {value}")
    if data.get("plot"):
        lines += ["", f"Plot: {data['plot']}"]
    return "\n".join(lines)


def plot(data: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    targets = sorted({r["target"] for r in data["levels"]})
    for t in targets:
        rows = sorted(
            (r for r in data["levels"] if r["target"] == t), key=lambda r: r["concurrency"]
        )
        xs = [r["concurrency"] for r in rows]
        (line,) = ax1.plot(xs, [r["p95_ms"] for r in rows], marker="o", label=f"{t} p95")
        ax1.plot(
            xs,
            [r["p50_ms"] for r in rows],
            marker=".",
            linestyle=":",
            alpha=0.7,
            color=line.get_color(),
            label=f"{t} p50",
        )
        ax2.plot(xs, [r["msgs_per_s"] for r in rows], marker="o", color=line.get_color(), label=t)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xticks(sorted({r["concurrency"] for r in data["levels"]}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("concurrent conversations")
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_yscale("log")
    ax1.set_ylabel("latency per message (ms, log)")
    ax1.set_title("Latency")
    ax1.legend(fontsize=7)
    ax2.set_yscale("log")
    ax2.set_ylabel("messages per second (log)")
    ax2.set_title("Throughput")
    ax2.legend(fontsize=7)
    m = data["meta"]
    fig.suptitle(
        f"{m['date'][:16]}  git {m['git']}  {m['machine']['nproc']} cores {m['machine']['cpu']}",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
