"""Many messages for one conversation at once, from several processes, through the real lock
store and the real tracker store on PostgreSQL and Redis; then a check that the stored events
are those of one message after another.

Each worker process builds the stores the Rasa server builds (``store.lock_store`` or Rasa's
own ``RedisLockStore`` with ``--lock stock``, and ``store.tracker_store.TriageTrackerStore``)
and handles its messages the way ``Agent.handle_message`` does: hold the conversation's lock,
load the tracker, start the session if it is new, add the user message, think for a few
milliseconds, add the reply, save. Used by tests/test_lock.py (fenced, 100 messages, seconds)
and by ``python -m eval lock`` (either lock store, with the figures).

``check_sequential`` is also what tests/test_cluster.py applies to two real Rasa servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    """What the stored events say, and what is wrong with them (``problems`` empty: sequential)."""

    users: int = 0
    problems: list[str] = field(default_factory=list)


def stored_events(db_url: str, sender: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("select data from events where sender_id = :s order by id"), {"s": sender}
            ).all()
    finally:
        engine.dispose()
    return [json.loads(data) for (data,) in rows]


def check_sequential(events: list[dict[str, Any]], texts: list[str]) -> Outcome:
    """The events are those of some sequential order of the messages ``texts``: one session
    start, each message exactly once, each followed by at least one bot reply and then by
    ``action_listen`` before the next message, and times that never go back (a message handled
    while another was in flight would interleave its times with the other's)."""
    out = Outcome()
    starts = [e for e in events if e.get("event") == "session_started"]
    if len(starts) != 1:
        out.problems.append(f"{len(starts)} session starts")
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    out.users = len(users)
    seen: dict[str, int] = {}
    for i in users:
        seen[events[i].get("text") or ""] = seen.get(events[i].get("text") or "", 0) + 1
    doubled = sorted(t for t, n in seen.items() if n > 1)
    missing = sorted(set(texts) - set(seen))
    extra = sorted(set(seen) - set(texts))
    if doubled:
        out.problems.append(f"{len(doubled)} messages stored more than once: {doubled[:3]}")
    if missing:
        out.problems.append(f"{len(missing)} messages missing: {missing[:3]}")
    if extra:
        out.problems.append(f"{len(extra)} unexpected messages: {extra[:3]}")
    for n, start in enumerate(users):
        end = users[n + 1] if n + 1 < len(users) else len(events)
        turn = events[start + 1 : end]
        if not any(e.get("event") == "bot" for e in turn):
            out.problems.append(f"message {events[start].get('text')!r} has no bot reply")
        if not turn or turn[-1].get("event") != "action" or turn[-1].get("name") != "action_listen":
            out.problems.append(f"message {events[start].get('text')!r} does not end listening")
    times = [e.get("timestamp") or 0 for e in events]
    back = sum(1 for a, b in zip(times, times[1:], strict=False) if b < a)
    if back:
        out.problems.append(f"time goes back {back} times (turns interleaved)")
    return out


# The worker: one process, like one Rasa server.


def _stores(args: argparse.Namespace) -> tuple[Any, Any]:
    from rasa.core.lock_store import RedisLockStore
    from rasa.shared.core.domain import Domain

    from store.lock_store import FencedRedisLockStore
    from store.tracker_store import TriageTrackerStore

    url = sa.engine.make_url(args.db)
    tracker_store = TriageTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")),
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password=url.password or "",
    )
    lock_store: Any
    if args.lock == "stock":
        lock_store = RedisLockStore(port=args.redis_port, db=args.redis_db, key_prefix=args.prefix)
    else:
        lock_store = FencedRedisLockStore(
            port=args.redis_port, db=args.redis_db, key_prefix=args.prefix
        )
    return tracker_store, lock_store


async def _handle(tracker_store: Any, lock_store: Any, sender: str, text: str) -> str:
    """One message, as Agent.handle_message and MessageProcessor.handle_message do it."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    from store.tracker_store import StaleConversationWrite

    async with lock_store.lock(sender):
        tracker = await tracker_store.get_or_create_tracker(sender, append_action_listen=False)
        if not tracker.events:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text))
        await asyncio.sleep(random.uniform(0.002, 0.01))  # NLU, policies, the action server
        tracker.update(ActionExecuted("action_reply"))
        tracker.update(BotUttered(f"reply to {text}"))
        tracker.update(ActionExecuted("action_listen"))
        try:
            await tracker_store.save(tracker)
        except StaleConversationWrite:
            return "refused"
    return "saved"


async def _work(args: argparse.Namespace) -> dict[str, Any]:
    tracker_store, lock_store = _stores(args)
    texts = [f"message {i}" for i in args.messages.split(",")]
    await asyncio.sleep(max(0.0, args.start_at - time.time()))
    started = time.perf_counter()
    results = await asyncio.gather(
        *(_handle(tracker_store, lock_store, args.sender, t) for t in texts), return_exceptions=True
    )
    kinds = [r if isinstance(r, str) else type(r).__name__ for r in results]
    return {
        "seconds": round(time.perf_counter() - started, 2),
        **{k: kinds.count(k) for k in sorted(set(kinds))},
    }


def run_race(
    db_url: str,
    sender: str,
    messages: int = 100,
    processes: int = 2,
    lock: str = "fenced",
    redis_db: int = 7,
    prefix: str = "triagerace",
    timeout: float = 300,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Starts ``processes`` workers that send ``messages`` in all, at the same moment; returns
    each worker's counts and the message texts."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    start_at = time.time() + 4  # after every worker has imported Rasa and loaded the domain
    numbers = list(range(messages))
    procs = []
    for p in range(processes):
        mine = numbers[p::processes]
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "eval.lock_race",
                    "--db",
                    db_url,
                    "--sender",
                    sender,
                    "--messages",
                    ",".join(map(str, mine)),
                    "--lock",
                    lock,
                    "--redis-db",
                    str(redis_db),
                    "--prefix",
                    prefix,
                    "--start-at",
                    str(start_at),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    reports = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"worker failed ({proc.returncode}):\n{err[-3000:]}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:  # a timeout or a failed worker: stop the others
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return reports, [f"message {i}" for i in numbers]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one worker of the lock race (eval/lock_race.py)")
    parser.add_argument("--db", required=True)
    parser.add_argument("--sender", required=True)
    parser.add_argument("--messages", required=True, help="comma-separated message numbers")
    parser.add_argument("--lock", choices=["fenced", "stock"], default="fenced")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--prefix", default="triagerace")
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_work(args))), flush=True)


if __name__ == "__main__":
    main()
