"""The benchmark's orchestration (see eval/bench/__init__.py): start the targets, run the
rounds at each concurrency with the targets taking turns, read their memory, stop them, and
`main`, which saves and prints the report."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

from ..common import REPORTS, previous_summary, run_meta, save_report, stamp
from .load import LevelResult, run_level, warm_up
from .report import goals_check, plot, ratios, render
from .targets import (
    FLOOR_CONVERSATION,
    PROJECT_CONVERSATION,
    STOCK_CONVERSATION,
    Target,
    cpu_seconds,
    peak_rss,
    postgres_checkpoints,
    postgres_database,
    prepare_stock,
    start_floor,
    start_project,
    start_stock,
    train_project,
)

OUT_DIR = REPORTS / "bench"
LEVELS = (1, 10, 50)
# Conversations per simulated user at each concurrency and round: over three rounds enough
# messages for a p99 at every level (120, 480 and 1,200 messages a target) while the whole run
# stays within minutes. At 50, one conversation per user would make each round a single burst
# (all 50 start at once, then the load drains); two keep the server loaded for most of it.
ROUNDS = 3
CONVERSATIONS_PER_USER = {1: 10, 10: 4, 50: 2}
QUICK_CONVERSATIONS_PER_USER = {1: 3, 10: 1, 50: 1}


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run(
    concurrency: Sequence[int] | None = None,
    targets: Sequence[str] | None = None,
    train: bool = True,
    quick: bool = False,
    rounds: int | None = None,
) -> dict[str, Any]:
    levels = tuple(concurrency or LEVELS)
    rounds = rounds or (1 if quick else ROUNDS)
    per_user_table = QUICK_CONVERSATIONS_PER_USER if quick else CONVERSATIONS_PER_USER
    wanted = list(targets or ("floor", "stock", "project", "project-postgres"))
    workdir = Path(tempfile.mkdtemp(prefix="eval-bench-"))
    running: list[Target] = []
    skipped: dict[str, str] = {}
    cleanups: list[Callable[[], None]] = []
    data: dict[str, Any] = {"loadavg_start": _loadavg(), "workdir": str(workdir)}
    training: dict[str, Any] | None
    try:
        if "floor" in wanted:
            print("bench: starting the floor (Sanic echo) ...", flush=True)
            running.append(start_floor(workdir))
        if "stock" in wanted:
            print("bench: stock Rasa: rasa init's assistant, cold rasa train ...", flush=True)
            folder, training = prepare_stock(workdir)
            print(f"bench:   trained in {training['seconds']} s; starting rasa run ...", flush=True)
            running.append(start_stock(workdir, folder, training))
        if any(t.startswith("project") for t in wanted):
            if train:
                print("bench: project: cold rasa train (empty cache) ...", flush=True)
                training = train_project(workdir)
                model = training["model"]
                print(f"bench:   trained in {training['seconds']} s", flush=True)
            else:
                from eval.servers import model_path

                training, model = None, model_path()
            if "project" in wanted:
                print("bench: starting the project (SQLite) ...", flush=True)
                running.append(start_project(workdir, model, training))
            if "project-postgres" in wanted:
                pg = postgres_database()
                if pg is None:
                    skipped["project-postgres"] = "PostgreSQL not reachable on 127.0.0.1:5432"
                else:
                    cleanups.append(pg[1])
                    print("bench: starting the project (PostgreSQL) ...", flush=True)
                    running.append(start_project(workdir, model, training, postgres=pg[0]))
        for t in running:
            print(f"bench:   {t.name} ready in {t.start_to_ready_s} s", flush=True)
            asyncio.run(warm_up(t))
        results: list[dict] = []
        by_round: list[dict] = []
        for c in levels:
            per_user = per_user_table.get(c, max(1, 20 // c))
            pooled = {t.name: LevelResult(t.name, c) for t in running}
            cpu: dict[str, dict[str, float]] = {t.name: {} for t in running}
            for n in range(1, rounds + 1):
                for t in running:
                    before = postgres_checkpoints() if t.name == "project-postgres" else None
                    cpu_before = cpu_seconds(t.roots)
                    r = asyncio.run(run_level(t, c, per_user))
                    for label, used in cpu_seconds(t.roots).items():
                        spent = used - cpu_before.get(label, 0.0)
                        cpu[t.name][label] = cpu[t.name].get(label, 0.0) + spent
                    pooled[t.name].add(r)
                    s = {**r.summary(), "round": n}
                    if before is not None:
                        after = postgres_checkpoints()
                        s["pg_checkpoints"] = None if after is None else after - before
                    by_round.append(s)
                    print(
                        f"bench: {t.name:16} c={c:<3} round {n}  {s['messages']:4} msgs  p50 {s['p50_ms']} ms"
                        f"  p95 {s['p95_ms']} ms  p99 {s['p99_ms']} ms  {s['msgs_per_s']} msg/s  "
                        f"errors {s['errors']}",
                        flush=True,
                    )
            for t in running:
                summary = pooled[t.name].summary()
                messages = max(1, pooled[t.name].messages)
                summary["cpu_ms_per_message"] = {
                    label: round(1000 * seconds / messages, 2)
                    for label, seconds in sorted(cpu[t.name].items())
                }
                results.append(summary)
        for t in running:
            t.memory = peak_rss(t.roots)
        data.update(
            meta=run_meta(),
            levels=results,
            rounds=rounds,
            rounds_detail=by_round,
            loadavg_end=_loadavg(),
            skipped=skipped,
            quick=quick,
            conversations={
                "project": PROJECT_CONVERSATION,
                "stock": STOCK_CONVERSATION,
                "floor": FLOOR_CONVERSATION,
            },
            targets=[
                {
                    "name": t.name,
                    "url": t.url,
                    "start_to_ready_s": t.start_to_ready_s,
                    "training": t.training,
                    "memory": t.memory,
                    "notes": t.notes,
                }
                for t in running
            ],
        )
        data["ratios"] = ratios(results, by_round)
        data["goals"] = goals_check(data)
        return data
    finally:
        for t in running:
            try:
                t.stop()
            except Exception as exc:  # noqa: BLE001
                print(f"bench: stopping {t.name}: {exc}", file=sys.stderr)
        for cleanup in cleanups:
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001
                print(f"bench: cleanup: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


def main(
    concurrency: Sequence[int] | None = None,
    targets: Sequence[str] | None = None,
    train: bool = True,
    quick: bool = False,
    rounds: int | None = None,
) -> int:
    prev = previous_summary(OUT_DIR)
    # The servers this starts believe X-Forwarded-For from loopback, where the bench's clients
    # are (each simulated patient sends an address of her own: see load.py).
    os.environ.setdefault("BOT_TRUSTED_PROXIES", "127.0.0.1")
    data = run(concurrency, targets, train, quick, rounds)
    out = OUT_DIR / ("quick" if quick else "")
    png = plot(data, out / f"bench-{stamp()}.png")
    if png:
        shutil.copyfile(png, out / "bench.png")
        data["plot"] = str(out / "bench.png")
    text = render(data, prev if not quick else None)
    print(text)
    paths = save_report(out, data, text)
    print(f"\nsaved {paths['latest_md']}, {paths['json']} and {data.get('plot')}")
    return 0 if all(ok for _, ok, _ in data["goals"]) else 1
