"""Speed and memory benchmark, side by side in one run, on this machine, over loopback only.

Targets (all over HTTP POST /webhooks/rest/webhook, JSON {"sender", "message"}):
- project:          this bot through its REST channel, with the action server and the SQLite
                    tracker store (what `make run` runs), on a realistic triage conversation
                    (greeting, symptoms, weeks, contractions -> urgent decision);
- project-postgres: the same with the PostgreSQL tracker store, when 127.0.0.1:5432 answers;
- stock:            stock Rasa 3.6.21: the assistant `rasa init` creates (the same files,
                    written by rasa.cli.scaffold.create_initial_project, which `rasa init`
                    calls), trained here in a temporary folder, `rasa run`, its default
                    in-memory tracker store, on its own kind of conversation ("hello", "I am
                    sad", "yes", "bye");
- floor:            a bare Sanic 21.12 echo endpoint (eval/echo_server.py), the framework Rasa
                    runs on: the cost of HTTP and JSON alone.

At each concurrency (1, 10, 50 conversations at once) every target gets the same number of
conversations, one target after the other, so they share the machine's conditions; and this is
done in several rounds (3 by default), the targets taking turns in each round, because a single
pass was seen to swing the project/stock ratio by 0.1 to 0.4 between runs minutes apart (a
stall such as a PostgreSQL checkpoint lands on whichever target is running). The latency
percentiles pool every round's messages; the ratio to stock Rasa is taken round by round (both
measured within a minute of each other) and the goal is judged on the median round. For the
PostgreSQL target, the checkpoints PostgreSQL ran during each round (pg_stat_bgwriter) are
recorded beside it, so a slow round can be told apart from a slow bot. Each
simulated user runs whole conversations one after another, each with a new sender id; the
latency of every message is timed (asyncio + aiohttp). Reported per target and concurrency:
p50/p95/p99 latency, messages per second (messages / wall time), errors (transport errors,
non-200 answers, and for the project a conversation that does not end in the urgent triage
decision). Plus time from start to ready, training time (a cold `rasa train` with an empty
cache), and the peak RSS (VmHWM) of every process, summed over the process tree.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .common import (
    REPORTS,
    ROOT,
    VENV_BIN,
    markdown_table,
    meta_line,
    previous_summary,
    run_meta,
    save_report,
    stamp,
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
LEVEL_DEADLINE_S = 300  # no new conversation starts after this at one level
REQUEST_TIMEOUT_S = 120
READY_TIMEOUT_S = 300
GOALS = {
    "p95_ratio_vs_stock_max": 1.0,
    "errors_at_50": 0,
    "rss_total_mb_max": 1536,
    "start_to_ready_s_max": 30,
}

PROJECT_CONVERSATION = (
    "hi",
    "i have pressure down below and a bit of spotting",
    "20 weeks",
    "no",
)
STOCK_CONVERSATION = ("hello", "I am sad", "yes", "bye")
FLOOR_CONVERSATION = STOCK_CONVERSATION


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.update(
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        LOG_LEVEL="INFO",
    )
    return out


# -- processes and memory ------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def process_tree(root: int) -> list[int]:
    """The pid and all its descendants (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _cmd(pid: int) -> str:
    try:
        parts = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [p.decode(errors="replace") for p in parts if p]
        words = [Path(words[0]).name] + words[1:] if words else []
        return " ".join(w for w in words[:4] if not w.startswith("/tmp"))[:60]
    except OSError:
        return "?"


def peak_rss(roots: Sequence[int]) -> dict[str, Any]:
    """Peak RSS (VmHWM) of every process in the trees of `roots`, in MB, and their sum.

    psutil is not a dependency of the project; /proc/<pid>/status is what it reads anyway.
    The sum of the peaks bounds the peak of the sum from above."""
    procs: list[dict[str, Any]] = []
    for root in roots:
        for pid in process_tree(root):
            hwm = _status_kb(pid, "VmHWM")
            rss = _status_kb(pid, "VmRSS")
            if hwm is not None:
                procs.append(
                    {
                        "pid": pid,
                        "cmd": _cmd(pid),
                        "peak_mb": round(hwm / 1024, 1),
                        "rss_mb": round((rss or 0) / 1024, 1),
                    }
                )
    return {"processes": procs, "total_peak_mb": round(sum(p["peak_mb"] for p in procs), 1)}


def wait_with_rusage(proc: subprocess.Popen) -> tuple[int, float]:
    """Waits for a child and returns (exit code, its peak RSS in MB) from wait4."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, round(usage.ru_maxrss / 1024, 1)


def wait_ready(
    url: str, proc: subprocess.Popen, log: Path, timeout: float = READY_TIMEOUT_S
) -> float:
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{url}: exited {proc.returncode}\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{url} not ready after {timeout}s\n{log.read_text(errors='replace')[-3000:]}"
    )


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# -- training ------------------------------------------------------------------------------------


def timed_train(cwd: Path, out: Path, name: str, cache: Path, log: Path) -> dict[str, Any]:
    """A cold `rasa train` (empty RASA_CACHE_DIRECTORY): wall time, exit code, peak RSS."""
    e = env()
    e["RASA_CACHE_DIRECTORY"] = str(cache)
    cmd = [str(VENV_BIN / "rasa"), "train", "--out", str(out), "--fixed-model-name", name]
    started = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=fh, stderr=subprocess.STDOUT)
        code, rss = wait_with_rusage(proc)
    seconds = round(time.perf_counter() - started, 1)
    if code != 0:
        raise RuntimeError(f"rasa train failed in {cwd} (exit {code}):\n{log.read_text()[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": rss, "model": str(out / f"{name}.tar.gz")}


# -- targets ------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    conversation: tuple[str, ...]
    check: Callable[[list, list], str | None]  # (replies of the last turn, all) -> error
    roots: list[int] = field(default_factory=list)
    stop: Callable[[], None] = lambda: None
    start_to_ready_s: float | None = None
    training: dict[str, Any] | None = None
    notes: str = ""
    memory: dict[str, Any] | None = None


def _check_project(last: list, _all: list) -> str | None:
    levels = [
        m["custom"]["triage"]["level"]
        for m in last
        if isinstance(m.get("custom"), dict) and isinstance(m["custom"].get("triage"), dict)
    ]
    if levels != ["urgent"]:
        return f"expected one urgent triage decision at the end, got {levels or 'none'}"
    return None


def _check_nonempty(last: list, _all: list) -> str | None:
    return None if last else "empty reply"


def _check_echo(last: list, _all: list) -> str | None:
    return None if last and last[0].get("text") else "no echo"


def _serve(cmd: list[str], cwd: Path, log: Path, port: int) -> tuple[subprocess.Popen, float]:
    """Starts a server on 127.0.0.1:port and waits until it answers: (process, seconds)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/", proc, log)
    except Exception:
        stop_process(proc)
        raise
    return proc, round(time.perf_counter() - started, 2)


def start_floor(workdir: Path) -> Target:
    port = free_port()
    proc, ready = _serve(
        [str(VENV_BIN / "python"), "-m", "eval.echo_server", "--port", str(port)],
        ROOT,
        workdir / "floor.log",
        port,
    )
    return Target(
        "floor",
        f"http://127.0.0.1:{port}",
        FLOOR_CONVERSATION,
        _check_echo,
        roots=[proc.pid],
        stop=lambda: stop_process(proc),
        start_to_ready_s=ready,
        notes="Sanic 21.12 echo, one worker",
    )


def prepare_stock(workdir: Path) -> tuple[Path, dict[str, Any]]:
    folder = workdir / "stock"
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-c",
            "import sys; from rasa.cli.scaffold import create_initial_project; "
            "create_initial_project(sys.argv[1])",
            str(folder),
        ],
        cwd=folder,
        env=env(),
        check=True,
        capture_output=True,
    )
    training = timed_train(
        folder, folder / "models", "stock", folder / ".rasa" / "cache", workdir / "stock-train.log"
    )
    return folder, training


def start_stock(workdir: Path, folder: Path, training: dict[str, Any]) -> Target:
    port = free_port()
    proc, ready = _serve(
        [
            str(VENV_BIN / "rasa"),
            "run",
            "--model",
            training["model"],
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
        ],
        folder,
        workdir / "stock.log",
        port,
    )
    return Target(
        "stock",
        f"http://127.0.0.1:{port}",
        STOCK_CONVERSATION,
        _check_nonempty,
        roots=[proc.pid],
        stop=lambda: stop_process(proc),
        start_to_ready_s=ready,
        training=training,
        notes="rasa init assistant, default config, in-memory tracker store, no action server",
    )


def train_project(workdir: Path) -> dict[str, Any]:
    return timed_train(
        ROOT,
        workdir / "project-models",
        "bench-project",
        workdir / "project-cache",
        workdir / "project-train.log",
    )


def start_project(
    workdir: Path, model: str, training: dict | None, postgres: dict | None = None
) -> Target:
    from eval.servers import start_bot

    name = "project-postgres" if postgres else "project"
    folder = workdir / name
    store = None
    notes = "REST channel, action server, SQLite tracker store"
    if postgres:
        store = {
            "type": "store.tracker_store.TriageTrackerStore",
            "dialect": "postgresql",
            "url": postgres["host"],
            "port": postgres["port"],
            "db": postgres["db"],
            "username": postgres["user"],
        }
        notes = "REST channel, action server, PostgreSQL tracker store"
    started = time.perf_counter()
    bot = start_bot(folder, tracker_store=store, model=model)
    ready = round(time.perf_counter() - started, 2)
    return Target(
        name,
        bot.rasa_url,
        PROJECT_CONVERSATION,
        _check_project,
        roots=[p.pid for p in bot.processes],
        stop=bot.stop,
        start_to_ready_s=ready,
        training=training,
        notes=notes,
    )


PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def postgres_database() -> tuple[dict, Callable[[], None]] | None:
    """A fresh database on the local PostgreSQL and the call that drops it, or None when
    PostgreSQL does not answer."""
    from eval.servers import throwaway_database

    stack = ExitStack()
    try:
        name = stack.enter_context(throwaway_database("bench"))
    except Exception:  # noqa: BLE001 - not reachable: skip the PostgreSQL target
        return None
    return {**PG, "db": name}, stack.close


def postgres_checkpoints() -> int | None:
    """Checkpoints PostgreSQL has run since its statistics were reset (timed + requested)."""
    try:
        import psycopg2

        with (
            psycopg2.connect(connect_timeout=3, dbname="postgres", **PG) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
            return int(cur.fetchone()[0])
    except Exception:  # noqa: BLE001 - a diagnostic only
        return None


# -- load -------------------------------------------------------------------------------------------


@dataclass
class LevelResult:
    target: str
    concurrency: int
    conversations: int = 0
    messages: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        data = sorted(self.latencies_ms)
        k = (len(data) - 1) * q
        lo, hi = int(k), min(int(k) + 1, len(data) - 1)
        return round(data[lo] + (data[hi] - data[lo]) * (k - lo), 1)

    def add(self, other: LevelResult) -> None:
        """Pools another round of the same target and concurrency into this one."""
        self.conversations += other.conversations
        self.messages += other.messages
        self.errors += other.errors
        for kind, n in other.error_kinds.items():
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + n
        self.wall_s += other.wall_s
        self.latencies_ms.extend(other.latencies_ms)

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "concurrency": self.concurrency,
            "conversations": self.conversations,
            "messages": self.messages,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "wall_s": round(self.wall_s, 2),
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
            "msgs_per_s": round(self.messages / self.wall_s, 1) if self.wall_s else None,
        }


async def _conversation(session, target: Target, result: LevelResult | None) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    # Each simulated patient comes from an address of her own, as through the clinic's proxy
    # (the bot trusts X-Forwarded-For from loopback in the bench: see main), so the bench
    # measures the bot and not the per-address rate limit of one loopback client.
    patient = uuid.UUID(sender[-12:].rjust(32, "0")).int
    forwarded = {
        "X-Forwarded-For": f"10.{patient >> 16 & 255}.{patient >> 8 & 255}.{patient & 255}"
    }
    replies: list = []
    failed = None
    for turn in target.conversation:
        started = time.perf_counter()
        try:
            async with session.post(
                f"{target.url}/webhooks/rest/webhook",
                json={"sender": sender, "message": turn},
                headers=forwarded,
            ) as response:
                if response.status != 200:
                    failed, last = f"HTTP {response.status}", []
                    await response.read()
                else:
                    last = await response.json()
            elapsed = (time.perf_counter() - started) * 1000
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            elapsed = (time.perf_counter() - started) * 1000
            failed, last = type(exc).__name__, []
        if result is not None:
            result.messages += 1
            result.latencies_ms.append(elapsed)
        replies.append(last)
        if failed:
            break
    if not failed:
        failed = target.check(replies[-1], replies)
    if result is not None:
        result.conversations += 1
        if failed:
            result.errors += 1
            result.error_kinds[failed[:80]] = result.error_kinds.get(failed[:80], 0) + 1


def _session(concurrency: int):
    # aiohttp rather than httpx for the load: on two cores httpx's own CPU cost per request
    # (about 4x aiohttp's) saturates first and would be measured as the servers' latency.
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency + 5, force_close=False),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
    )


async def _load(target: Target, concurrency: int, per_user: int) -> LevelResult:
    result = LevelResult(target.name, concurrency)
    async with _session(concurrency) as session:
        deadline = time.perf_counter() + LEVEL_DEADLINE_S

        async def user() -> None:
            for _ in range(per_user):
                if time.perf_counter() > deadline:
                    return
                await _conversation(session, target, result)

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started
    return result


async def _warm_up(target: Target, conversations: int = 2) -> None:
    async with _session(1) as session:
        for _ in range(conversations):
            await _conversation(session, target, None)


# -- report ----------------------------------------------------------------------------------------


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
                (f"p95 {row['target']}/stock <= 1.0 at {row['concurrency']}", value <= 1.0, detail)
            )
    for r in data["levels"]:
        if r["concurrency"] == 50 and r["target"].startswith("project"):
            checks.append(
                (f"zero errors at 50 ({r['target']})", r["errors"] == 0, str(r["errors"]))
            )
    for t in data["targets"]:
        if t["name"].startswith("project"):
            mem = t["memory"]["total_peak_mb"]
            checks.append(
                (f"all processes under 1.5 GB RSS ({t['name']})", mem < 1536, f"{mem:.0f} MB")
            )
            checks.append(
                (
                    f"start to ready under 30 s ({t['name']})",
                    t["start_to_ready_s"] < 30,
                    f"{t['start_to_ready_s']:.1f} s",
                )
            )
    return checks


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


# -- main ------------------------------------------------------------------------------------------


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
            asyncio.run(_warm_up(t))
        results: list[dict] = []
        by_round: list[dict] = []
        for c in levels:
            per_user = per_user_table.get(c, max(1, 20 // c))
            pooled = {t.name: LevelResult(t.name, c) for t in running}
            for n in range(1, rounds + 1):
                for t in running:
                    before = postgres_checkpoints() if t.name == "project-postgres" else None
                    r = asyncio.run(_load(t, c, per_user))
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
            results.extend(pooled[t.name].summary() for t in running)
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
    # are (each simulated patient sends an address of her own: see _conversation).
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
