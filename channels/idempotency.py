"""A message sent twice (a client that retried after a timeout) is processed once.

A client may send ``message_id`` with a message. Rasa stores it on the conversation's
``UserUttered`` event, so the stored conversation is the record of what was processed:
- in this process, a repeat of a message still being processed waits for the first one's reply,
  and recent replies are kept in a bounded cache;
- otherwise the conversation's lock is taken (so a first attempt still running on another Rasa
  server finishes and saves first) and the stored events are searched for the id: when found,
  the bot messages that followed it are the answer, and nothing is processed again.

Known limit: with several Rasa servers, a repeat that reaches another server while its first
attempt has not yet taken the conversation's lock there can still be processed twice (the
lookup and the processing take the lock separately). A client retries after a timeout (the
widget after 20 s), long after the first attempt took the lock, so this needs two copies sent
at the same instant.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, List, Tuple

from .output import combined

logger = logging.getLogger(__name__)

_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")

Messages = List[Dict[str, Any]]


def message_id_problem(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and _MESSAGE_ID.match(value)):
        return None
    return "'message_id' must be 8 to 64 characters: letters, digits, _ and -"


def replies_after(events: List[Any], message_id: str, recipient_id: str) -> Messages | None:
    """The bot messages that answered the user message ``message_id``, or None when the
    conversation has no such message or it got no answer (it failed: process it again)."""
    found = False
    out: Messages = []
    for event in events:
        kind = getattr(event, "type_name", "")
        if kind == "user":
            if found:
                break
            found = getattr(event, "message_id", None) == message_id
        elif found and kind == "bot":
            data = dict(getattr(event, "data", None) or {})
            message = combined({"text": getattr(event, "text", None), **data})
            if message:
                out.append({"recipient_id": recipient_id, **message})
    return out or None


@dataclass
class Attempt:
    """One message's turn: ``stored`` is the earlier answer when this is a repeat."""

    stored: Messages | None = None
    answered: Messages | None = field(default=None)
    #: True when ``stored`` is the answer of a first attempt this repeat waited for: that
    #: answer went out while this repeat waited (on socket.io, to the whole conversation).
    waited: bool = False

    def record(self, messages: Messages) -> None:
        """Keep the answer for repeats, unless it is only the safety net (processing failed:
        a repeat is processed again)."""
        if any(not (m.get("custom") or {}).get("safety_net") for m in messages):
            self.answered = list(messages)


class Replies:
    def __init__(self, max_items: int = 10_000) -> None:
        self._done: OrderedDict[Tuple[str, str], Messages] = OrderedDict()
        self._running: Dict[Tuple[str, str], asyncio.Future] = {}
        self._max_items = max_items

    @asynccontextmanager
    async def once(
        self, app: Any, sender_id: str, message_id: str | None
    ) -> AsyncIterator[Attempt]:
        if message_id is None:
            yield Attempt()
            return
        key = (sender_id, message_id)
        while key in self._running:  # the first attempt is still being processed here
            earlier = await asyncio.shield(self._running[key])
            if earlier is not None:
                yield Attempt(stored=earlier, waited=True)
                return
        if key in self._done:
            self._done.move_to_end(key)
            yield Attempt(stored=self._done[key])
            return
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = future
        attempt = Attempt()
        try:
            attempt.stored = await _stored_reply(app, sender_id, message_id)
            yield attempt
        finally:
            result = attempt.stored if attempt.stored is not None else attempt.answered
            del self._running[key]
            future.set_result(result)
            if result is not None:
                self._done[key] = result
                while len(self._done) > self._max_items:
                    self._done.popitem(last=False)


async def _stored_reply(app: Any, sender_id: str, message_id: str) -> Messages | None:
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    lock_store = getattr(agent, "lock_store", None)
    if store is None:
        return None
    try:
        if lock_store is not None:
            async with lock_store.lock(sender_id):
                tracker = await store.retrieve(sender_id)
        else:
            tracker = await store.retrieve(sender_id)
    except Exception as error:  # cannot tell: process the message (a repeat beats no answer)
        logger.warning("could not look up a repeated message: %s", type(error).__name__)
        return None
    if tracker is None:
        return None
    return replies_after(list(tracker.events), message_id, sender_id)
