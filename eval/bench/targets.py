"""The benchmark's targets (see eval/bench/__init__.py): start each server on a free loopback
port and wait until it answers, stop it, time a cold `rasa train`, read the peak memory of its
process tree from /proc, and the throwaway PostgreSQL database with its checkpoint count."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..common import ROOT, VENV_BIN

READY_TIMEOUT_S = 300

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


def cpu_seconds(roots: Sequence[int]) -> dict[str, float]:
    """CPU time (user + system) used so far by each process of the targets' trees, by its
    command line (from /proc/<pid>/stat, in clock ticks)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for root in roots:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # After the command: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
            used = (int(fields[11]) + int(fields[12])) / tick
            label = _cmd(pid)
            out[label] = out.get(label, 0.0) + used
    return out


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
