"""rasa_patches.repeated_messages: a message sent again is answered from the stored
conversation, checked inside Rasa's hold of the conversation's lock. The end-to-end case (two
Rasa servers on PostgreSQL and Redis given the same message at the same instant) is in
tests/test_production_stores.py."""

from __future__ import annotations

import hashlib
import inspect

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

import channels  # noqa: F401 - installs the patches, as the Rasa server does
from rasa_patches import repeated_messages
from rasa_patches.repeated_messages import stored_answer

#: Rasa 3.6.21's MessageProcessor.log_message, which the patch repeats with one check added:
#: if Rasa changes it, the patch must be read again.
RASA_LOG_MESSAGE_SHA256 = "f2f8ec66a291d83d783b7acda52bbc0cc2a093b27a67625d8b9882e95138fac1"


def test_installed_by_the_channels_package():
    assert MessageProcessor.log_message is repeated_messages.log_message


def test_rasas_log_message_is_the_one_the_patch_was_written_for():
    source = inspect.getsource(repeated_messages._original)
    assert hashlib.sha256(source.encode()).hexdigest() == RASA_LOG_MESSAGE_SHA256


EVENTS = [
    ActionExecuted("action_listen"),
    UserUttered("pressure", message_id="m-first-0001"),
    BotUttered("How many weeks?", {"buttons": [{"title": "Under 14", "payload": "/x"}]}),
    ActionExecuted("action_listen"),
    UserUttered("20 weeks", message_id="m-second-002"),
    BotUttered("Call now", {"custom": {"triage": {"level": "urgent"}}}),
    BotUttered("If it gets worse call 999"),
    UserUttered("thanks", message_id="m-third-0003"),
]


def test_a_repeat_is_answered_with_the_bot_messages_that_followed_it():
    assert stored_answer(EVENTS, "m-second-002") == [
        {"text": "Call now", "custom": {"triage": {"level": "urgent"}}},
        {"text": "If it gets worse call 999"},
    ]
    assert stored_answer(EVENTS, "m-first-0001")[0]["buttons"][0]["title"] == "Under 14"


def test_a_message_with_no_answer_or_not_in_the_conversation_is_processed():
    assert stored_answer(EVENTS, "m-third-0003") is None  # it failed: process it again
    assert stored_answer(EVENTS, "m-unknown-01") is None
    assert stored_answer([], "m-first-0001") is None


def test_uninstall_restores_rasas_method():
    repeated_messages.uninstall()
    try:
        assert MessageProcessor.log_message is repeated_messages._original
    finally:
        repeated_messages.install()
