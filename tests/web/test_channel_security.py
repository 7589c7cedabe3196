"""Issue 14's patient-side findings, each against the project's real channels on a real Sanic
server (tests/web/scripted_bot.py: the channels of credentials.yml answering from a script, so
what reached "Rasa" is in its received log). The same checks as pure functions are in
tests/test_channel_guard.py; against the trained bot, in tests/test_bot_rest.py."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
import uuid
from typing import Any, Iterator

import httpx
import pytest
from conftest import ScriptedBot

SETTINGS = {
    "rate_limits": {
        "per_conversation": {"burst": 5, "per_minute": 600},
        "per_address": {"burst": 30, "per_minute": 1200},
    },
    "max_turns": 8,
}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedBot]:
    bot = ScriptedBot(
        tmp_path_factory.mktemp("guarded-bot"),
        cors="http://clinic.example",
        settings=SETTINGS,
        delay=0,
    ).start()
    yield bot
    bot.stop()


def _run(coro: Any) -> Any:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Client:
    """A socket.io client as the widget uses it (polling: python-engineio's websocket client
    needs a newer aiohttp than Rasa allows)."""

    def __init__(self, url: str, origin: str | None = None) -> None:
        import socketio

        self.url = url
        self.origin = origin
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.answers: list[dict] = []
        self.sio.on("session_confirm", self.confirmed.put)
        self.sio.on("bot_uttered", self._answer)

    async def _answer(self, data: dict) -> None:
        self.answers.append(data)

    async def connect(self) -> None:
        headers = {"Origin": self.origin} if self.origin else {}
        # wait_timeout: python-socketio's default of 1 s for the namespace to connect is too
        # short on a loaded CI machine (a refused connection raises at once whatever it is).
        await self.sio.connect(
            self.url,
            transports=["polling"],
            socketio_path="socket.io",
            headers=headers,
            wait_timeout=15,
        )

    async def session(self, session_id: Any = None, token: Any = None) -> dict:
        await self.sio.emit("session_request", {"session_id": session_id, "resume_token": token})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, text: str, session_id: str, wait: float = 2.0, **extra: Any) -> list[dict]:
        before = len(self.answers)
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id, **extra})
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and len(self.answers) == before:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        return self.answers[before:]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


def _received(bot: ScriptedBot, sender: str) -> list[str]:
    return [r["text"] for r in bot.received() if r["sender_id"] == sender]


# ---------------------------------------------------------------- finding 1: ownership


def test_a_stolen_session_id_gives_a_new_conversation_not_the_patients(guarded):
    async def scenario() -> tuple[dict, dict, dict, list[dict], list[dict]]:
        patient, stranger = Client(guarded.url), Client(guarded.url)
        await patient.connect()
        await stranger.connect()
        try:
            mine = await patient.session()
            # the stranger knows the id (but not the token), or guesses a token
            theirs = await stranger.session(mine["session_id"])
            guessed = await stranger.session(mine["session_id"], "A" * 43)
            await patient.say("pressure down below", mine["session_id"])
            # the stranger posts into the patient's conversation by naming it
            posted = await stranger.say("hello", mine["session_id"], wait=1.0)
            return mine, theirs, guessed, stranger.answers, posted
        finally:
            await patient.close()
            await stranger.close()

    mine, theirs, guessed, stranger_saw, posted = _run(scenario())
    assert mine["session_id"].startswith("web-") and mine["resume_token"]
    assert theirs["session_id"] != mine["session_id"]
    assert guessed["session_id"] != mine["session_id"]
    # the stranger heard none of the patient's replies, and its message was not processed
    assert stranger_saw and all(a["custom"]["safety_net"] for a in stranger_saw)
    assert posted and posted[0]["custom"]["safety_net"] is True
    assert _received(guarded, mine["session_id"]) == ["pressure down below"]


def test_the_resume_token_resumes_the_conversation(guarded):
    async def scenario() -> tuple[dict, dict]:
        first = Client(guarded.url)
        await first.connect()
        got = await first.session()
        await first.close()
        again = Client(guarded.url)
        await again.connect()
        try:
            resumed = await again.session(got["session_id"], got["resume_token"])
            await again.say("hello again", resumed["session_id"])
        finally:
            await again.close()
        return got, resumed

    got, resumed = _run(scenario())
    assert resumed["session_id"] == got["session_id"]
    assert _received(guarded, got["session_id"]) == ["hello again"]


def test_a_socket_that_never_joined_cannot_post(guarded):
    async def scenario() -> list[dict]:
        client = Client(guarded.url)
        await client.connect()
        try:
            return await client.say("never joined", "web-" + "a" * 32, wait=1.0)
        finally:
            await client.close()

    answers = _run(scenario())
    assert answers and answers[0]["custom"]["safety_net"] is True
    assert _received(guarded, "web-" + "a" * 32) == []


def test_rest_cannot_touch_a_website_conversation(guarded):
    response = httpx.post(
        f"{guarded.url}/webhooks/rest/webhook",
        json={"sender": "web-" + "b" * 32, "message": "what did she say?"},
    )
    assert response.status_code == 400
    assert _received(guarded, "web-" + "b" * 32) == []


def test_pages_of_other_sites_cannot_open_the_socket(guarded):
    async def attempt(origin: str) -> bool:
        client = Client(guarded.url, origin=origin)
        try:
            await client.connect()
        except Exception:
            return False
        await client.close()
        return True

    assert _run(attempt("http://clinic.example")) is True
    assert _run(attempt("https://evil.example")) is False


def test_rest_with_require_token(tmp_path):
    bot = ScriptedBot(tmp_path, settings={"require_token": True}, delay=0)
    # the token comes from the environment of the server
    bot.proc.args = ["env", "REST_TOKEN=s3cret-token-for-tests", *bot.proc.args]
    bot.start()
    try:
        url = f"{bot.url}/webhooks/rest/webhook"
        body = {"sender": "integration-1", "message": "hello"}
        assert httpx.post(url, json=body).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.post(url, json=body, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret-token-for-tests"}
        ok = httpx.post(url, json=body, headers=right)
        assert ok.status_code == 200 and ok.json()[0]["text"]
        assert [r["sender_id"] for r in bot.received()] == ["integration-1"]
    finally:
        bot.stop()


# ---------------------------------------------------------------- finding 3: limits


def test_a_flood_into_one_conversation_is_limited_with_the_safety_net(guarded):
    sender = f"flood-{uuid.uuid4().hex[:8]}"

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{guarded.url}/webhooks/rest/webhook",
                        json={"sender": sender, "message": f"message {i}"},
                    )
                    for i in range(15)
                )
            )

    responses = _run(flood())
    codes = [r.status_code for r in responses]
    assert codes.count(200) <= 8 and codes.count(429) >= 7, codes
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    body = refused.json()[0]
    assert body["custom"]["rate_limited"] is True and body["custom"]["safety_net"] is True
    assert "999" in body["text"]  # the safety net is in the calm message
    assert len(_received(guarded, sender)) == codes.count(200)


def test_an_address_flooding_many_conversations_is_limited(guarded):
    time.sleep(2)  # the address bucket refills (20 a second) after earlier tests

    async def flood() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"{guarded.url}/webhooks/rest/webhook",
                        json={"sender": f"many-{i}", "message": "hi"},
                        # a header a client writes itself moves nothing: no trusted proxy
                        headers={"X-Forwarded-For": f"198.51.100.{i}"},
                    )
                    for i in range(80)
                )
            )
        return [r.status_code for r in responses]

    codes = _run(flood())
    assert codes.count(200) >= 30 and codes.count(429) >= 20, codes
    time.sleep(2)


def test_long_messages_and_bodies_are_capped(guarded):
    sender = f"long-{uuid.uuid4().hex[:8]}"
    url = f"{guarded.url}/webhooks/rest/webhook"
    r = httpx.post(url, json={"sender": sender, "message": "spotting " * 2500}, timeout=30)
    assert r.status_code == 200
    assert [len(t) for t in _received(guarded, sender)] == [1000]
    huge = {"sender": sender, "message": "x" * 70_000}
    assert httpx.post(url, json=huge, timeout=30).status_code == 413
    with pytest.raises(httpx.HTTPError):  # Sanic's own cap, before any parsing
        r = httpx.post(url, content=b"{" + b" " * 5_000_000 + b"}", timeout=30)
        r.raise_for_status()


def test_a_conversation_has_a_length_cap(guarded):
    sender = f"cap-{uuid.uuid4().hex[:8]}"
    url = f"{guarded.url}/webhooks/rest/webhook"
    last = None
    for i in range(10):
        last = httpx.post(url, json={"sender": sender, "message": f"turn {i}"}, timeout=30)
        time.sleep(0.15)
    assert last is not None and last.status_code == 429
    assert last.json()[0]["custom"]["conversation_full"] is True
    assert len(_received(guarded, sender)) == SETTINGS["max_turns"]


# ---------------------------------------------------------------- finding 4: ids


def test_socket_ids_are_server_issued(guarded):
    async def scenario() -> list[dict]:
        client = Client(guarded.url)
        await client.connect()
        try:
            return [
                await client.session("x" * 60_000),
                await client.session("line\nbreak"),
                await client.session({"a": 1}),
            ]
        finally:
            await client.close()

    for confirmed in _run(scenario()):
        assert confirmed["session_id"].startswith("web-") and len(confirmed["session_id"]) == 36


def test_socket_packets_are_capped(guarded):
    """A 100,000-character id (or message) is over the 64 KB packet cap: the server refuses
    the packet unread, so it is neither answered nor stored."""

    async def scenario() -> bool:
        client = Client(guarded.url)
        await client.connect()
        try:
            await client.session("x" * 100_009)
        except asyncio.TimeoutError:
            return False
        finally:
            await client.close()
        return True

    assert _run(scenario()) is False


@pytest.mark.parametrize("sender", ["x" * 65, "line\nbreak", "", None, ["list"]])
def test_rest_ids_are_checked(guarded, sender):
    r = httpx.post(
        f"{guarded.url}/webhooks/rest/webhook", json={"sender": sender, "message": "hello"}
    )
    assert r.status_code == 400 and "sender" in r.json()["error"]


# ---------------------------------------------------------------- finding 6: commands


def test_typed_text_is_never_a_rasa_command(guarded):
    payload = '/inform_gestational_age{"gestational_age": {"nested": 1}}'

    async def scenario() -> str:
        client = Client(guarded.url)
        await client.connect()
        try:
            sid = (await client.session())["session_id"]
            await client.say("/deny", sid)  # typed
            await client.say("/deny", sid, button=True)  # a button press
            await client.say(payload, sid, button=True)  # a forged button
            return sid
        finally:
            await client.close()

    sid = _run(scenario())
    assert _received(guarded, sid) == ["deny", "/deny", payload[1:]]


# ---------------------------------------------------------------- idempotency


def test_a_repeated_message_id_is_processed_once(guarded):
    sender = f"retry-{uuid.uuid4().hex[:8]}"
    url = f"{guarded.url}/webhooks/rest/webhook"
    body = {"sender": sender, "message": "pressure down below", "message_id": uuid.uuid4().hex}

    async def twice_at_once() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(client.post(url, json=body), client.post(url, json=body))

    first, second = _run(twice_at_once())
    third = httpx.post(url, json=body, timeout=30)
    assert first.json() == second.json() == third.json()
    assert _received(guarded, sender) == ["pressure down below"]
    bad = httpx.post(url, json={**body, "message_id": "no spaces allowed"}, timeout=30)
    assert bad.status_code == 400


def test_socket_repeat_is_answered_from_the_first_reply(guarded):
    async def scenario() -> tuple[str, list[dict], list[dict]]:
        client = Client(guarded.url)
        await client.connect()
        try:
            sid = (await client.session())["session_id"]
            first = await client.say("pressure down below", sid, message_id="a1b2c3d4e5f6")
            again = await client.say("pressure down below", sid, message_id="a1b2c3d4e5f6")
            return sid, first, again
        finally:
            await client.close()

    sid, first, again = _run(scenario())
    assert first and again == first
    assert _received(guarded, sid) == ["pressure down below"]


# ---------------------------------------------------------------- a failed save (issue 11, item 6)


def test_a_reply_that_was_not_saved_is_never_sent(guarded):
    """Rasa saves a conversation after making its replies. When the save fails (the database
    is down), the patient gets the safety net, never a reply the store does not know about."""
    sender = f"unsaved-{uuid.uuid4().hex[:8]}"
    r = httpx.post(
        f"{guarded.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": "fail after replying"},
        timeout=30,
    )
    assert r.status_code == 200
    assert [m["custom"]["safety_net"] for m in r.json()] == [True]
    assert "never saved" not in r.text and "999" in r.text

    async def scenario() -> list[dict]:
        client = Client(guarded.url)
        await client.connect()
        try:
            sid = (await client.session())["session_id"]
            return await client.say("fail after replying", sid)
        finally:
            await client.close()

    answers = _run(scenario())
    assert [a["custom"]["safety_net"] for a in answers] == [True]
    assert not any("never saved" in (a.get("text") or "") for a in answers)
