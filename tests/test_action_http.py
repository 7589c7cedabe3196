"""rasa_patches.action_http: Rasa's calls to the action server reuse one open connection."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

import channels  # noqa: F401 - installs the shared session, as the Rasa server does
from rasa_patches import action_http


async def serve(handler):
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/webhook"


async def calls(n: int) -> tuple[list, set]:
    peers: set = set()

    async def handler(request):
        peers.add(request.transport.get_extra_info("peername")[1])
        body = await request.json()
        return web.json_response({"events": [], "responses": [{"text": f"reply {body['n']}"}]})

    runner, url = await serve(handler)
    try:
        endpoint = EndpointConfig(url)
        answers = [await endpoint.request(json={"n": i}, method="post") for i in range(n)]
    finally:
        await runner.cleanup()
    return answers, peers


def test_installed_by_the_channels_package():
    assert EndpointConfig.session is action_http.shared_session
    assert EndpointConfig.request is action_http.request_with_one_retry


def test_consecutive_action_calls_share_one_connection():
    answers, peers = asyncio.run(calls(5))
    assert [a["responses"][0]["text"] for a in answers] == [f"reply {i}" for i in range(5)]
    assert len(peers) == 1  # Rasa's own session() would have opened five connections


def test_a_new_event_loop_gets_a_new_session():
    asyncio.run(calls(1))
    answers, _ = asyncio.run(calls(2))  # the first loop's session is bound to a closed loop
    assert len(answers) == 2


async def answers_after(failures: list, record: list):
    """A server whose first responses are ``failures`` ("close": the connection is cut before
    any answer; a number: that HTTP status), then normal answers; ``record`` counts calls."""

    async def handler(request):
        record.append(request)
        if len(record) <= len(failures):
            failure = failures[len(record) - 1]
            if failure == "close":
                request.transport.close()
                return web.Response()
            return web.json_response({"error": "proxy"}, status=failure)
        return web.json_response({"events": [], "responses": [{"text": "answered"}]})

    return await serve(handler)


@pytest.mark.parametrize("failure", ["close", 502, 503, 504])
def test_a_request_the_server_never_answered_is_sent_once_more(failure):
    calls: list = []

    async def go():
        runner, url = await answers_after([failure], calls)
        try:
            return await EndpointConfig(url).request(json={"n": 1}, method="post")
        finally:
            await runner.cleanup()

    assert asyncio.run(go())["responses"][0]["text"] == "answered"
    assert len(calls) == 2


def calls_before_the_error(failures: list, error: type) -> int:
    """Sends one request to a server answering ``failures`` first; asserts that ``error`` is
    raised (as Rasa's own request raised it) and returns how many requests the server saw."""
    calls: list = []

    async def go():
        runner, url = await answers_after(failures, calls)
        try:
            with pytest.raises(error):
                await EndpointConfig(url).request(json={}, method="post")
        finally:
            await runner.cleanup()

    asyncio.run(go())
    return len(calls)


@pytest.mark.parametrize("failure", [500, 400])
def test_an_answer_of_the_action_server_is_not_retried(failure):
    from rasa.utils.endpoints import ClientResponseError

    assert calls_before_the_error([failure], ClientResponseError) == 1


def test_only_one_retry_then_the_error():
    assert calls_before_the_error(["close", "close", "close"], aiohttp.ClientConnectionError) == 2
