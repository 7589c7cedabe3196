"""The action server entry point (actions/server.py) over real HTTP: the shared secret, quiet
client errors, and the header that Rasa's action calls carry (endpoints.yml read by Rasa's own
reader, sent through rasa_patches/action_http.py's kept-open session). Each server here starts in
about 2 s; every e2e test of the bot (eval/servers.py start_bot) also runs with a token."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, read_endpoint_config

import channels  # noqa: F401 - installs the kept-open session, as the Rasa server does
from actions.server import TOKEN_ENV, TOKEN_HEADER
from eval.servers import ROOT, start_action_server

# A real action call (rasa_sdk's /webhook body) for the fallback action, which reads nothing.
CALL = {
    "next_action": "action_fallback",
    "sender_id": "test-action-server",
    "version": "3.6.21",
    "domain": {},
    "tracker": {
        "sender_id": "test-action-server",
        "slots": {},
        "latest_message": {"text": "", "intent": {}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    },
}


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[Server]:
    server = Server(*start_action_server(tmp_path_factory.mktemp("guarded"), token=TOKEN))
    yield server
    server.stop()


def post(url: str, headers: dict | None = None, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/webhook", headers=headers or {}, timeout=10, **kwargs)


def test_health_is_open_for_the_load_balancer(guarded):
    assert httpx.get(f"{guarded.url}/health", timeout=5).json() == {"status": "ok"}


@pytest.mark.parametrize("headers", [{}, {TOKEN_HEADER: ""}, {TOKEN_HEADER: TOKEN[:-1] + "x"}])
def test_webhook_without_the_right_token_is_refused(guarded, headers):
    response = post(guarded.url, headers, json=CALL)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert httpx.get(f"{guarded.url}/actions", headers=headers, timeout=5).status_code == 401


def test_webhook_with_the_token_runs_the_action(guarded):
    response = post(guarded.url, {TOKEN_HEADER: TOKEN}, json=CALL)
    assert response.status_code == 200, response.text
    assert response.json()["responses"][0]["text"]


def test_client_errors_keep_their_status_without_a_traceback(guarded):
    auth = {TOKEN_HEADER: TOKEN}
    assert httpx.get(f"{guarded.url}/no/such/path", headers=auth, timeout=5).status_code == 404
    assert httpx.get(f"{guarded.url}/webhook", headers=auth, timeout=5).status_code == 405
    assert post(guarded.url, auth, content=b"not json").status_code == 400
    unknown = post(guarded.url, auth, json={**CALL, "next_action": "action_nope"})
    assert unknown.status_code == 404
    # Refused and unknown requests are answered before any handler: no 500, no traceback.
    assert httpx.get(f"{guarded.url}/no/such/path", timeout=5).status_code in (401, 404)
    log = guarded.log.read_text(errors="replace")
    assert "Traceback" not in log and " 500" not in log


def _rasa_endpoint(url: str, monkeypatch, token: str | None) -> EndpointConfig:
    """The action endpoint as the Rasa server reads it from endpoints.yml, pointed at ``url``."""
    if token is None:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(TOKEN_ENV, token)
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    assert config is not None
    return EndpointConfig(url=f"{url}/webhook", headers=config.headers)


def test_rasa_sends_the_header_from_endpoints_yml_through_the_kept_open_session(
    guarded, monkeypatch
):
    async def go(endpoint: EndpointConfig) -> list:
        return [await endpoint.request(json=CALL, method="post") for _ in range(3)]

    answers = asyncio.run(go(_rasa_endpoint(guarded.url, monkeypatch, TOKEN)))
    assert all(answer["responses"] for answer in answers)

    with pytest.raises(ClientResponseError) as refused:
        asyncio.run(go(_rasa_endpoint(guarded.url, monkeypatch, "wrong")))
    assert refused.value.status == 401


def test_rasa_will_not_start_with_the_variable_unset(monkeypatch):
    """What docs/deployment.md says: endpoints.yml needs ACTION_SERVER_TOKEN (make run sets it)."""
    with pytest.raises(RasaException, match=TOKEN_ENV):
        _rasa_endpoint("http://127.0.0.1:1", monkeypatch, None)


def test_without_a_token_the_server_accepts_calls_as_before(tmp_path, monkeypatch):
    server = Server(*start_action_server(tmp_path))
    try:
        assert post(server.url, json=CALL).status_code == 200
        # An empty token in endpoints.yml sends an empty header, which this server ignores.
        endpoint = _rasa_endpoint(server.url, monkeypatch, "")
        assert asyncio.run(endpoint.request(json=CALL, method="post"))["responses"]
        assert httpx.get(f"{server.url}/nope", timeout=5).status_code == 404
        assert "Traceback" not in server.log.read_text(errors="replace")
    finally:
        server.stop()
