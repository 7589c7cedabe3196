"""The benchmark's load generator (see eval/bench/__init__.py): simulated users over aiohttp,
each running whole conversations with a new sender id and timing every message; LevelResult
holds one target at one concurrency (one round, or the rounds pooled) and its percentiles."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .targets import Target

LEVEL_DEADLINE_S = 300  # no new conversation starts after this at one level
REQUEST_TIMEOUT_S = 120


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
    # (the bot trusts X-Forwarded-For from loopback in the bench: see run.main), so the bench
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


async def run_level(target: Target, concurrency: int, per_user: int) -> LevelResult:
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


async def warm_up(target: Target, conversations: int = 2) -> None:
    async with _session(1) as session:
        for _ in range(conversations):
            await _conversation(session, target, None)
