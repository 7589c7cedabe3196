"""make cluster's pieces that can be checked in a second: HAProxy accepts deploy/haproxy.cfg
with the cluster's settings, the configuration routes what docs/deployment.md says, and
make cluster-stop stops exactly the processes named by its pid files. The cluster itself (two
Rasa servers, 100 messages for one conversation at once through HAProxy) is measured by
``python -m eval cluster``: its start-up alone (two models) exceeds this suite's budget."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from eval.servers import ROOT, free_port

CONFIG = ROOT / "deploy" / "haproxy.cfg"


def cluster_env(tmp_path: Path) -> dict[str, str]:
    """The settings scripts/cluster_env.sh exports, read by sourcing it."""
    out = subprocess.run(
        ["bash", "-c", 'source scripts/common.sh && source scripts/cluster_env.sh && env -0'],
        cwd=ROOT,
        env={**os.environ, "CLUSTER_DIR": str(tmp_path)},
        capture_output=True,
        check=True,
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (setup)")
def test_haproxy_accepts_the_configuration(tmp_path):
    env = cluster_env(tmp_path)
    assert (env["BOT_PORT"], env["RASA_1_PORT"], env["RASA_2_PORT"]) == ("5005", "5006", "5007")
    assert (env["ACTIONS_PORT"], env["ACTIONS_1_PORT"], env["ACTIONS_2_PORT"]) == (
        "5055",
        "5056",
        "5057",
    )
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"
    assert env["POSTGRES_DB"] == "triage"
    check = subprocess.run(
        ["haproxy", "-c", "-f", str(CONFIG)], env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_configuration_routes_as_documented():
    text = CONFIG.read_text()
    blocks = {block.split()[0]: block for block in text.split("\nbackend ")[1:] if block.strip()}
    assert "balance roundrobin" in blocks["rasa_rest"]
    # socket.io: no cookie (a third-party cookie on the clinic's site), client-address hashing
    directives = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert "cookie" not in directives
    assert "balance source" in blocks["rasa_socketio"]
    assert "GET /health" in blocks["actions"] and "retry-on" in blocks["actions"]
    for name in ("rasa_rest", "rasa_socketio", "actions"):
        assert blocks[name].count(" check\n") == 2, name
    assert "fall 2" in text and "inter 1s" in text


def test_cluster_stop_stops_what_the_pid_files_name(tmp_path):
    ours = subprocess.Popen(["sleep", "60"], cwd=ROOT)
    elsewhere = subprocess.Popen(["sleep", "60"], cwd=tmp_path)  # not started from the repo
    try:
        (tmp_path / "rasa-1.pid").write_text(str(ours.pid))
        (tmp_path / "haproxy.pid").write_text(str(elsewhere.pid))
        (tmp_path / "cluster.env").write_text("export ACTION_SERVER_TOKEN=secret\n")
        started = time.monotonic()
        subprocess.run(
            [str(ROOT / "scripts" / "cluster_stop.sh")],
            env={**os.environ, "CLUSTER_DIR": str(tmp_path)},
            check=True,
            capture_output=True,
        )
        assert ours.wait(timeout=5) == -15  # SIGTERM
        assert elsewhere.poll() is None  # a recycled pid is left alone
        assert not list(tmp_path.glob("*.pid")) and not (tmp_path / "cluster.env").exists()
        assert time.monotonic() - started < 10
    finally:
        for proc in (ours, elsewhere):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_make_has_the_cluster_targets():
    makefile = (ROOT / "Makefile").read_text()
    assert "\ncluster:\n\tscripts/cluster.sh" in makefile
    assert "\ncluster-stop:\n\tscripts/cluster_stop.sh" in makefile


class _Backend(ThreadingHTTPServer):
    """A stand-in Rasa server for HAProxy: healthy on GET /; on a REST message it either
    answers with its name or, when ``dies`` is set, closes the connection without a word (a
    server killed while taking the request)."""

    daemon_threads = True

    def __init__(self, name: str, dies: bool) -> None:
        self.name, self.dies, self.messages = name, dies, 0
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Backend

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(b"ok")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.messages += 1
        if self.server.dies:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(json.dumps([{"text": self.server.name}]).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (setup)")
def test_a_message_with_an_id_is_sent_again_when_a_server_dies_under_it(tmp_path):
    """deploy/haproxy.cfg, run by the real HAProxy: a REST message with a message id that a
    dying server swallowed is sent to the other server; one without an id is not (it may
    have been processed), and its client gets the 502."""
    dying, healthy = _Backend("dying", dies=True), _Backend("healthy", dies=False)
    for server in (dying, healthy):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "CLUSTER_DIR": str(tmp_path),
        "CLUSTER_HOST": "127.0.0.1",
        "BOT_PORT": str(free_port()),
        "RASA_1_PORT": str(dying.server_address[1]),
        "RASA_2_PORT": str(healthy.server_address[1]),
        "ACTIONS_PORT": str(free_port()),
        "ACTIONS_1_PORT": str(free_port()),
        "ACTIONS_2_PORT": str(free_port()),
    }
    haproxy = subprocess.Popen(
        ["haproxy", "-f", str(CONFIG)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{env['BOT_PORT']}/webhooks/rest/webhook"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(url.replace("/webhooks/rest/webhook", "/"), timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with_id = [
            httpx.post(
                url,
                json={"sender": "s1", "message": f"hi {n}", "message_id": f"id-{n:08d}"},
                timeout=10,
            )
            for n in range(4)
        ]
        assert [r.status_code for r in with_id] == [200] * 4
        assert {r.json()[0]["text"] for r in with_id} == {"healthy"}
        assert dying.messages >= 1  # round robin sent some there first
        seen = dying.messages
        # A message id inside the text is not a message id.
        without_id = [
            httpx.post(url, json={"sender": "s1", "message": 'my "message_id" is'}, timeout=10)
            for _ in range(4)
        ]
        assert 502 in [r.status_code for r in without_id]
        assert dying.messages > seen
    finally:
        haproxy.terminate()
        haproxy.wait(timeout=10)
        for server in (dying, healthy):
            server.shutdown()
