"""rasa_patches.repeated_messages: a message sent again is answered from the stored
conversation, checked inside Rasa's hold of the conversation's lock. The end-to-end case (two
Rasa servers on PostgreSQL and Redis given the same message at the same instant) is in
tests/test_production_stores.py."""

from __future__ import annotations

import asyncio
import hashlib
import inspect

import pytest
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


# ---------------------------------------------------------------- the length cap


def test_the_cap_counts_the_user_messages_of_the_loaded_conversation():
    from rasa_patches.repeated_messages import user_messages

    assert user_messages(EVENTS) == 3
    assert user_messages([]) == 0


@pytest.fixture(scope="module")
def agent_with_actions(tmp_path_factory):
    """The trained model in this process, with the real action server (its own secret)."""
    import secrets

    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from actions.server import TOKEN_HEADER
    from eval.servers import model_path, start_action_server

    token = secrets.token_urlsafe(16)
    proc, url, _ = start_action_server(tmp_path_factory.mktemp("cap-actions"), token=token)
    try:
        yield Agent.load(
            model_path(),
            action_endpoint=EndpointConfig(f"{url}/webhook", headers={TOKEN_HEADER: token}),
        )
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.e2e
def test_rasa_refuses_a_message_past_the_cap_whichever_server_counted(agent_with_actions):
    """Two channels (two servers' gates, each knowing nothing of the other's messages) in
    front of one conversation with a cap of 3: the fourth message is refused by Rasa, on the
    conversation it loaded, with nothing stored, and no extra read of the conversation."""
    from rasa.core.channels.channel import CollectingOutputChannel

    from channels.handling import Gate, Refusal, process
    from channels.rest import ADDRESS_RATE, CONVERSATION_RATE

    agent = agent_with_actions
    servers = [Gate(CONVERSATION_RATE, ADDRESS_RATE, max_turns=3) for _ in range(2)]
    reads = []
    retrieve = agent.tracker_store.retrieve

    async def counting_retrieve(sender_id):
        reads.append(sender_id)
        return await retrieve(sender_id)

    agent.tracker_store.retrieve = counting_retrieve
    terms = (frozenset(agent.domain.intents), frozenset(agent.domain.entities))

    async def send(n: int, text: str):
        gate = servers[n % 2]
        assert await gate.admit("cap-1", "10.0.0.9", text) is None  # each gate saw <= 2
        out = CollectingOutputChannel()
        result = await process(
            agent.handle_message,
            text=text,
            from_button=False,
            terms=terms,
            output=out,
            sender_id="cap-1",
            input_channel="rest",
            max_turns=gate.max_turns,
        )
        return result, out.messages

    async def conversation():
        return [await send(n, text) for n, text in enumerate(["hi", "20 weeks", "no", "hello"])]

    try:
        results = asyncio.run(conversation())
    finally:
        agent.tracker_store.retrieve = retrieve
    assert [r for r, _ in results[:3]] == [True, True, True]
    assert all(messages for _, messages in results[:3])
    refused, messages = results[3]
    assert isinstance(refused, Refusal) and refused.status == 429 and messages == []
    assert refused.message["custom"]["conversation_full"] is True
    stored = asyncio.run(agent.tracker_store.retrieve("cap-1"))
    assert [e.text for e in stored.events if e.type_name == "user"] == ["hi", "20 weeks", "no"]
    assert len(reads) == 4  # Rasa's own read per message; none more
