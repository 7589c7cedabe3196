"""CPU milliseconds per message of each process of the project's bot, measured short and alone:

    python -m eval.bench.cpu [--conversations 60] [--concurrency 4] [--store sqlite|postgres]

Starts the real bot as the bench does (Rasa server with the REST channel, action server,
SQLite tracker store in a temporary folder; eval/servers.py start_bot), warms it up, then runs
``--conversations`` of the bench's project conversation (eval/bench/targets.py
PROJECT_CONVERSATION: greeting, symptoms, weeks, contractions -> urgent) with ``--concurrency``
at once, and reads each process's CPU time (user + system, /proc/<pid>/stat) before and after.
CPU time, unlike latency, hardly depends on what else the machine is doing, so this is the
figure to compare before and after a change to the Rasa server's per-message work; the full
``python -m eval bench`` (minutes of both cores, against stock Rasa) is the judge of latency.

``--profile FILE`` also samples the Rasa server with py-spy (when ``PY_SPY`` names its binary,
or it is on the PATH) during the measured part and writes its flame graph or speedscope
profile to FILE. Every reply is checked as the bench checks it (one urgent decision at the
end), so a change that breaks the conversation cannot look faster.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .load import LevelResult, run_level, warm_up
from .targets import PROJECT_CONVERSATION, Target, _check_project, cpu_seconds


def _start(workdir: Path, store: str) -> tuple[Target, dict[str, int], object]:
    from eval.servers import start_bot

    from .targets import postgres_database

    cleanup = None
    tracker = None
    if store == "postgres":
        pg = postgres_database()
        if pg is None:
            raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432")
        config, cleanup = pg
        tracker = {
            "type": "store.tracker_store.TriageTrackerStore",
            "dialect": "postgresql",
            "url": config["host"],
            "port": config["port"],
            "db": config["db"],
            "username": config["user"],
        }
    bot = start_bot(workdir, tracker_store=tracker)
    actions, rasa = bot.processes
    target = Target(
        "project",
        bot.rasa_url,
        PROJECT_CONVERSATION,
        _check_project,
        roots=[rasa.pid, actions.pid],
        stop=bot.stop,
    )
    return target, {"rasa": rasa.pid, "actions": actions.pid}, cleanup


def _cpu(pid: int) -> float:
    return sum(cpu_seconds([pid]).values())


def measure(conversations: int, concurrency: int, store: str, profile: str | None) -> dict:
    # The bench's clients send X-Forwarded-For from loopback (load.py): believe it here too,
    # so the per-address limit is not what is measured.
    os.environ.setdefault("BOT_TRUSTED_PROXIES", "127.0.0.1")
    workdir = Path(tempfile.mkdtemp(prefix="eval-cpu-"))
    target, pids, cleanup = _start(workdir, store)
    spy = None
    try:
        asyncio.run(warm_up(target, conversations=3))
        before = {name: _cpu(pid) for name, pid in pids.items()}
        if profile:
            binary = os.environ.get("PY_SPY") or shutil.which("py-spy")
            if not binary:
                raise SystemExit("--profile needs py-spy (set PY_SPY to its binary)")
            fmt = "speedscope" if profile.endswith(".json") else "flamegraph"
            spy = subprocess.Popen(
                [binary, "record", "-p", str(pids["rasa"]), "-o", profile, "-f", fmt, "-r", "200"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)
        per_user = max(1, conversations // concurrency)
        started = time.perf_counter()
        result: LevelResult = asyncio.run(run_level(target, concurrency, per_user))
        wall = time.perf_counter() - started
        after = {name: _cpu(pid) for name, pid in pids.items()}
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(timeout=60)
            except subprocess.TimeoutExpired:
                spy.kill()
        target.stop()
        if cleanup is not None:
            cleanup()  # type: ignore[operator]
        shutil.rmtree(workdir, ignore_errors=True)
    messages = max(1, result.messages)
    return {
        "messages": result.messages,
        "errors": result.errors,
        "error_kinds": result.error_kinds,
        "wall_s": round(wall, 1),
        "p50_ms": result.percentile(0.5),
        "p95_ms": result.percentile(0.95),
        "cpu_ms_per_message": {
            name: round(1000 * (after[name] - before[name]) / messages, 2) for name in pids
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", help="py-spy output file (.svg flame graph or .json)")
    args = parser.parse_args(argv)
    out = measure(args.conversations, args.concurrency, args.store, args.profile)
    cpu = out["cpu_ms_per_message"]
    print(
        f"{out['messages']} messages ({args.store}, {args.concurrency} at once) in "
        f"{out['wall_s']} s, errors {out['errors']} {out['error_kinds'] or ''}, latency p50 "
        f"{out['p50_ms']} ms, p95 {out['p95_ms']} ms (wall-clock: depends on the machine's load)\n"
        f"CPU ms per message: Rasa server {cpu['rasa']}, action server {cpu['actions']}, "
        f"total {round(cpu['rasa'] + cpu['actions'], 2)}"
    )
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
