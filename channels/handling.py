"""One way to take a message in, shared by the REST and socket.io channels.

``Gate`` decides whether a message may go to Rasa (rate limits, the conversation's length);
``process`` hands it over with its text made safe, and never lets an exception or a timeout
leave the patient without a reply (the channel adds the safety net when nothing was sent).
Neither ever logs message text; their lines carry the conversation's short digest instead
(common/log_context.py).
"""

from __future__ import annotations

import asyncio
import functools
from asyncio import CancelledError
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Mapping, Tuple

from rasa.core.channels.channel import OutputChannel, UserMessage

from common.log_context import conversation, get_logger
from rasa_patches.repeated_messages import TURN_CAP, AlreadyAnswered, ConversationFull

from .guard import (
    MAX_MESSAGE_CHARS,
    MAX_TURNS,
    ROOT,
    Rate,
    RateLimiter,
    message_text,
)
from .output import safety_net_text
from .shared_limits import SharedBuckets

logger = get_logger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A message that was not processed, and the calm reply (with the safety net) it gets."""

    status: int
    message: Dict[str, Any]
    retry_after: int = 0


def refusal_message(text: str, **custom: Any) -> Dict[str, Any]:
    return {
        "text": f"{text}\n\n{safety_net_text()}",
        "custom": {"safety_net": True, **custom},
    }


class Gate:
    """Rate limits per conversation and per client address, and a cap on a conversation's
    user messages.

    The rate limits' buckets are shared by every Rasa server through Redis when the
    deployment's lock store is in Redis (``share_buckets``, channels/shared_limits.py), so a
    conversation or an address gets its limit once however many servers take its messages;
    otherwise (``make run``), or while Redis does not answer, each server keeps its own.

    The cap: the gate refuses at once a conversation this process has seen reach it; the
    authoritative count is Rasa's, made on the conversation it loads under the conversation's
    lock (rasa_patches/repeated_messages.py), which ``process`` asks for with ``max_turns``: it
    also covers a conversation resumed after a restart or sent to several servers."""

    def __init__(
        self,
        conversation_rate: Rate,
        address_rate: Rate,
        max_turns: int = MAX_TURNS,
        max_conversations: int = 100_000,
        channel: str = "channel",
    ) -> None:
        self.channel = channel
        self.shared: SharedBuckets | None = None
        self._looked_for_shared = False
        self.per_conversation = RateLimiter(conversation_rate, max_conversations)
        self.per_address = RateLimiter(address_rate, max_conversations)
        self.max_turns = max_turns
        self._turns: OrderedDict[str, int] = OrderedDict()
        self._max_conversations = max_conversations
        self.long_messages = LongMessages()

    @classmethod
    def from_credentials(
        cls,
        credentials: Mapping[str, Any] | None,
        conversation: Rate,
        address: Rate,
        channel: str = "channel",
    ) -> Gate:
        credentials = credentials or {}
        limits = credentials.get("rate_limits") or {}
        return cls(
            Rate.parse(limits.get("per_conversation"), conversation),
            Rate.parse(limits.get("per_address"), address),
            int(credentials.get("max_turns", MAX_TURNS)),
            channel=channel,
        )

    def share_buckets(self, app: Any) -> None:
        """Once the Rasa agent is loaded: keep the rate-limit buckets in its lock store's
        Redis, if it has one (called by the channels before ``admit``; cheap after that)."""
        if self._looked_for_shared:
            return
        agent = getattr(getattr(app, "ctx", None), "agent", None)
        if agent is None:  # not loaded yet, or no Rasa at all (the tests' scripted bots)
            return
        self._looked_for_shared = True
        self.shared = SharedBuckets.from_lock_store(getattr(agent, "lock_store", None))

    async def admit(
        self,
        sender_id: str,
        address: str,
        text: Any = None,
    ) -> Refusal | None:
        # The length only: the text is cleaned once, by process().
        if message_length(text) > self.long_messages.threshold and self.long_messages.full():
            return busy()
        wait = await self._take(
            [
                (self.per_address, "address", f"ip:{address}"),
                (self.per_conversation, "conversation", sender_id),
            ]
        )
        if wait is not None:
            return self._too_fast(wait)
        turns = self._turns.pop(sender_id, 0)
        if turns >= self.max_turns:
            self._remember(sender_id, turns)
            return conversation_full()
        self._remember(sender_id, turns + 1)
        return None

    async def _take(self, buckets: List[Tuple[RateLimiter, str, str]]) -> int | None:
        """A token from each (limiter, space, key) in turn, stopping at the first without one:
        None when all gave one, else the whole seconds until that one has a token. From the
        shared buckets in one Redis round trip, or this server's own when there is no Redis or
        it does not answer."""
        buckets = [b for b in buckets if not b[0].rate.off]
        if self.shared is not None and buckets:
            taken = await self.shared.take(
                [(f"{self.channel}:{space}", key, limiter.rate) for limiter, space, key in buckets]
            )
            if taken is not None:
                return None if taken[0] else taken[1]
        for limiter, _, key in buckets:
            if not limiter.allow(key):
                return limiter.retry_after(key)
        return None

    def _remember(self, sender_id: str, turns: int) -> None:
        self._turns[sender_id] = turns
        while len(self._turns) > self._max_conversations:
            self._turns.popitem(last=False)

    @staticmethod
    def _too_fast(retry_after: int) -> Refusal:
        return Refusal(
            429,
            refusal_message(
                "Messages are arriving faster than I can read them, so I did not read your "
                f"last one. Please wait {retry_after} second{'s' if retry_after != 1 else ''} "
                "and send it again.",
                rate_limited=True,
                retry_after=retry_after,
            ),
            retry_after,
        )


def conversation_full() -> Refusal:
    """The answer to a message for a conversation at its length cap (Gate.max_turns)."""
    return Refusal(
        429,
        refusal_message(
            "This conversation has become too long for me to follow. Please press "
            "\u201cNew chat\u201d to start again.",
            conversation_full=True,
        ),
    )


def domain_terms(app: Any) -> Tuple[frozenset, frozenset]:
    """The intents and entities a button's command may name: the loaded model's domain, or
    the repository's domain.yml when the app has no agent."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    domain = getattr(agent, "domain", None)
    if domain is not None:
        return frozenset(domain.intents), frozenset(domain.entities)
    return _file_domain_terms()


@functools.lru_cache(maxsize=1)
def _file_domain_terms() -> Tuple[frozenset, frozenset]:
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "domain.yml"))
    return frozenset(domain.intents), frozenset(domain.entities)


def clean_user_text(text: Any) -> str:
    """A message is always a string of bounded size that encodes as UTF-8; nothing else
    reaches the NLU. A lone UTF-16 surrogate (an emoji cut by the widget's limit) becomes "?"
    instead of crashing the extractor and losing the message's symptoms."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return text[:MAX_MESSAGE_CHARS].encode("utf-8", "replace").decode("utf-8")


def message_length(text: Any) -> int:
    """``len(clean_user_text(text))`` without making the cleaned text (the cleaning replaces
    character for character, then cuts): what the gate needs before process() cleans it."""
    if text is None:
        return 0
    return min(len(text if isinstance(text, str) else str(text)), MAX_MESSAGE_CHARS)


class LongMessages:
    """At most ``concurrency`` long messages are processed at a time, in arrival order, and at
    most ``max_waiting`` wait; more are refused (429 with the safety net).

    Rasa's NLU runs on the server's one event loop and blocks it while it reads a message, for
    a time that grows with the message's length. Without this, ten clients sending
    1,000-character messages back to back keep the loop busy with several of them at once and
    every other patient waits behind all of them; with it, another patient waits behind at most
    one. Patients' messages are nearly always short (a long one still goes through, in turn).
    """

    def __init__(self, threshold: int = 400, concurrency: int = 1, max_waiting: int = 32) -> None:
        self.threshold = threshold
        self.max_waiting = max_waiting
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting = 0

    def is_long(self, text: Any) -> bool:
        return isinstance(text, str) and len(text) > self.threshold

    def full(self) -> bool:
        return self._waiting >= self.max_waiting

    @asynccontextmanager
    async def turn(self, text: Any) -> AsyncIterator[None]:
        if not self.is_long(text):
            yield
            return
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()


def busy() -> Refusal:
    """The answer to a long message when too many long messages are waiting."""
    return Refusal(
        429,
        refusal_message(
            "Many long messages are arriving at the moment, so I could not read yours. Please "
            "send it again in a minute, or in fewer words.",
            rate_limited=True,
            retry_after=30,
        ),
        30,
    )


async def process(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    *,
    text: Any,
    from_button: bool,
    terms: Tuple[frozenset, frozenset],
    output: OutputChannel,
    sender_id: str,
    input_channel: str,
    metadata: Dict[str, Any] | None = None,
    message_id: str | None = None,
    long_messages: LongMessages | None = None,
    max_turns: int | None = None,
) -> bool | Refusal:
    """Hand one message to Rasa; False when processing failed or timed out (logged by type
    only). Rasa saves the conversation last, after the replies are made, so a failure (the
    database down, a save refused by the lock's fencing) means the store does not know those
    replies: the caller then sends the safety net instead of them, never an answer the store
    does not know about (docs/deployment.md). ``max_turns``: Rasa refuses the message, nothing
    stored, when the conversation it loads already has that many user messages; the refusal
    (``conversation_full()``) is returned for the caller to send."""
    intents, entities = terms
    cleaned = message_text(clean_user_text(text), from_button, intents, entities)
    cap = TURN_CAP.set(max_turns)
    with conversation(sender_id):
        try:
            async with (long_messages or LongMessages(threshold=MAX_MESSAGE_CHARS)).turn(cleaned):
                await on_new_message(
                    UserMessage(
                        cleaned,
                        output,
                        sender_id,
                        input_channel=input_channel,
                        metadata=metadata or {},
                        message_id=message_id,
                    )
                )
        except AlreadyAnswered as repeat:  # a retry: its first attempt's answer, sent again
            for message in repeat.messages:
                await output.send_response(sender_id, message)
            return True
        except ConversationFull:
            return conversation_full()
        except CancelledError:
            logger.error("%s message processing timed out", input_channel)
            return False
        except Exception as error:
            logger.error("%s message processing failed: %s", input_channel, type(error).__name__)
            return False
        finally:
            TURN_CAP.reset(cap)
    return True
