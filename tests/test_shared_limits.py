"""Rate-limit buckets shared by every Rasa server through Redis (channels/shared_limits.py), on
the real Redis (127.0.0.1:6379) and on a throwaway redis-server that the test stops: two
servers' limiters take from one bucket, keys expire and name no patient, and a Redis that is
absent, stopped or unreachable leaves each server its own buckets (the message always goes on).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from types import SimpleNamespace

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore

from channels import shared_limits
from channels.guard import Rate
from channels.handling import Gate
from channels.shared_limits import SharedBuckets, digest
from store.lock_store import FencedRedisLockStore

pytestmark = pytest.mark.redis
REDIS_DB = 7
RATE = Rate(burst=5, per_minute=60)


def _app(lock_store) -> SimpleNamespace:
    """What the channels look in: the Sanic app's Rasa agent and its lock store."""
    return SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(lock_store=lock_store)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gates(prefix: str, port: int = 6379, rate: Rate = RATE) -> list[Gate]:
    """Two servers' REST gates, each finding Redis through its own lock store."""
    gates = []
    for _ in range(2):
        gate = Gate(rate, Rate(0, 0), channel="rest")
        gate.share_buckets(_app(FencedRedisLockStore(port=port, db=REDIS_DB, key_prefix=prefix)))
        assert gate.shared is not None
        gates.append(gate)
    return gates


async def _admit_alternately(gates: list[Gate], sender: str, n: int) -> list:
    return [await gates[i % len(gates)].admit(sender, "10.1.2.3", "hi") for i in range(n)]


def test_two_servers_take_from_one_bucket():
    prefix = f"t{uuid.uuid4().hex[:8]}"

    async def scenario():
        results = await _admit_alternately(_gates(prefix), "conv-1", 7)
        other = await _admit_alternately(_gates(prefix), "conv-2", 1)  # its own bucket
        return results, other

    results, other = asyncio.run(scenario())
    assert results[:5] == [None] * 5
    refused = results[5]
    assert refused is not None and refused.status == 429 and refused.retry_after == 1
    assert refused.message["custom"]["rate_limited"] is True
    assert results[6] is not None and other == [None]
    client = redis.Redis(port=6379, db=REDIS_DB)
    keys = sorted(k.decode() for k in client.keys(f"{prefix}:rate:*"))
    assert keys == sorted(
        f"{prefix}:rate:rest:conversation:{digest(c)}" for c in ("conv-1", "conv-2")
    )
    assert all("conv" not in k.split(":")[-1] for k in keys)  # the id itself is not there
    assert 0 < client.pttl(keys[0]) <= 6_000  # gone once the bucket would be full again
    client.delete(*keys)


def test_the_bucket_refills_on_redis_clock():
    prefix = f"t{uuid.uuid4().hex[:8]}"
    fast = Rate(burst=2, per_minute=120)  # a token every 0.5 s

    async def scenario():
        buckets = [SharedBuckets(redis.asyncio.Redis(port=6379, db=REDIS_DB), prefix)] * 2
        one = [("rest:conversation", "c", fast)]
        taken = [await buckets[i % 2].take(one) for i in range(3)]
        await asyncio.sleep(0.6)
        taken.append(await buckets[0].take(one))
        return taken

    assert asyncio.run(scenario()) == [(True, 0), (True, 0), (False, 1), (True, 0)]
    redis.Redis(port=6379, db=REDIS_DB).delete(f"{prefix}:rate:rest:conversation:{digest('c')}")


def test_no_redis_in_the_deployment_keeps_each_servers_own_buckets():
    gate = Gate(RATE, Rate(0, 0))
    gate.share_buckets(SimpleNamespace(ctx=SimpleNamespace()))  # agent not loaded yet
    assert gate.shared is None and not gate._looked_for_shared
    gate.share_buckets(_app(InMemoryLockStore()))  # make run: Rasa's in-memory lock store
    assert gate.shared is None and gate._looked_for_shared
    results = asyncio.run(_admit_alternately([gate], "conv", 6))
    assert results[:5] == [None] * 5 and results[5] is not None


def test_an_unreachable_redis_falls_back_at_once_and_is_left_alone_for_a_while():
    port = _free_port()  # nothing listens there

    async def scenario():
        gates = _gates("unreachable", port=port)
        started = time.monotonic()
        first = await gates[0].admit("conv", "10.1.2.3", "hi")
        first_s = time.monotonic() - started
        started = time.monotonic()
        rest = await _admit_alternately(gates, "conv", 11)
        return first, first_s, rest, (time.monotonic() - started) / 11

    first, first_s, rest, each_s = asyncio.run(scenario())
    assert first is None and first_s < 1.0  # failed open
    assert each_s < 0.05  # not asked again while it is down
    # each server's own buckets: 5 each, so the 11 after the first get 4 + 5 through
    assert rest.count(None) == 9 and rest[-1] is not None


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_a_stopped_redis_falls_back_and_a_restarted_one_is_shared_again(tmp_path, monkeypatch):
    monkeypatch.setattr(shared_limits, "RETRY_S", 0.3)
    port = _free_port()

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=port).ping():
                    return proc
            except redis.ConnectionError:
                time.sleep(0.05)
        proc.kill()
        raise RuntimeError("redis-server did not start")

    server = start()
    try:

        async def scenario():
            gates = _gates("stopped", port=port, rate=Rate(burst=3, per_minute=60))
            shared = await _admit_alternately(gates, "conv", 4)
            server.terminate()
            server.wait(timeout=10)
            alone = await _admit_alternately(gates, "conv", 2)  # each server's own bucket
            return gates, shared, alone

        gates, shared, alone = asyncio.run(scenario())
        assert shared[:3] == [None] * 3 and shared[3] is not None
        assert alone == [None, None]
        server = start()  # empty: every bucket full again

        async def back():
            await asyncio.sleep(0.4)
            return await _admit_alternately(gates, "conv-after", 4)

        again = asyncio.run(back())
        assert again[:3] == [None] * 3 and again[3] is not None  # one bucket again
        assert redis.Redis(port=port, db=REDIS_DB).keys("stopped:rate:*")
    finally:
        server.kill()
        server.wait(timeout=10)


def test_both_buckets_in_one_round_trip_in_order():
    """The address's bucket first, then the conversation's, as the in-process gate does: a
    refused address leaves the conversation's bucket untouched."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    store = FencedRedisLockStore(port=6379, db=REDIS_DB, key_prefix=prefix)
    gate = Gate(Rate(burst=3, per_minute=60), Rate(burst=2, per_minute=60), channel="rest")
    gate.share_buckets(_app(store))

    async def scenario():
        return [await gate.admit(f"conv-{n}", "10.9.9.9", "hi") for n in range(3)]

    results = asyncio.run(scenario())
    assert results[:2] == [None, None] and results[2] is not None
    client = redis.Redis(port=6379, db=REDIS_DB)
    keys = {k.decode() for k in client.keys(f"{prefix}:rate:*")}
    conversation = f"{prefix}:rate:rest:conversation:"
    assert keys == {f"{prefix}:rate:rest:address:{digest('ip:10.9.9.9')}"} | {
        conversation + digest(f"conv-{n}") for n in range(2)
    }
    client.delete(*keys)
