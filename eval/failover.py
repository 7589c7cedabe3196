"""``python -m eval failover``: patients keep talking while parts of ``make cluster`` fail
(issue 11, item 5; the method is in docs/evaluation.md, "Failover").

Starts the cluster on free ports with a fresh PostgreSQL database (eval/cluster.py ``cluster``,
the channels' rate limits off), then for ``--seconds`` (120) ``--patients`` (50) simulated
patients talk to HAProxy's REST port at once. Each plays the tuning vignettes' conversations
(eval/vignettes.yml, turn by turn, a new conversation id each), from an address of her own
(``X-Forwarded-For``; the cluster trusts 127.0.0.1), pausing ``--think`` seconds between turns.
Every message carries a ``message_id``; a message that times out (``--timeout``, 20 s, the
widget's retry time) or fails without an answer (connection closed, HAProxy's 502/503/504) is
sent once more with the same id.

Faults, at a quarter, a half and three quarters of the run (30, 60 and 90 s):
- ``rasa-1`` killed with SIGKILL, restarted with ``scripts/cluster_node.sh rasa-1`` (the same
  command, port and pid file) once HAProxy has marked it down;
- ``actions-1`` the same;
- PostgreSQL restarted (``pg_ctlcluster --skip-systemctl-redirect VERSION main restart``,
  fast shutdown). This machine's PostgreSQL is shared: it is started again at the end
  whatever happened.

Then it reads the stored events of every conversation and prints and saves
reports/failover/failover.json: messages sent, answered, answered only by the safety net;
errors; events lost (a stored user message with no stored bot reply after it, or a message
answered by the bot, not by the safety net, whose id was never stored) and doubled (one
message id stored twice); p95 inside and outside the fault windows; and per fault, how soon the
patients were served again and the part was back.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import sqlalchemy as sa

from .cluster import REPORTS, cluster, server_status
from .servers import ROOT, throwaway_database
from .vignettes import load as load_vignettes

OUT_DIR = REPORTS / "failover"
GOALS = {"unanswered": 0, "lost": 0, "doubled": 0, "recovery_s_max": 5.0}
#: HAProxy's answers when no server could take a request: retried like a lost connection.
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass
class Turn:
    """One patient message, with its retry if it needed one."""

    sender: str
    message_id: str
    start: float  # seconds since the load began
    end: float = 0.0
    attempts: int = 0
    status: int | None = None  # of the last attempt
    first_failure: str | None = None  # why the first attempt was retried
    error: str | None = None  # no answer after the retry
    safety_net_only: bool = False
    replies: int = 0

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def answered(self) -> bool:
        return self.error is None and self.status == 200 and self.replies > 0

    @property
    def normal(self) -> bool:
        """Answered by the bot on the first attempt, not by the safety net."""
        return self.answered and self.attempts == 1 and not self.safety_net_only


@dataclass
class Fault:
    name: str  # rasa-1, actions-1 or postgresql
    at: float  # when it happened (seconds since the load began)
    marked_down: float | None = None  # HAProxy took the server out (killed nodes)
    restarted: float | None = None  # the restart command was issued
    back: float | None = None  # HAProxy UP again, or PostgreSQL accepting connections
    detail: dict[str, Any] = field(default_factory=dict)


def conversations() -> list[tuple[str, ...]]:
    """The tuning vignettes' turns: real patients' ways of telling their symptoms and answering
    the form, button payloads included."""
    return [v.turns for v in load_vignettes()]


def patient_address(n: int) -> str:
    return f"10.{77 + n // 62500}.{n // 250 % 250}.{n % 250 + 1}"


def _is_safety_net_only(messages: Any) -> bool:
    return bool(messages) and all(
        isinstance(m, dict) and (m.get("custom") or {}).get("safety_net") for m in messages
    )


async def _post(
    session: Any, url: str, body: dict, headers: dict, timeout: float, fresh: bool = False
) -> Any:
    """(status, json or None) or raises; ``fresh``: over a new connection, closed after."""
    import aiohttp

    if fresh:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as own:
            return await _post(own, url, body, headers, timeout)
    async with session.post(
        url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as response:
        data = await response.json(content_type=None) if response.status == 200 else None
        if response.status != 200:
            await response.read()
        return response.status, data


async def send(
    session: Any,
    url: str,
    sender: str,
    text: str,
    address: str,
    t0: float,
    timeout: float,
) -> Turn:
    turn = Turn(sender, uuid.uuid4().hex, time.perf_counter() - t0)
    body = {"sender": sender, "message": text, "message_id": turn.message_id}
    headers = {"X-Forwarded-For": address}
    for attempt in (1, 2):
        turn.attempts = attempt
        failure: str | None
        try:
            # The retry goes over a new connection, as a browser's does: a kept-alive one may
            # be one HAProxy has just closed (it closes a client's connection when that
            # client's request died with its server).
            status, data = await _post(
                session,
                f"{url}/webhooks/rest/webhook",
                body,
                headers if attempt == 1 else {**headers, "Connection": "close"},
                timeout,
                fresh=attempt == 2,
            )
            turn.status = status
            if status == 200:
                turn.replies = len(data or [])
                turn.safety_net_only = _is_safety_net_only(data)
                turn.error = None
                break
            failure = f"HTTP {status}"
            if status not in RETRY_STATUSES:
                turn.error = failure
                break
        except asyncio.TimeoutError:
            failure = "timeout"
        except Exception as error:  # noqa: BLE001 - every failure is counted, by type
            failure = type(error).__name__
        turn.error = failure
        if attempt == 1:
            turn.first_failure = failure
    turn.end = time.perf_counter() - t0
    return turn


async def load(
    url: str,
    patients: int,
    seconds: float,
    think: tuple[float, float],
    timeout: float,
    t0: float,
    turns: list[Turn],
) -> None:
    import aiohttp

    scripts = conversations()
    rng = random.Random(11)
    order = list(range(len(scripts)))
    rng.shuffle(order)
    deadline = t0 + seconds
    # Idle connections are dropped before HAProxy's 10 s keep-alive timeout closes them (a
    # browser does the same); otherwise a request sent as HAProxy closes is a client artefact.
    connector = aiohttp.TCPConnector(limit=patients + 10, keepalive_timeout=5)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def patient(n: int) -> None:
            await asyncio.sleep(rng.uniform(0, min(5.0, seconds / 10)))  # not all at once
            k = n
            while time.perf_counter() < deadline:
                script = scripts[order[k % len(order)]]
                k += patients
                sender = f"failover-{n}-{uuid.uuid4().hex[:10]}"
                for text in script:
                    if time.perf_counter() >= deadline:
                        return
                    turns.append(
                        await send(session, url, sender, text, patient_address(n), t0, timeout)
                    )
                    await asyncio.sleep(rng.uniform(*think))

        await asyncio.gather(*(patient(n) for n in range(patients)))


# ---------------------------------------------------------------- faults


def postgres_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def postgres_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-t", "1"], check=False
        ).returncode
        == 0
    )


def pg_ctl(action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            "-m",
            "fast",
            postgres_version(),
            "main",
            action,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ensure_postgres_running() -> None:
    """This machine's PostgreSQL is shared: whatever happened, it runs again afterwards."""
    for _ in range(3):
        if postgres_ready():
            return
        pg_ctl("start")
        for _ in range(30):
            if postgres_ready():
                return
            time.sleep(0.5)


class States:
    """HAProxy's view of each server, polled every 0.1 s: (seconds since t0, states)."""

    def __init__(self, workdir: Path, t0: float) -> None:
        self.workdir = workdir
        self.t0 = t0
        self.samples: list[tuple[float, dict[str, str]]] = []
        self.stopped = False

    async def run(self) -> None:
        while not self.stopped:
            try:
                states = await asyncio.to_thread(server_status, self.workdir)
                self.samples.append((time.perf_counter() - self.t0, states))
            except OSError:
                pass
            await asyncio.sleep(0.1)

    def first(self, server: str, prefix: str, after: float) -> float | None:
        for t, states in self.samples:
            if t >= after and states.get(server, "").startswith(prefix):
                return t
        return None

    async def wait(self, server: str, prefix: str, after: float, limit: float) -> float | None:
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            found = self.first(server, prefix, after)
            if found is not None:
                return found
            await asyncio.sleep(0.1)
        return None


def restart_node(name: str, env: dict[str, str]) -> subprocess.Popen:
    """The node's own start command (scripts/cluster_node.sh: same port, same pid file)."""
    return subprocess.Popen(
        [str(ROOT / "scripts" / "cluster_node.sh"), name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def kill_node(
    fault: Fault, backend: str, workdir: Path, env: dict[str, str], t0: float, states: States
) -> None:
    pid = int((workdir / f"{fault.name}.pid").read_text())
    fault.at = time.perf_counter() - t0
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        fault.detail["note"] = "the process had already exited"
    server = f"{backend}/{fault.name}"
    fault.marked_down = await states.wait(server, "DOWN", fault.at, 20)
    fault.restarted = time.perf_counter() - t0
    restart_node(fault.name, env)


async def wait_back(fault: Fault, backend: str, states: States, limit: float) -> None:
    if fault.restarted is None:
        return
    fault.back = await states.wait(f"{backend}/{fault.name}", "UP", fault.restarted, limit)


async def restart_postgres(fault: Fault, t0: float) -> None:
    fault.at = time.perf_counter() - t0
    done = await asyncio.to_thread(pg_ctl, "restart")
    fault.restarted = time.perf_counter() - t0
    fault.detail["pg_ctlcluster_exit"] = done.returncode
    while not await asyncio.to_thread(postgres_ready):
        if time.perf_counter() - t0 - fault.at > 60:
            break
        await asyncio.sleep(0.05)
    else:
        fault.back = time.perf_counter() - t0


async def all_up(workdir: Path, limit: float = 60) -> None:
    """Every server of the cluster in service before the run starts (scripts/cluster.sh waits
    for the Rasa servers only; an action server whose free port was taken in between never
    comes up, and the run would measure that instead)."""
    deadline = time.perf_counter() + limit
    while True:
        states = await asyncio.to_thread(server_status, workdir)
        if states and all(state.startswith("UP") for state in states.values()):
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the cluster's servers are not all up: {states}")
        await asyncio.sleep(0.5)


BACKENDS = {"rasa-1": "rasa_rest", "actions-1": "actions"}
#: Each fault and when it happens, as a share of the run: 30, 60 and 90 s of two minutes.
SCHEDULE = (("rasa-1", 0.25), ("actions-1", 0.5), ("postgresql", 0.75))
FAULTS = tuple(name for name, _ in SCHEDULE)


async def scenario(
    running: dict[str, Any],
    patients: int,
    seconds: float,
    think: tuple[float, float],
    timeout: float,
    turns: list[Turn],
    chosen: Sequence[str] = FAULTS,
) -> tuple[list[Fault], States]:
    workdir: Path = running["dir"]
    await all_up(workdir)
    t0 = time.perf_counter()
    states = States(workdir, t0)
    poller = asyncio.create_task(states.run())
    traffic = asyncio.create_task(
        load(running["url"], patients, seconds, think, timeout, t0, turns)
    )
    faults: list[Fault] = []
    try:
        for name, share in SCHEDULE:
            if name not in chosen:
                continue
            await asyncio.sleep(max(0.0, t0 + share * seconds - time.perf_counter()))
            fault = Fault(name, 0.0)
            faults.append(fault)
            if name == "postgresql":
                await restart_postgres(fault, t0)
            else:
                await kill_node(fault, BACKENDS[name], workdir, running["env"], t0, states)
        await traffic
        for fault in faults:  # a restarted Rasa server loads its model: give it time
            if fault.name in BACKENDS:
                await wait_back(fault, BACKENDS[fault.name], states, 240)
    finally:
        states.stopped = True
        await poller
        if not traffic.done():
            traffic.cancel()
    return faults, states


# ---------------------------------------------------------------- what was stored


def stored_user_events(db_url: str) -> dict[str, list[tuple[str | None, bool]]]:
    """Per conversation, its user events in order: (message id, answered), where answered
    means a bot event follows before the next user event. Never reads the text."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select sender_id, type_name, data from events "
                    "where sender_id like 'failover-%' order by sender_id, id"
                )
            ).all()
    finally:
        engine.dispose()
    out: dict[str, list[tuple[str | None, bool]]] = {}
    for sender, kind, data in rows:
        events = out.setdefault(sender, [])
        if kind == "user":
            events.append((json.loads(data).get("message_id"), False))
        elif kind == "bot" and events:
            events[-1] = (events[-1][0], True)
    return out


def check_store(db_url: str, turns: list[Turn]) -> dict[str, Any]:
    stored = stored_user_events(db_url)
    ids: dict[str, int] = {}
    unanswered_stored = 0
    for events in stored.values():
        for mid, answered in events:
            ids[mid or ""] = ids.get(mid or "", 0) + 1
            if not answered:
                unanswered_stored += 1
    doubled_ids = {mid for mid, n in ids.items() if mid and n > 1}
    doubled = len(doubled_ids)
    bot_answer_not_stored = sum(
        1 for t in turns if t.answered and not t.safety_net_only and t.message_id not in ids
    )
    safety_net_not_stored = sum(
        1 for t in turns if t.answered and t.safety_net_only and t.message_id not in ids
    )
    safety_net_but_stored = sum(
        1 for t in turns if t.answered and t.safety_net_only and t.message_id in ids
    )
    return {
        "stored_user_messages": sum(ids.values()),
        "stored_user_message_without_reply": unanswered_stored,
        "bot_answer_not_stored": bot_answer_not_stored,
        "lost": unanswered_stored + bot_answer_not_stored,
        "doubled": doubled,
        "safety_net_answer_message_not_stored": safety_net_not_stored,
        "safety_net_answer_but_stored_with_reply": safety_net_but_stored,
        # How each doubled message was sent: its attempts, and why it was retried.
        "doubled_messages": [
            {
                "start_s": round(t.start, 2),
                "end_s": round(t.end, 2),
                "attempts": t.attempts,
                "first_failure": t.first_failure,
                "error": t.error,
            }
            for t in turns
            if t.message_id in doubled_ids
        ],
        "stored_message_ids_not_sent": sum(
            1 for mid in ids if mid not in {t.message_id for t in turns}
        ),
    }


# ---------------------------------------------------------------- figures


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    data = sorted(values)
    k = 0.95 * (len(data) - 1)
    lo, hi = int(k), min(int(k) + 1, len(data) - 1)
    return round(data[lo] + (data[hi] - data[lo]) * (k - lo), 3)


def affected(turn: Turn, start: float, end: float) -> bool:
    """A message the fault touched: in flight at the fault or sent before ``end``, and not
    answered normally (failed, retried, or only the safety net)."""
    return not turn.normal and turn.end > start and turn.start < end


def recovery(faults: list[Fault], turns: list[Turn], seconds: float) -> list[dict[str, Any]]:
    out = []
    for i, fault in enumerate(faults):
        until = faults[i + 1].at if i + 1 < len(faults) else seconds
        hit = [t for t in turns if affected(t, fault.at, until)]
        served = [t for t in turns if t.start >= fault.at and t.normal]
        recovered = max((t.end for t in hit), default=fault.at) - fault.at
        back = fault.back
        window_end = max(fault.at + recovered, back if back is not None else fault.at)
        out.append(
            {
                "fault": fault.name,
                "at_s": round(fault.at, 2),
                "messages_affected": len(hit),
                "affected_how": _kinds(hit),
                "recovered_after_s": round(recovered, 2),
                "first_normal_answer_after_s": round(served[0].end - fault.at, 2)
                if served
                else None,
                "marked_down_after_s": _rel(fault.marked_down, fault.at),
                "restarted_after_s": _rel(fault.restarted, fault.at),
                "back_after_s": _rel(back, fault.at),
                "window_s": [round(fault.at, 2), round(window_end, 2)],
                **fault.detail,
            }
        )
    return out


def _rel(t: float | None, at: float) -> float | None:
    return None if t is None else round(t - at, 2)


def _kinds(turns: list[Turn]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for t in turns:
        if t.error:
            key = f"unanswered: {t.error}"
        elif t.first_failure:
            key = f"answered on the retry after: {t.first_failure}"
        else:
            key = "answered only by the safety net"
        if t.safety_net_only and t.first_failure:
            key += " (safety net)"
        kinds[key] = kinds.get(key, 0) + 1
    return kinds


def summarise(
    turns: list[Turn],
    faults: list[Fault],
    stored: dict[str, Any],
    patients: int,
    seconds: float,
    think: tuple[float, float],
    timeout: float,
    start_seconds: float,
) -> dict[str, Any]:
    faults_out = recovery(faults, turns, seconds)
    windows = [tuple(f["window_s"]) for f in faults_out]

    def inside(t: Turn) -> bool:
        return any(a <= t.start <= b for a, b in windows)

    answered = [t for t in turns if t.answered]
    latencies_in = [t.latency for t in answered if inside(t)]
    latencies_out = [t.latency for t in answered if not inside(t)]
    errors: dict[str, int] = {}
    for t in turns:
        if t.error:
            errors[t.error] = errors.get(t.error, 0) + 1
    retried: dict[str, int] = {}
    for t in turns:
        if t.first_failure:
            retried[t.first_failure] = retried.get(t.first_failure, 0) + 1
    worst_recovery = max((f["recovered_after_s"] for f in faults_out), default=0.0)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, shared (load average at the end: "
        f"{os.getloadavg()[0]:.1f})",
        "settings": {
            "patients": patients,
            "seconds": seconds,
            "think_s": list(think),
            "timeout_s": timeout,
            "retries": 1,
            "faults": [f.name for f in faults],
            "cluster_start_s": start_seconds,
        },
        "messages_sent": len(turns),
        "answered": len(answered),
        "answered_only_by_the_safety_net": sum(1 for t in answered if t.safety_net_only),
        "unanswered": len(turns) - len(answered),
        "errors": errors,
        "retried": retried,
        "answered_on_the_retry": sum(1 for t in answered if t.attempts == 2),
        **stored,
        "p95_s": {
            "outside_fault_windows": p95(latencies_out),
            "inside_fault_windows": p95(latencies_in),
            "messages_outside": len(latencies_out),
            "messages_inside": len(latencies_in),
            **{
                f"window {f['fault']}": p95(
                    [t.latency for t in answered if f["window_s"][0] <= t.start <= f["window_s"][1]]
                )
                for f in faults_out
            },
        },
        "median_s": round(statistics.median(t.latency for t in answered), 3) if answered else None,
        "faults": faults_out,
    }
    report["goals"] = {
        "0 unanswered": report["unanswered"] == GOALS["unanswered"],
        "0 lost": stored["lost"] == GOALS["lost"],
        "0 doubled": stored["doubled"] == GOALS["doubled"],
        "recovery under 5 s after each fault": worst_recovery < GOALS["recovery_s_max"],
    }
    return report


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Failover run {report['date']} ({report['machine']}): "
        f"{report['settings']['patients']} patients, {report['settings']['seconds']:.0f} s",
        f"  messages sent {report['messages_sent']}, answered {report['answered']} "
        f"(only the safety net: {report['answered_only_by_the_safety_net']}; on the retry: "
        f"{report['answered_on_the_retry']}), unanswered {report['unanswered']}",
        f"  errors {report['errors'] or 0}, retried {report['retried'] or 0}",
        f"  events lost {report['lost']} (stored without a reply "
        f"{report['stored_user_message_without_reply']}, bot answer not stored "
        f"{report['bot_answer_not_stored']}), doubled {report['doubled']}",
        f"  p95 outside the fault windows {report['p95_s']['outside_fault_windows']} s, inside "
        f"{report['p95_s']['inside_fault_windows']} s; median {report['median_s']} s",
    ]
    for f in report["faults"]:
        lines.append(
            f"  {f['fault']} at {f['at_s']} s: recovered after {f['recovered_after_s']} s "
            f"({f['messages_affected']} messages affected: {f['affected_how'] or 'none'}); "
            f"down {f['marked_down_after_s']} s, restarted {f['restarted_after_s']} s, "
            f"back {f['back_after_s']} s"
        )
    lines.append(
        "  goals: "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in report["goals"].items())
    )
    return "\n".join(lines)


def run(
    patients: int = 50,
    seconds: float = 120,
    think: tuple[float, float] = (1.0, 3.0),
    timeout: float = 20,
    faults: Sequence[str] = FAULTS,
) -> dict[str, Any]:
    workdir = ROOT / "var" / f"eval-failover-{uuid.uuid4().hex[:6]}"
    turns: list[Turn] = []
    # A run with fewer faults (a smoke run) never overwrites the full run's figures.
    name = "failover" if tuple(faults) == FAULTS else "failover-partial"
    report: dict[str, Any] = {}
    try:
        with throwaway_database("triage_eval_failover") as database:
            db_url = f"postgresql://postgres@127.0.0.1:5432/{database}"
            with cluster(workdir, database) as running:
                happened, _ = asyncio.run(
                    scenario(running, patients, seconds, think, timeout, turns, faults)
                )
            ensure_postgres_running()
            stored = check_store(db_url, turns)
            report = summarise(
                turns,
                happened,
                stored,
                patients,
                seconds,
                think,
                timeout,
                running["start_seconds"],
            )
            # Saved before the database is dropped: the figures survive a failure there.
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            (OUT_DIR / f"{name}.json").write_text(json.dumps(report, indent=2))
            (OUT_DIR / f"{name}-messages.json").write_text(
                json.dumps([_turn_row(t) for t in turns])
            )
    finally:
        ensure_postgres_running()
    report["saved"] = str(OUT_DIR / f"{name}.json")
    report["logs"] = str(workdir)
    return report


def _turn_row(turn: Turn) -> dict[str, Any]:
    """A message's timing and outcome for reading a run: no text, only ids and figures."""
    row = asdict(turn)
    row["start"], row["end"] = round(turn.start, 3), round(turn.end, 3)
    return row


def main(
    patients: int = 50,
    seconds: float = 120,
    think: tuple[float, float] = (1.0, 3.0),
    timeout: float = 20,
    faults: Sequence[str] = FAULTS,
) -> int:
    report = run(patients, seconds, think, timeout, faults)
    print(render(report))
    print(f"saved {report['saved']}")
    return 0 if all(report["goals"].values()) else 1
