"""``python -m eval cluster``: the lock test on the real deployment. Starts ``make cluster``'s
processes (scripts/cluster.sh: HAProxy, two Rasa servers, two action servers) on free ports with
a fresh PostgreSQL database, sends N messages for one conversation at the same moment through
HAProxy (round robin: both Rasa servers take them), and checks that the stored events are those
of one message after another (eval/lock_race.py ``check_sequential``). Prints and saves
reports/cluster.json. The channels' rate limits and conversation cap are turned off in this
cluster's credentials (they would refuse most of a 100-message burst, which is their job).

``python -m eval lock`` is the same check without Rasa: two processes running the real lock
store and tracker store (what tests/test_lock.py runs), with ``--lock stock`` for Rasa's own
``RedisLockStore`` to compare.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx
import yaml

from .lock_race import check_sequential, run_race, stored_events
from .servers import ROOT, free_port, model_path, server_env, throwaway_database

REPORTS = ROOT / "reports"


@contextmanager
def cluster(workdir: Path, database: str, timeout: float = 400) -> Iterator[dict[str, Any]]:
    """scripts/cluster.sh on free ports (no console or demo page); stopped afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    for name in credentials:
        credentials[name] = {
            **(credentials[name] or {}),
            "rate_limits": {"per_conversation": 0, "per_address": 0},
            "max_turns": 100_000,
        }
    (workdir / "credentials.yml").write_text(yaml.safe_dump(credentials))
    ports = {
        name: str(free_port())
        for name in (
            "BOT_PORT",
            "RASA_1_PORT",
            "RASA_2_PORT",
            "ACTIONS_PORT",
            "ACTIONS_1_PORT",
            "ACTIONS_2_PORT",
        )
    }
    env = {
        **server_env(),
        **ports,
        "CLUSTER_DIR": str(workdir),
        "CLUSTER_EXTRAS": "0",
        "CLUSTER_SKIP_SETUP": "1",
        "CLUSTER_CREDENTIALS": str(workdir / "credentials.yml"),
        "POSTGRES_DB": database,
        "TRIAGE_MODEL": model_path(),
    }
    env.pop("ACTION_SERVER_TOKEN", None)
    log = (workdir / "cluster.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "cluster.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    info = {"url": f"http://127.0.0.1:{ports['BOT_PORT']}", "dir": workdir, "env": env}
    try:
        deadline = time.time() + timeout
        while "cluster: up" not in (workdir / "cluster.log").read_text():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(
                    "cluster did not come up:\n" + (workdir / "cluster.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        info["start_seconds"] = round(time.perf_counter() - started, 1)
        yield info
    finally:
        subprocess.run([str(ROOT / "scripts" / "cluster_stop.sh")], cwd=ROOT, env=env, check=False)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def haproxy_servers(workdir: Path) -> dict[str, dict[str, str]]:
    """HAProxy's ``show stat`` from its stats socket: each server's row (CSV columns by name),
    keyed ``backend/server``; the FRONTEND and BACKEND summary rows left out."""
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(workdir / "haproxy.sock"))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
    return {
        f"{r['pxname']}/{r['svname']}": r
        for r in rows
        if r.get("svname") not in ("FRONTEND", "BACKEND", None)
    }


def haproxy_stats(workdir: Path) -> dict[str, int]:
    """Requests each server took (``stot``)."""
    return {name: int(r.get("stot") or 0) for name, r in haproxy_servers(workdir).items()}


async def burst(url: str, sender: str, texts: list[str]) -> list[Any]:
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=200)) as client:

        async def one(text: str) -> Any:
            started = time.perf_counter()
            response = await client.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            return response.status_code, time.perf_counter() - started, response.json()

        return await asyncio.gather(*(one(t) for t in texts), return_exceptions=True)


def run_cluster(messages: int = 100) -> dict[str, Any]:
    workdir = ROOT / "var" / f"eval-cluster-{uuid.uuid4().hex[:6]}"
    with throwaway_database("triage_eval_cluster") as database:
        db_url = f"postgresql://postgres@127.0.0.1:5432/{database}"
        with cluster(workdir, database) as running:
            sender = f"cluster-{uuid.uuid4().hex[:8]}"
            texts = [f"message {i}" for i in range(messages)]
            started = time.perf_counter()
            results = asyncio.run(burst(running["url"], sender, texts))
            seconds = time.perf_counter() - started
            served = haproxy_stats(workdir)
            outcome = check_sequential(stored_events(db_url, sender), texts)
        fallback_only = sum(
            1
            for r in results
            if not isinstance(r, BaseException)
            and all((m.get("custom") or {}).get("safety_net") for m in r[2])
        )
        report = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} cores",
            "messages": messages,
            "answered_200": sum(
                1 for r in results if not isinstance(r, BaseException) and r[0] == 200
            ),
            "errors": sum(1 for r in results if isinstance(r, BaseException) or r[0] != 200),
            "answered_only_by_the_safety_net_fallback": fallback_only,
            "seconds_for_all": round(seconds, 1),
            "cluster_start_seconds": running["start_seconds"],
            "requests_per_server": served,
            "stored_user_messages": outcome.users,
            "problems": outcome.problems,
            "sequential": not outcome.problems,
        }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "cluster.json").write_text(json.dumps(report, indent=2))
    return report


def run_lock(messages: int = 100, lock: str = "fenced", processes: int = 2) -> dict[str, Any]:
    with throwaway_database("triage_eval_lock") as database:
        db_url = f"postgresql://postgres@127.0.0.1:5432/{database}"
        sender = f"lock-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        workers, texts = run_race(
            db_url,
            sender,
            messages=messages,
            processes=processes,
            lock=lock,
            prefix=f"triageeval{uuid.uuid4().hex[:6]}",
            timeout=900,
        )
        outcome = check_sequential(stored_events(db_url, sender), texts)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "lock": lock,
        "messages": messages,
        "processes": processes,
        "seconds": round(time.perf_counter() - started, 1),
        "workers": workers,
        "stored_user_messages": outcome.users,
        "problems": outcome.problems,
        "sequential": not outcome.problems,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"lock-{lock}.json").write_text(json.dumps(report, indent=2))
    return report


def server_status(workdir: Path) -> dict[str, str]:
    """Each server's state in HAProxy (UP, DOWN, ...)."""
    return {name: r.get("status", "") for name, r in haproxy_servers(workdir).items()}


CONVERSATION = ["hello", "i have pressure in my vagina and some spotting", "20 weeks", "no"]


async def _patients(url: str, patients: int, seconds: float, log: list) -> None:
    """``patients`` conversations at once, each starting over with a new id when done."""
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=30) as client:

        async def patient(n: int) -> None:
            while time.perf_counter() < deadline:
                sender = f"probe-{n}-{uuid.uuid4().hex[:8]}"
                for text in CONVERSATION:
                    started = time.perf_counter()
                    status: int | str
                    try:
                        response = await client.post(
                            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                        )
                        status = response.status_code
                    except httpx.HTTPError as error:
                        status = type(error).__name__
                    log.append((started, time.perf_counter() - started, status))

        await asyncio.gather(*(patient(n) for n in range(patients)))


def run_kill(patients: int = 10, seconds: float = 30, kill_at: float = 10) -> dict[str, Any]:
    """A Rasa server killed with SIGKILL under load: how fast HAProxy takes it out, and what
    the patients see meanwhile (HAProxy's side of issue 11; the failover run is item 5)."""
    workdir = ROOT / "var" / f"eval-kill-{uuid.uuid4().hex[:6]}"
    log: list = []
    with throwaway_database("triage_eval_kill") as database, cluster(workdir, database) as running:

        async def scenario() -> dict[str, Any]:
            load = asyncio.create_task(_patients(running["url"], patients, seconds, log))
            await asyncio.sleep(kill_at)
            pid = int((workdir / "rasa-1.pid").read_text())
            killed = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            down = None
            while down is None and time.perf_counter() - killed < 20:
                states = await asyncio.to_thread(server_status, workdir)
                if states.get("rasa_rest/rasa-1", "").startswith("DOWN"):
                    down = time.perf_counter() - killed
                await asyncio.sleep(0.05)
            await load
            return {"killed": killed, "down_after_s": down}

        outcome = asyncio.run(scenario())
    killed = outcome["killed"]
    failed = [(t - killed, status) for t, _, status in log if status != 200]
    before = sorted(d for t, d, s in log if t < killed and s == 200)
    after = sorted(d for t, d, s in log if t > killed + 5 and s == 200)

    def p95(values: list) -> float | None:
        return round(values[int(0.95 * (len(values) - 1))], 3) if values else None

    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores",
        "patients": patients,
        "requests": len(log),
        "rasa_1_marked_down_after_s": round(outcome["down_after_s"], 2)
        if outcome["down_after_s"] is not None
        else None,
        "failed_requests": len(failed),
        "failures_seconds_after_kill": [round(t, 2) for t, _ in failed][:20],
        "failure_kinds": sorted({str(s) for _, s in failed}),
        "p95_before_kill_s": p95(before),
        "p95_from_5s_after_kill_s": p95(after),
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "cluster-kill.json").write_text(json.dumps(report, indent=2))
    return report


def main(command: str, messages: int, lock: str = "fenced", kill: bool = False) -> int:
    if kill:
        report = run_kill()
        print(json.dumps(report, indent=2))
        return 0 if report["rasa_1_marked_down_after_s"] is not None else 1
    report = run_cluster(messages) if command == "cluster" else run_lock(messages, lock)
    print(json.dumps(report, indent=2))
    return 0 if report["sequential"] else 1
