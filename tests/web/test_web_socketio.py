"""The socket.io trap of Rasa 3.6.21 (Rasa issue 13027) and the CORS the widget needs.

Rasa 3.6.21's socket.io channel calls `sio.enter_room(sid, session_id)` without `await`. From
python-socketio 5.10 on, AsyncServer.enter_room is a coroutine, so with
`session_persistence: true` the room is never joined: the bot answers, but its bot_uttered
goes to an empty room and the browser never sees it. python-socketio is pinned to 5.9.0 in
requirements.in; these tests fail if it moves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import urllib.request
import uuid
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def test_python_socketio_is_below_5_10():
    installed = version("python-socketio")
    assert _version_tuple(installed) < (5, 10), (
        f"python-socketio {installed}: Rasa 3.6.21 calls enter_room without await, which from "
        "5.10 on means the browser never receives bot_uttered with session_persistence "
        "(Rasa issue 13027). Keep python-socketio==5.9.0."
    )


def test_requirements_pin_python_socketio():
    for name in ("requirements.in", "requirements.lock"):
        path = REPO / name
        if not path.exists():
            continue
        pins = re.findall(r"^python-socketio==(\S+)", path.read_text(), re.M)
        assert pins, f"{name} does not pin python-socketio"
        assert all(_version_tuple(p) < (5, 10) for p in pins), (name, pins)


async def _converse(url: str, text: str, timeout: float) -> tuple[str, list[dict]]:
    """session_request, then user_uttered; returns the confirmed id and the bot's messages."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    answers: list[dict] = []
    answered = asyncio.Event()

    @client.on("session_confirm")
    async def _confirm(data):
        if not confirmed.done():
            confirmed.set_result(data)

    @client.on("bot_uttered")
    async def _bot(data):
        answers.append(data)
        answered.set()

    session_id = uuid.uuid4().hex
    # polling: python-engineio's websocket client needs a newer aiohttp than rasa allows
    await client.connect(
        url, transports=["polling"], socketio_path="socket.io", wait_timeout=timeout
    )
    try:
        await client.emit("session_request", {"session_id": session_id})
        got = await asyncio.wait_for(confirmed, timeout)
        confirmed_id = got["session_id"] if isinstance(got, dict) else got
        await client.emit("user_uttered", {"message": text, "session_id": confirmed_id})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(answered.wait(), timeout)
        await asyncio.sleep(0.5)  # the rest of a multi-message answer
    finally:
        await client.disconnect()
    return confirmed_id, answers


def _run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests' session
    fixture) keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _assert_answered(url: str, text: str, timeout: float) -> list[dict]:
    confirmed_id, answers = _run(_converse(url, text, timeout))
    assert isinstance(confirmed_id, str) and confirmed_id
    assert answers, (
        f"no bot_uttered within {timeout}s for {text!r} with session_persistence: the room was "
        f"not joined (python-socketio {version('python-socketio')}; Rasa issue 13027?)"
    )
    return answers


def test_rasa_socketio_channel_delivers_bot_uttered(stock_rasa_bot):
    """Rasa's own SocketIOInput (session_persistence: true) with the installed python-socketio:
    the regression of Rasa issue 13027 shows here as no bot_uttered at all."""
    answers = _assert_answered(stock_rasa_bot.url, "hello", timeout=15)
    assert answers[0]["text"].startswith("Hello")


def test_project_socketio_channel_delivers_bot_uttered(scripted_bot):
    """The project's channel (channels/socketio.py) with session_persistence: one message
    carrying text, quick replies and the triage payload together."""
    answers = _assert_answered(scripted_bot.url, "pressure down below", timeout=15)
    assert answers[0]["quick_replies"][0]["title"] == "Under 14 weeks"


@pytest.mark.e2e
def test_trained_bot_delivers_bot_uttered(real_bot):
    """The same regression check against the real bot started by tests/conftest.py."""
    answers = _assert_answered(real_bot.rasa_url, "hello", timeout=60)
    assert any(isinstance(a, dict) and (a.get("text") or a.get("quick_replies")) for a in answers)


def _cors_header(url: str, origin: str) -> str | None:
    req = urllib.request.Request(
        f"{url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        return r.headers.get("Access-Control-Allow-Origin")


def test_rasa_cors_lets_the_demo_page_poll(stock_rasa_bot, scripted_bot):
    """Rasa's `--cors` set-up (rasa.server.configure_cors) answers the socket.io polling
    transport from another origin. Without `--cors` the browser would block polling."""
    for bot in (stock_rasa_bot, scripted_bot):
        assert _cors_header(bot.url, "http://localhost:8080") == "http://localhost:8080"


@pytest.mark.e2e
def test_trained_bot_allows_cross_origin_polling(real_bot):
    origin = "http://127.0.0.1:8080"
    assert _cors_header(real_bot.rasa_url, origin) in (origin, "*"), (
        "start rasa with --cors matching the page's origin (or '*') so the widget's polling "
        "fallback works from the clinic page"
    )
