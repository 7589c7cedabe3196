"""A per-conversation Redis lock that several Rasa servers can trust, with a fencing token.

Rasa 3.6's ``RedisLockStore`` (``rasa/core/lock_store.py``, targets Rasa 3.6.21) issues a
ticket by reading the conversation's ticket list from Redis, appending to it in Python and
writing it back: two servers that read at the same time both write "their" ticket with the same
number, and both are served at once (the race RasaHQ/rasa PR 11256 fixed in the paid edition
only). Its waiters also poll once a second, so a queue of messages for one conversation moves
at one message a second at best. Two servers holding one conversation at once would each save
"the events after the count I loaded" (``store/tracker_store.py``): overlapping turns.

This lock store replaces it with the standard single-Redis lock, and a fence:

- **acquire**: ``SET lock NX PX lease`` with a random token, in one Lua script that also
  issues a **fencing token**: a number that grows with every acquisition of that conversation
  (Redis's own clock in microseconds, or the last fence + 1 if that is not larger), so it keeps
  growing across a Redis restart that lost every key. Waiters retry with a short, jittered
  back-off (5 to 50 ms) instead of a 1 s poll.
- **lease**: the key lives ``lease_seconds`` (3 s), renewed every third of that (compare-and-
  PEXPIRE in Lua) while its holder works. Rasa's ticket lock lives 60 s, so a server that
  dies holding a conversation blocked that patient's next messages, on the survivor, for up to
  a minute (measured: ``python -m eval cluster --kill`` saw 30 s client timeouts); now for at
  most 3 s (it was 5 s, which put the failover run's recovery after a Rasa kill at 6 to 8 s
  against a goal of 5). A live holder renews every second; one paused for 3 s loses the lock
  and its save is refused by the fence (the patient gets the safety net, nothing is written
  over). Rasa's ``lock_lifetime`` (60 s) is how long a message waits for the lock.
- **release**: compare-and-delete in Lua: a holder whose lock expired never deletes the lock
  that another server now holds.
- **fencing**: the fence of the lock this task holds is put in a context variable (``FENCE``);
  ``TriageTrackerStore.save`` writes only if, in the same database transaction, no save with a
  larger fence has happened for that conversation and no event was stored since this holder
  loaded the conversation. A holder whose lock expired (a pause longer than the lease) is
  refused instead of writing over its successor: nothing of its message is stored (Rasa 3.6
  has sent its replies already as the actions ran; the save comes last).

Configured in ``endpoints.postgresql.yml`` (``lock_store: type: store.lock_store.FencedRedisLockStore``,
with the same ``url``/``port``/``db``/``password``/``key_prefix`` keys as Rasa's ``redis`` type).
Only ``lock()`` is used by Rasa 3.6 (``Agent.handle_message``, reminders and the HTTP API);
the ticket methods of the base class are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncGenerator, Awaitable

import redis.asyncio as aioredis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from common.log_context import get_logger

logger = get_logger(__name__)

DEFAULT_KEY_PREFIX = "triage"
#: How long Redis keeps a conversation's last fence: only to order acquisitions that fall in
#: the same microsecond or across a step back of Redis's clock; the clock orders the rest.
FENCE_KEY_TTL_MS = 24 * 3600 * 1000
MIN_BACKOFF_S = 0.005
DEFAULT_LEASE_S = 3.0
MAX_BACKOFF_S = 0.05

# KEYS: lock, fence; ARGV: token, lifetime ms, fence key ttl ms. Returns the fence or nil.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  local fence = string.format('%.0f', math.max(now, last + 1))
  redis.call('SET', KEYS[2], fence, 'PX', ARGV[3])
  return fence
end
return false
"""
# KEYS: lock; ARGV: token. Deletes the lock only if this token still holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# KEYS: lock; ARGV: token, lease ms. Extends the lock only if this token still holds it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def _uncancelled(command: Awaitable[Any]) -> Awaitable[Any]:
    """A Redis command that runs to its end even if its caller is cancelled.

    Sanic cancels a request's task when the client goes away (a patient's client that timed
    out and retries), at any await. redis-py 4.6's asyncio client cancelled in the middle of
    a command can leave that connection in its pool out of step with the server, and later
    commands on it wait for an answer that already came: measured by ``python -m eval
    failover``, requests hung 20 to 60 s inside the lock's acquire and release (asyncio task
    dumps of the Rasa servers), turning one slow message into many timeouts. Shielded, the
    command finishes and returns its connection clean; the caller still stops at once. A lock
    taken by a cancelled acquire is held by no one and lapses with its lease (3 s)."""
    return asyncio.shield(command)


@dataclass(frozen=True)
class Fence:
    """The lock this task holds: its conversation and its fencing token."""

    conversation_id: str
    token: int


#: Set while a task holds a conversation's lock; read by TriageTrackerStore.save.
FENCE: contextvars.ContextVar[Fence | None] = contextvars.ContextVar("triage_fence", default=None)


def current_fence(conversation_id: str) -> int | None:
    """The fencing token this task holds for ``conversation_id``, if it holds its lock."""
    fence = FENCE.get()
    return fence.token if fence and fence.conversation_id == conversation_id else None


class FencedRedisLockStore(LockStore):
    """One Redis key per conversation lock, released only by its holder, with a fence."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        host: str = "localhost",
        port: int = 6379,
        db: int = 1,
        password: str | None = None,
        username: str | None = None,
        use_ssl: bool = False,
        key_prefix: str | None = None,
        socket_timeout: float = 10,
        lease_seconds: float = DEFAULT_LEASE_S,
    ) -> None:
        if endpoint_config is not None:  # how Rasa creates a lock store of a custom type
            kwargs: dict[str, Any] = dict(endpoint_config.kwargs)
            host = endpoint_config.url or host
            port = int(kwargs.get("port", port))
            db = int(kwargs.get("db", db))
            password = kwargs.get("password", password) or None
            username = kwargs.get("username", username) or None
            use_ssl = bool(kwargs.get("use_ssl", use_ssl))
            key_prefix = kwargs.get("key_prefix", key_prefix)
            socket_timeout = float(kwargs.get("socket_timeout", socket_timeout))
            lease_seconds = float(kwargs.get("lease_seconds", lease_seconds))
        self.lease_s = lease_seconds
        self.red = aioredis.Redis(
            host=host,
            port=int(port),
            db=int(db),
            password=password,
            username=username,
            ssl=use_ssl,
            socket_timeout=socket_timeout,
        )
        prefix = str(key_prefix or DEFAULT_KEY_PREFIX)
        self.lock_prefix = f"{prefix}:lock:"
        self.fence_prefix = f"{prefix}:fence:"
        self._acquire = self.red.register_script(_ACQUIRE)
        self._release = self.red.register_script(_RELEASE)
        self._renew = self.red.register_script(_RENEW)
        super().__init__()

    async def try_acquire(self, conversation_id: str, token: str, lifetime_s: float) -> int | None:
        """One attempt: the fence if this ``token`` now holds the lock, else None."""
        fence = await _uncancelled(
            self._acquire(
                keys=[self.lock_prefix + conversation_id, self.fence_prefix + conversation_id],
                args=[token, max(1, int(lifetime_s * 1000)), FENCE_KEY_TTL_MS],
            )
        )
        return int(fence) if fence is not None else None

    async def renew(self, conversation_id: str, token: str) -> bool:
        """Extends the lease if ``token`` still holds the lock."""
        return bool(
            await _uncancelled(
                self._renew(
                    keys=[self.lock_prefix + conversation_id],
                    args=[token, max(1, int(self.lease_s * 1000))],
                )
            )
        )

    async def _keep(self, conversation_id: str, token: str) -> None:
        """Renews the lease every third of it until cancelled or the lock is lost."""
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                if not await self.renew(conversation_id, token):
                    logger.warning("A conversation lock was lost before its holder finished.")
                    return
            except Exception as error:  # Redis unreachable: the lease runs out, the fence holds
                logger.warning("Could not renew a conversation lock: %s", type(error).__name__)

    async def release(self, conversation_id: str, token: str) -> bool:
        """Deletes the lock if ``token`` still holds it (not if it expired and was taken)."""
        return bool(
            await _uncancelled(
                self._release(keys=[self.lock_prefix + conversation_id], args=[token])
            )
        )

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Holds the conversation's lock (waiting up to ``lock_lifetime`` for it, renewing its
        lease while the body runs) and sets ``FENCE`` for the tracker store meanwhile."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + lock_lifetime
        backoff = MIN_BACKOFF_S
        cap = min(MAX_BACKOFF_S, wait_time_in_seconds)
        while True:
            fence = await self.try_acquire(conversation_id, token, self.lease_s)
            if fence is not None:
                break
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
            backoff = min(cap, backoff * 2)
        reset = FENCE.set(Fence(conversation_id, fence))
        keeper = asyncio.create_task(self._keep(conversation_id, token))
        try:
            # Rasa's callers ignore what the lock yields; a TicketLock keeps the type.
            yield TicketLock(conversation_id)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            FENCE.reset(reset)
            if not await self.release(conversation_id, token):
                logger.warning(
                    "A conversation lock expired before its holder finished; a save after "
                    "another server took it was refused (fenced)."
                )
