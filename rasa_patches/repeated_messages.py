"""A message sent again (a client's retry after a timeout) is answered, never processed twice.

A client may send ``message_id`` with a message; Rasa stores it on the conversation's
``UserUttered`` event. The channels keep recent answers per process (channels/idempotency.py),
but a retry can reach another Rasa server (``make cluster``) or a restarted one. There, the only
record is the stored conversation, and it must be read **under the conversation's lock**, in the
same hold as the processing: a first attempt still running elsewhere then finishes and saves
before the retry looks, and two copies sent at the same instant to two servers cannot both be
processed (before this patch the channels looked under one hold of the lock and Rasa processed
under another, which left that gap; docs/deployment.md).

This replaces ``MessageProcessor.log_message``, which Rasa calls first thing in
``handle_message``, inside ``Agent.handle_message``'s hold of the lock, with the same steps plus
one check between fetching the conversation and adding the message to it: if the conversation
already has a user message with this id and bot messages after it, ``AlreadyAnswered`` is raised
with those messages, nothing is added or saved, and the channel sends them as the answer
(channels/handling.py ``process``). A message whose first attempt got no answer (it failed) is
processed again. Messages without an id take Rasa's own path unchanged, and no extra read is
made: the check uses the conversation Rasa fetches anyway.

The same hook also keeps a conversation's length cap (channels/guard.py ``MAX_TURNS``, 120 user
messages; a channel's ``max_turns``): the channel sets ``TURN_CAP`` for the message, and a
conversation that already has that many user messages raises ``ConversationFull`` here,
before anything is added or saved, counted on the conversation Rasa just loaded. The channels
used to read the conversation once more for that count (one more tracker read per message, and
outside the lock, so another server's messages could be missed); now the count costs nothing
and is right on every server.

Installed by ``rasa_patches.install()`` (see rasa_patches/__init__.py).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Dict, Iterable, List

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from common.log_context import get_logger

logger = get_logger(__name__)

_original = MessageProcessor.log_message

#: The user messages a conversation may hold, for the message being handled in this task: set
#: by the channel (channels/handling.py ``process``); None: no cap (Rasa's own path).
TURN_CAP: ContextVar[int | None] = ContextVar("triage_turn_cap", default=None)


class AlreadyAnswered(Exception):
    """Raised inside Rasa's lock for a message the conversation has answered already."""

    def __init__(self, messages: List[Dict[str, Any]]) -> None:
        super().__init__(f"answered already with {len(messages)} messages")
        self.messages = messages


class ConversationFull(Exception):
    """Raised inside Rasa's lock for a message to a conversation at its length cap: nothing
    was added or saved."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"the conversation has {cap} user messages already")
        self.cap = cap


def user_messages(events: Iterable[Any]) -> int:
    return sum(1 for event in events if getattr(event, "type_name", "") == "user")


def stored_answer(events: Iterable[Any], message_id: str) -> List[Dict[str, Any]] | None:
    """The bot messages (text plus their data: buttons, custom payload) that answered the user
    message ``message_id``, or None when the conversation has no such message or it got no
    answer (it failed: process it again)."""
    found = False
    out: List[Dict[str, Any]] = []
    for event in events:
        kind = getattr(event, "type_name", "")
        if kind == "user":
            if found:
                break
            found = getattr(event, "message_id", None) == message_id
        elif found and kind == "bot":
            out.append(
                {"text": getattr(event, "text", None), **(getattr(event, "data", None) or {})}
            )
    return out or None


async def log_message(
    self: MessageProcessor, message: UserMessage, should_save_tracker: bool = True
) -> DialogueStateTracker:
    """Rasa 3.6.21's ``log_message`` with the repeat check and the length cap (module
    docstring)."""
    cap = TURN_CAP.get()
    if message.message_id is None and cap is None:
        return await _original(self, message, should_save_tracker)
    tracker = await self.fetch_tracker_and_update_session(
        message.sender_id, message.output_channel, message.metadata
    )
    if message.message_id is not None:
        answer = stored_answer(tracker.events, message.message_id)
        if answer is not None:
            logger.info("A repeated message was answered from the stored conversation.")
            raise AlreadyAnswered(answer)
    if cap is not None and user_messages(tracker.events) >= cap:
        raise ConversationFull(cap)
    await self._handle_message_with_tracker(message, tracker)
    if should_save_tracker:
        await self.save_tracker(tracker)
    return tracker


def install() -> None:
    MessageProcessor.log_message = log_message


def uninstall() -> None:
    MessageProcessor.log_message = _original
