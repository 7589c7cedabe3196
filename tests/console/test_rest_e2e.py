"""End to end: a conversation sent through Rasa's REST channel to the real bot shows up in the
console's queue with the level the bot gave, read from the bot's own tracker database."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from console import auth, migrate
from console.app import create_app
from console.config import Settings
from console.db import make_engine
from tests.console.conftest import NURSE, SECRET, login, text_of

pytestmark = pytest.mark.e2e


def _decision(messages):
    found = [m["custom"]["triage"] for m in messages if (m.get("custom") or {}).get("triage")]
    return found[-1] if found else None


def test_rest_conversation_appears_in_the_queue(bot, sender):
    bot.send(sender, "i have pressure down below and a bit of spotting")
    asked = bot.send(sender, "20 weeks")
    no = next(b for m in asked for b in m.get("buttons") or [] if b["title"] == "No")
    decision = _decision(bot.send(sender, no["payload"]))  # the patient presses "No"
    assert decision is not None and decision["level"] == "urgent"

    engine = make_engine(bot.db_url)
    try:
        migrate.upgrade(engine)  # the console's tables go into the bot's live database
        if auth.get_user(engine, NURSE[0]) is None:
            auth.create_user(engine, NURSE[0], "nurse", NURSE[1])
        app = create_app(Settings(db_url=bot.db_url, secret_key=SECRET), engine)
        with TestClient(app, base_url="http://testserver") as client:
            assert login(client, *NURSE).status_code == 303
            queue = client.get("/", params={"q": sender}).text
            start = queue.index(f'data-sender="{sender}"')
            row = queue[start : queue.index("</tr>", start)]
            assert "level-urgent" in row and ">Urgent<" in row
            assert "cervical insufficiency" in row and "20 weeks" in row
            case = text_of(client.get(f"/conversation/{sender}").text)
            assert "pressure down below" in case
            assert "pressed: No" in case
            assert "U1" in case
            assert "Symptoms present" in case
    finally:
        engine.dispose()
