"""A message's text is cleaned once (channels/handling.py): the gate reads only its length, and
process() makes the text that reaches Rasa."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel

import channels.handling as handling
from channels.guard import MAX_MESSAGE_CHARS, Rate
from channels.handling import Gate, Refusal, clean_user_text, message_length, process

TEXTS = [
    None,
    "",
    "I have some spotting",
    "x" * (MAX_MESSAGE_CHARS + 50),
    "cut emoji \ud83d",
    "\ud83d\ude00" * 700,  # a pair of lone surrogates each, past the limit
    12345,
    ["not", "a", "string"],
    {"text": "y" * 2000},
]


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: type(t).__name__ + str(len(str(t))))
def test_the_gates_length_is_the_cleaned_texts(text):
    assert message_length(text) == len(clean_user_text(text))


def test_one_message_is_cleaned_once_from_the_gate_to_rasa(monkeypatch):
    calls: list[object] = []
    real = handling.clean_user_text

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(handling, "clean_user_text", counting)
    received = []

    async def on_new_message(message) -> None:
        received.append(message.text)

    async def one_message(text: str) -> bool | Refusal:
        gate = Gate(Rate(20, 60), Rate(20, 60))
        gate.long_messages.max_waiting = 0  # full: a long message would be refused
        assert await gate.admit("conv-clean-once", "10.0.0.1", text) is None
        return await process(
            on_new_message,
            text=text,
            from_button=False,
            terms=(frozenset(), frozenset()),
            output=CollectingOutputChannel(),
            sender_id="conv-clean-once",
            input_channel="rest",
            long_messages=gate.long_messages,
        )

    assert asyncio.run(one_message("some spotting \ud83d")) is True
    assert calls == ["some spotting \ud83d"]
    assert received and "\ud83d" not in received[0]


def test_a_long_message_is_still_refused_when_too_many_wait():
    gate = Gate(Rate(20, 60), Rate(20, 60))
    gate.long_messages.max_waiting = 0
    refusal = asyncio.run(gate.admit("conv-long", "10.0.0.2", "z" * 401))
    assert refusal is not None and refusal.status == 429
    short = asyncio.run(gate.admit("conv-short", "10.0.0.3", "z" * 400))
    assert short is None
