"""Another patient's reply time while long-message floods are in flight (issue 14, finding 3).

    python -m eval flood [--floods 10] [--seconds 30] [--bot-url URL]

Starts the real bot (SQLite, as `make run`) unless --bot-url is given, then:
1. baseline: one patient's conversations, message after message, alone;
2. under flood: the same patient while ``--floods`` clients each send 20,000-character
   messages back to back, each into a conversation of its own and from an address of its own
   (X-Forwarded-For, which the bot started here believes from loopback, as behind the clinic's
   proxy), as the security probe did.
Prints and saves (reports/flood/flood.json) the patient's p50/p95 in both phases, and how many
flood messages were answered, refused (429) or failed. The goal: p95 under flood < 0.5 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "reports" / "flood"
PATIENT = ["hello", "I'm 20 weeks", "I have pressure down below", "no contractions", "thanks"]
GOAL_P95_S = 0.5


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


async def _patient(client: httpx.AsyncClient, url: str, until: float, out: list[float]) -> None:
    while time.monotonic() < until:
        sender = f"patient-{uuid.uuid4().hex[:10]}"
        for turn in PATIENT:
            started = time.perf_counter()
            response = await client.post(
                url,
                json={"sender": sender, "message": turn},
                headers={"X-Forwarded-For": "192.0.2.1"},
            )
            out.append(time.perf_counter() - started)
            response.raise_for_status()
            await asyncio.sleep(0.2)  # a patient reads before typing again


async def _flood(
    client: httpx.AsyncClient, url: str, until: float, n: int, counts: dict[str, int]
) -> None:
    sender = f"flood-{n}-{uuid.uuid4().hex[:8]}"
    text = ("I have pressure and some spotting " * 600)[:20_000]
    while time.monotonic() < until:
        try:
            response = await client.post(
                url,
                json={"sender": sender, "message": text},
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            )
            key = {200: "answered", 429: "refused_429"}.get(response.status_code, "other_status")
        except httpx.HTTPError:
            key = "failed"
        counts[key] = counts.get(key, 0) + 1


async def measure(bot_url: str, floods: int, seconds: float) -> dict:
    url = f"{bot_url}/webhooks/rest/webhook"
    async with httpx.AsyncClient(timeout=60) as client:
        await client.post(url, json={"sender": "warm-up", "message": "hello"})
        baseline: list[float] = []
        await _patient(client, url, time.monotonic() + seconds / 2, baseline)
        under: list[float] = []
        counts: dict[str, int] = {}
        until = time.monotonic() + seconds
        await asyncio.gather(
            _patient(client, url, until, under),
            *(_flood(client, url, until, n, counts) for n in range(floods)),
        )
    return {
        "floods": floods,
        "seconds": seconds,
        "baseline": {
            "messages": len(baseline),
            "p50_s": _p(baseline, 0.5),
            "p95_s": _p(baseline, 0.95),
        },
        "under_flood": {
            "messages": len(under),
            "p50_s": _p(under, 0.5),
            "p95_s": _p(under, 0.95),
            "max_s": round(max(under), 3) if under else None,
            "mean_s": round(statistics.fmean(under), 3) if under else None,
        },
        "flood_messages": counts,
        "goal_p95_s": GOAL_P95_S,
    }


def main(bot_url: str | None = None, floods: int = 10, seconds: float = 30) -> int:
    bot = None
    if bot_url is None:
        from .servers import start_bot

        os.environ.setdefault("BOT_TRUSTED_PROXIES", "127.0.0.1")
        bot = start_bot(Path(tempfile.mkdtemp(prefix="flood-")))
        bot_url = bot.rasa_url
    try:
        result = asyncio.run(measure(bot_url, floods, seconds))
    finally:
        if bot is not None:
            bot.stop()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "flood.json").write_text(json.dumps(result, indent=2) + "\n")
    b, u = result["baseline"], result["under_flood"]
    print(f"patient alone:       {b['messages']} messages, p50 {b['p50_s']} s, p95 {b['p95_s']} s")
    print(
        f"under {floods} floods:    {u['messages']} messages, p50 {u['p50_s']} s, "
        f"p95 {u['p95_s']} s, max {u['max_s']} s (goal p95 < {GOAL_P95_S} s)"
    )
    print(f"flood messages:      {result['flood_messages']}")
    print(f"saved {OUT_DIR / 'flood.json'}")
    return 0 if u["p95_s"] is not None and u["p95_s"] < GOAL_P95_S else 1
