"""A message sent twice (a client that retried after a timeout) is processed once.

A client may send ``message_id`` with a message. Rasa stores it on the conversation's
``UserUttered`` event, so the stored conversation is the record of what was processed:
- in this process, a repeat of a message still being processed waits for the first one's reply,
  and recent replies are kept in a bounded cache (here);
- otherwise (another Rasa server, a restart) Rasa itself looks the id up in the conversation
  it fetches under the conversation's lock, in the same hold as the processing, and answers
  with the bot messages that followed it (rasa_patches/repeated_messages.py), so two copies
  sent at the same instant to two servers are not both processed.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, List, Tuple

from .output import answers

_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")

Messages = List[Dict[str, Any]]


def message_id_problem(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and _MESSAGE_ID.match(value)):
        return None
    return "'message_id' must be 8 to 64 characters: letters, digits, _ and -"


@dataclass
class Attempt:
    """One message's turn: ``stored`` is the earlier answer when this is a repeat."""

    stored: Messages | None = None
    answered: Messages | None = field(default=None)
    #: True when ``stored`` is the answer of a first attempt this repeat waited for: that
    #: answer went out while this repeat waited (on socket.io, to the whole conversation).
    waited: bool = False

    def record(self, messages: Messages) -> None:
        """Keep the answer for repeats, unless it is only the safety net, after the disclaimer
        or not (processing failed: a repeat is processed again)."""
        if answers(messages):
            self.answered = list(messages)


class Replies:
    def __init__(self, max_items: int = 10_000) -> None:
        self._done: OrderedDict[Tuple[str, str], Messages] = OrderedDict()
        self._running: Dict[Tuple[str, str], asyncio.Future] = {}
        self._max_items = max_items

    @asynccontextmanager
    async def once(self, sender_id: str, message_id: str | None) -> AsyncIterator[Attempt]:
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
            yield attempt
        finally:
            result = attempt.answered
            del self._running[key]
            future.set_result(result)
            if result is not None:
                self._done[key] = result
                while len(self._done) > self._max_items:
                    self._done.popitem(last=False)
