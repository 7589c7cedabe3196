"""Log lines bound to the conversation they are about: its id's short digest, never the text.

``bind_conversation(sender_id)`` sets the conversation for the rest of the current asyncio task
(a ``contextvars.ContextVar``: each request or message is its own task, so two patients'
messages on one event loop never share it). A logger from ``get_logger(__name__)`` then adds
it to every line, as a ``conversation=<ref>`` field at the end of the message and as the
record's ``conversation`` attribute (for a JSON or other structured formatter a deployment may
configure). Outside a conversation the line is unchanged.

The reference is the first 12 hex digits of the SHA-256 of the conversation id, the digest the
nurse console already uses for ids too long for a URL (``console/web.py`` id_digest), so a line
is traced to its conversation by hashing the stored ids. Not the id itself: REST ids are chosen
by the clinic's integration and may be an address or a phone number, and the website's ids are
what the widget resumes a conversation with. Short and the same in every process (the Rasa
server's channels and the action server).

Plain stdlib logging, no structlog: Rasa, rasa_sdk and Sanic configure and own the handlers
(coloredlogs on the console, their file logging); a ``logging.LoggerAdapter`` works through
whatever handlers and formatters are there. docs/decisions.md has the comparison.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from contextvars import ContextVar
from typing import Any, Iterator, MutableMapping

REF_LENGTH = 12
_conversation: ContextVar[str | None] = ContextVar("conversation", default=None)


def conversation_ref(sender_id: str) -> str:
    """The short, stable digest of a conversation id that log lines carry."""
    digest = hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:REF_LENGTH]


def _ref(sender_id: Any) -> str | None:
    return conversation_ref(sender_id) if isinstance(sender_id, str) and sender_id else None


def bind_conversation(sender_id: Any) -> None:
    """From now on in this task, log lines are about ``sender_id`` (None or "": about none)."""
    _conversation.set(_ref(sender_id))


@contextlib.contextmanager
def conversation(sender_id: Any) -> Iterator[None]:
    """Log lines inside the block are about ``sender_id``; the previous binding comes back after."""
    token = _conversation.set(_ref(sender_id))
    try:
        yield
    finally:
        _conversation.reset(token)


def current_conversation() -> str | None:
    """The bound conversation's reference, or None."""
    return _conversation.get()


class ConversationAdapter(logging.LoggerAdapter):
    """Adds the bound conversation to each line: ``... conversation=<ref>`` and the record's
    ``conversation`` attribute."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        ref = _conversation.get()
        if ref is None:
            return msg, kwargs
        kwargs["extra"] = {**(kwargs.get("extra") or {}), "conversation": ref}
        # The reference is hex: safe to append to a %-format string.
        return f"{msg} conversation={ref}", kwargs


def get_logger(name: str) -> ConversationAdapter:
    """``logging.getLogger(name)`` whose lines carry the bound conversation."""
    return ConversationAdapter(logging.getLogger(name), {})
