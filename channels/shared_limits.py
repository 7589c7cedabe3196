"""Rate-limit buckets in Redis, shared by every Rasa server of a deployment.

The channels' token buckets (channels/guard.py ``RateLimiter``) live in each server's memory.
Behind a round-robin load balancer (``make cluster``: REST goes to each Rasa server in turn) a
conversation or a client address then got N times its limit with N servers. When the
deployment has Redis (its lock store is ``store.lock_store.FencedRedisLockStore`` or Rasa's
``redis`` lock store, as in endpoints.postgresql.yml), the buckets are kept there instead:

- one Redis hash per bucket (``<prefix>:rate:<channel>:<kind>:<digest>``, where the digest is
  the first 24 hex digits of the SHA-256 of the conversation id or address: no patient
  identifier, phone number or address is written to Redis), holding its tokens and when they
  were counted;
- taken by one Lua script, so two servers cannot both take the last token: it refills the
  bucket by the time passed on **Redis's clock** (the servers' clocks never meet), takes a
  token if there is one, and lets the key expire once the bucket would be full again (a
  missing bucket is a full one), so Redis holds only buckets in use;
- the same arithmetic as ``RateLimiter``: ``burst`` tokens at most, ``per_minute`` refilled,
  and the whole seconds until the next token as ``Retry-After``.

**Fail open, never fail a patient's message.** With no Redis in the deployment (``make run``'s
embedded default: SQLite and Rasa's in-memory lock store), or when Redis does not answer
within ``TIMEOUT_S`` (a connection refused, a reset, a timeout, an error of any kind), the
message is checked against the server's own in-process buckets instead, as before, and Redis
is not asked again for ``RETRY_S`` (so an outage adds at most one short wait every few
seconds, not one per message). One warning per outage, naming the error's type only.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any, List, Sequence, Tuple

import redis.asyncio as aioredis

from common.log_context import get_logger

from .guard import Rate

logger = get_logger(__name__)

#: How long one Redis round trip may take before the message falls back to this server's own
#: buckets (a loopback or LAN round trip takes well under a millisecond).
TIMEOUT_S = 0.25
#: How long Redis is left alone after it failed to answer.
RETRY_S = 5.0

# KEYS: the buckets, in order. ARGV: burst and tokens per second of each. Takes a token from
# each bucket in turn and stops at the first that has none: returns {1, 0} when every bucket gave
# one, else {0, seconds until that bucket has one}. A missing key is a full bucket. Numbers go
# to Redis as strings (Lua numbers returned to Redis would be cut to integers).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i - 1])
  local per_s = tonumber(ARGV[2 * i])
  local stored = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(stored[1]) or burst
  local at = tonumber(stored[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * per_s)
  local taken = tokens >= 1
  if taken then
    tokens = tokens - 1
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) / per_s * 1000) + 1000)
  if not taken then
    return {0, math.max(1, math.ceil((1 - tokens) / per_s))}
  end
end
return {1, 0}
"""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


class SharedBuckets:
    """Token buckets in one Redis database; ``take`` answers None when Redis cannot."""

    def __init__(self, red: aioredis.Redis, prefix: str = "triage") -> None:
        self.red = red
        self.prefix = f"{prefix}:rate:"
        self._take = red.register_script(_TAKE)
        self._down_until = 0.0
        self._failing = False

    @classmethod
    def from_lock_store(cls, lock_store: Any) -> SharedBuckets | None:
        """Buckets in the Redis of the deployment's lock store (ours or Rasa's ``redis``),
        through a connection of their own with a short timeout; None without Redis."""
        client = getattr(lock_store, "red", None)
        pool = getattr(client, "connection_pool", None)
        kwargs = getattr(pool, "connection_kwargs", None)
        if not isinstance(kwargs, dict) or "host" not in kwargs:
            return None
        ssl = "SSL" in getattr(pool, "connection_class", type).__name__
        red = aioredis.Redis(
            host=kwargs["host"],
            port=int(kwargs.get("port", 6379)),
            db=int(kwargs.get("db", 0)),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            ssl=ssl,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
        )
        prefix = getattr(lock_store, "lock_prefix", "triage:lock:").rsplit(":lock:", 1)[0]
        return cls(red, prefix or "triage")

    async def take(self, buckets: Sequence[Tuple[str, str, Rate]]) -> Tuple[bool, int] | None:
        """A token from each bucket (space, key, rate) in turn, in one round trip, stopping at
        the first that has none: (True, 0) when all gave one, else (False, seconds until that
        one has a token); None when Redis did not answer (the caller uses its own buckets)."""
        if time.monotonic() < self._down_until:
            return None
        args: List[Any] = []
        for _, _, rate in buckets:
            args += [rate.burst, rate.per_minute / 60.0]
        # Its own task, shielded (store/lock_store.py _uncancelled): a command cut in the middle
        # by a cancelled request could leave its pooled connection out of step with Redis.
        command = asyncio.ensure_future(
            self._take(
                keys=[f"{self.prefix}{space}:{digest(key)}" for space, key, _ in buckets],
                args=args,
            )
        )
        command.add_done_callback(_consume)
        try:
            taken, wait = await asyncio.wait_for(asyncio.shield(command), TIMEOUT_S * 2)
        except Exception as error:  # noqa: BLE001 - any failure: fall back, never refuse
            if not self._failing:
                logger.warning(
                    "Redis did not answer for the rate limits (%s): this server's own limits "
                    "apply until it does.",
                    type(error).__name__,
                )
            self._failing = True
            self._down_until = time.monotonic() + RETRY_S
            return None
        if self._failing:
            logger.info("Redis answers again: the rate limits are shared again.")
            self._failing = False
        return bool(taken), int(wait)

    async def close(self) -> None:
        close = getattr(self.red, "aclose", None) or self.red.close
        await close()


def _consume(task: asyncio.Future) -> None:
    """Retrieves a finished command's error (one the caller stopped waiting for)."""
    if not task.cancelled():
        task.exception()
