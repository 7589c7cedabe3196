"""Fixtures for the widget's tests: the demo server, a scripted Rasa socket.io channel, and
headless Chromium (the fixture `chromium` in tests/conftest.py).

The real trained bot comes from the session fixture `bot` in tests/conftest.py (attributes
`rasa_url`, `db_url`); `real_bot` below skips the test when that fixture is not defined.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "reports" / "screenshots"
VENDOR = REPO / "web" / "static" / "vendor" / "socket.io.min.js"
BUILD_HINT = "npm ci --prefix web && node web/build.js"

if str(REPO) not in sys.path:  # `import web` (the demo server) however pytest is started
    sys.path.insert(0, str(REPO))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: end-to-end test in headless Chromium (Debian's /usr/bin/chromium)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(
    url: str, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            detail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"process for {url} exited with {proc.returncode}:\n{detail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s: {last}")


class Proc:
    """A child process we started, stopped by its own pid (never by name)."""

    def __init__(self, args: list[str], log: Path, health_url: str, timeout: float = 90) -> None:
        self.args = args
        self.log = log
        self.health_url = health_url
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.args,
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        fh.close()
        wait_http(self.health_url, self.timeout, self.proc, self.log)
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


class ScriptedBot:
    """tests/web/scripted_bot.py: a real socket.io channel answering from a script."""

    def __init__(
        self,
        workdir: Path,
        cors: str = "*",
        channel: str = "project",
        settings: dict | None = None,
        delay: float | None = None,
    ) -> None:
        self.port = free_port()
        self.channel = channel
        self.url = f"http://127.0.0.1:{self.port}"
        self.received_log = workdir / f"received-{self.port}.jsonl"
        self.proc = Proc(
            [
                sys.executable,
                str(REPO / "tests" / "web" / "scripted_bot.py"),
                "--port",
                str(self.port),
                "--cors",
                cors,
                "--log",
                str(self.received_log),
                "--channel",
                channel,
                *(["--settings", json.dumps(settings)] if settings is not None else []),
                *(["--delay", str(delay)] if delay is not None else []),
            ],
            workdir / f"scripted-bot-{channel}-{self.port}.log",
            f"{self.url}/socket.io/?EIO=4&transport=polling",
        )

    def start(self) -> ScriptedBot:
        self.proc.start()
        return self

    def stop(self) -> None:
        self.proc.stop()

    def received(self) -> list[dict]:
        if not self.received_log.exists():
            return []
        return [json.loads(line) for line in self.received_log.read_text().splitlines() if line]


@pytest.fixture(scope="session")
def vendor_built() -> Path:
    """socket.io-client and the bundled widget, built and newer than the widget's sources."""
    from web.server import build_problem

    problem = build_problem()
    if problem:
        pytest.fail(f"{problem}: run `{BUILD_HINT}` (the set-up does)")
    return VENDOR


@pytest.fixture(scope="session")
def scripted_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedBot]:
    bot = ScriptedBot(tmp_path_factory.mktemp("scripted-bot")).start()
    yield bot
    bot.stop()


@pytest.fixture(scope="session")
def stock_rasa_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedBot]:
    """The scripted bot behind Rasa's own socket.io channel (rasa.core.channels.socketio)."""
    bot = ScriptedBot(tmp_path_factory.mktemp("stock-rasa-bot"), channel="rasa").start()
    yield bot
    bot.stop()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory, vendor_built: Path):
    """A factory: demo_server(bot_url) -> base URL of `python -m web` pointed at that bot."""
    started: dict[str, tuple[Proc, str]] = {}
    workdir = tmp_path_factory.mktemp("demo-server")

    def start(bot_url: str) -> str:
        if bot_url not in started:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = Proc(
                [
                    sys.executable,
                    "-m",
                    "web",
                    "--port",
                    str(port),
                    "--bot-url",
                    bot_url,
                    "--log-level",
                    "warning",
                ],
                workdir / f"web-{port}.log",
                f"{base}/healthz",
                timeout=30,
            ).start()
            started[bot_url] = (proc, base)
        return started[bot_url][1]

    yield start
    for proc, _ in started.values():
        proc.stop()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def real_bot(request: pytest.FixtureRequest):
    """The trained bot from tests/conftest.py, or a skip while that fixture does not exist."""
    try:
        return request.getfixturevalue("bot")
    except pytest.FixtureLookupError:
        pytest.skip("no `bot` fixture (tests/conftest.py) to start the trained bot")
