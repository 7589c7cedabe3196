"""Lets the conversation store's errors fail the message, instead of an in-memory conversation.

Rasa 3.6's ``Agent`` wraps every tracker store in ``FailSafeTrackerStore``, which catches the
store's errors, logs them whole and carries on:
- a failed read returns None, so Rasa starts a new, empty conversation: the patient's "20 weeks"
  is answered out of context, and what the bot already knew (a red flag, the weeks) is gone;
- a failed save goes to an in-memory store that lives in this process only: the patient gets
  answers that the database, the nurse console and the other Rasa servers never see.

``python -m eval failover`` showed both while PostgreSQL restarted (docs/deployment.md,
hazard HZ-27). The store itself (store/tracker_store.py) already waits up to
``UNAVAILABLE_RETRY_S`` for a database that is briefly away; this patch is for what outlasts
that, and for a save the lock's fencing refuses (``StaleConversationWrite``).

It replaces ``retrieve``, ``retrieve_full_tracker`` and ``save`` with versions that log the
error by its type only and raise it again. The message then fails as a whole: Rasa releases the
conversation's lock, nothing is saved, and the channel answers with the safety net instead of
replies the store does not know (channels/handling.py ``process``); the widget sends the message
again once, with the same message id. ``keys`` is unchanged: only Rasa's HTTP API calls it.

Installed by ``rasa_patches.install()`` (see rasa_patches/__init__.py).
"""

from __future__ import annotations

from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from common.log_context import get_logger

logger = get_logger(__name__)

_originals = {
    name: getattr(FailSafeTrackerStore, name)
    for name in ("retrieve", "retrieve_full_tracker", "save")
}


def _log(what: str, store: FailSafeTrackerStore, error: Exception) -> None:
    # By type only: a database driver's message can carry the statement's parameters, the
    # events' JSON with the patient's words (store/tracker_store.py raises StoreUnavailable,
    # which names types and SQLSTATE only, but another store might not).
    logger.error(
        "The conversation store (%s) failed to %s a conversation: %s. The message fails and "
        "the channel answers with the safety net.",
        type(store._tracker_store).__name__,
        what,
        type(error).__name__,
    )


async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    try:
        return await self._tracker_store.retrieve(sender_id)
    except Exception as error:
        _log("read", self, error)
        raise


async def retrieve_full_tracker(
    self: FailSafeTrackerStore, sender_id: str
) -> DialogueStateTracker | None:
    try:
        return await self._tracker_store.retrieve_full_tracker(sender_id)
    except Exception as error:
        _log("read", self, error)
        raise


async def save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
    try:
        await self._tracker_store.save(tracker)
    except Exception as error:
        _log("save", self, error)
        raise


def install() -> None:
    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker
    FailSafeTrackerStore.save = save


def uninstall() -> None:
    for name, original in _originals.items():
        setattr(FailSafeTrackerStore, name, original)
