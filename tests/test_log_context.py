"""Log lines bound to the conversation (common/log_context.py): the channels' and the action
server's lines carry the conversation id's short digest, and never the message text."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import secrets
from collections.abc import Iterator

import httpx
import pytest
from rasa.core.channels.channel import CollectingOutputChannel

from actions.server import TOKEN_HEADER
from channels.handling import Refusal, process
from common.log_context import (
    conversation,
    conversation_ref,
    current_conversation,
    get_logger,
)
from eval.servers import start_action_server

PATIENT_TEXT = "PATIENT-TEXT-7f3a heavy bleeding since this morning"


def test_the_reference_is_a_short_prefix_of_the_consoles_digest():
    sender = "web-" + "ab" * 16
    assert conversation_ref(sender) == hashlib.sha256(sender.encode()).hexdigest()[:12]
    assert conversation_ref("\ud800") == hashlib.sha256(b"\xed\xa0\x80").hexdigest()[:12]


def test_a_line_carries_the_bound_conversation_and_only_inside_the_binding(caplog):
    log = get_logger("tests.log_context")
    with caplog.at_level(logging.INFO, logger="tests.log_context"):
        log.info("before")
        with conversation("conv-1"):
            log.info("inside %s", "args")
            with conversation(None):
                log.info("about none")
            log.info("inside again")
        log.info("after")
    ref = conversation_ref("conv-1")
    assert [r.getMessage() for r in caplog.records] == [
        "before",
        f"inside args conversation={ref}",
        "about none",
        f"inside again conversation={ref}",
        "after",
    ]
    assert [getattr(r, "conversation", None) for r in caplog.records] == [
        None,
        ref,
        None,
        ref,
        None,
    ]


def test_two_conversations_on_one_event_loop_keep_their_own():
    async def one(sender: str) -> list[str | None]:
        seen = []
        with conversation(sender):
            for _ in range(3):
                seen.append(current_conversation())
                await asyncio.sleep(0)
        return seen

    async def both() -> list[list[str | None]]:
        return list(await asyncio.gather(one("a"), one("b")))

    a, b = asyncio.run(both())
    assert a == [conversation_ref("a")] * 3 and b == [conversation_ref("b")] * 3
    assert current_conversation() is None


def test_a_failed_message_is_logged_with_its_conversation_and_without_its_text(caplog):
    async def failing(_message) -> None:
        raise RuntimeError(PATIENT_TEXT)  # an error whose text holds the message

    async def run() -> bool | Refusal:
        return await process(
            failing,
            text=PATIENT_TEXT,
            from_button=False,
            terms=(frozenset(), frozenset()),
            output=CollectingOutputChannel(),
            sender_id="web-" + "cd" * 16,
            input_channel="rest",
        )

    with caplog.at_level(logging.INFO):
        assert asyncio.run(run()) is False
    [line] = [r for r in caplog.records if r.name == "channels.handling"]
    ref = conversation_ref("web-" + "cd" * 16)
    assert line.getMessage() == f"rest message processing failed: RuntimeError conversation={ref}"
    assert line.conversation == ref
    assert "PATIENT-TEXT" not in caplog.text and "cdcdcdcd" not in caplog.text


TOKEN = secrets.token_urlsafe(24)
CALL = {
    "next_action": "action_triage",
    "sender_id": "rest-log-context-1",
    "version": "3.6.21",
    "domain": {},
    "tracker": {
        "sender_id": "rest-log-context-1",
        # not a contractions answer: the action logs that it treats the answers as unknown
        "slots": {"contractions": "banana"},
        "latest_message": {"text": PATIENT_TEXT, "intent": {}, "entities": []},
        "events": [{"event": "user", "text": PATIENT_TEXT, "parse_data": {}}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    },
}


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[tuple[str, object]]:
    proc, url, log = start_action_server(tmp_path_factory.mktemp("log-context"), token=TOKEN)
    try:
        yield url, log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_action_servers_line_carries_its_conversation_and_no_text(action_server):
    url, log = action_server
    headers = {TOKEN_HEADER: TOKEN}
    other = copy.deepcopy(CALL)
    other["sender_id"] = other["tracker"]["sender_id"] = "rest-log-context-2"
    # Two conversations' calls on one kept-open connection (one Sanic task): each its own.
    with httpx.Client(headers=headers, timeout=30) as client:
        for call in (CALL, other):
            answer = client.post(f"{url}/webhook", json=call)
            assert answer.status_code == 200, answer.text
    text = log.read_text()
    lines = [line for line in text.splitlines() if "Invalid findings slot value" in line]
    refs = [conversation_ref("rest-log-context-1"), conversation_ref("rest-log-context-2")]
    assert [line.rsplit(" ", 1)[-1] for line in lines] == [f"conversation={r}" for r in refs]
    assert "PATIENT-TEXT" not in text and "rest-log-context" not in text
