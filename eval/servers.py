"""Starts the real bot (Rasa server + action server): for the evaluation (vignettes, bench)
and for the integration and browser tests, which import it from here (the product never imports
test code).

Each test session trains nothing itself: scripts/train.sh (called by the test command, or here
when TRIAGE_MODEL is unset) returns the model for the current data, cached by content hash.
Servers run on free ports with their own endpoints file, so a `make run` on the default ports
is never disturbed, and their logs are kept so tests can check that no patient text is logged.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import yaml

from actions.server import TOKEN_ENV, TOKEN_HEADER

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"


PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url(name: str) -> str:
    """The URL of database ``name`` on the local PostgreSQL (127.0.0.1:5432, trust auth)."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for a test or a measurement, dropped afterwards with
    whatever still holds a connection to it. Yields its name (``pg_url(name)`` for the URL).
    The one copy of this for the tests and the evaluation."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield name
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def model_path() -> str:
    model = os.environ.get("TRIAGE_MODEL")
    if model and Path(model).exists():
        return model
    out = subprocess.run(
        [str(ROOT / "scripts" / "train.sh")], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def server_env() -> dict:
    """The environment of every Rasa process the evaluation and the tests start."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        LOG_LEVEL="INFO",
    )
    env.setdefault("SANIC_HOST", "127.0.0.1")  # the action server: loopback only
    return env


@dataclass
class Bot:
    rasa_url: str
    actions_url: str
    db_url: str
    log_dir: Path
    processes: list = field(default_factory=list)
    action_token: str = ""

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def send(self, sender: str, text: str, timeout: float = 30) -> list[dict]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited ({proc.returncode}); log:\n{log.read_text()[-4000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"server at {url} not ready after {timeout}s; log:\n{log.read_text()[-4000:]}"
    )


def action_server_command(port: int) -> list[str]:
    """Our action server entry point (actions/server.py), as scripts/run.sh starts it."""
    return [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(port)]


def start_action_server(
    workdir: Path, token: str | None = None, port: int | None = None
) -> tuple[subprocess.Popen, str, Path]:
    """Starts the action server alone (with ``token`` as its shared secret when given) and
    waits for its health check; returns the process, its base URL and its log file."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = server_env()
    env.pop(TOKEN_ENV, None)
    if token:
        env[TOKEN_ENV] = token
    log = workdir / "actions.log"
    proc = subprocess.Popen(
        action_server_command(port),
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/health", proc, log, timeout=60)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return proc, url, log


def start_bot(
    workdir: Path,
    tracker_store: dict | None = None,
    lock_store: dict | None = None,
    db_url: str | None = None,
    model: str | None = None,
    start_actions: bool = True,
) -> Bot:
    """Starts the action server and Rasa with the given stores (default: SQLite in workdir)."""
    workdir.mkdir(parents=True, exist_ok=True)
    model = model or model_path()  # before any process starts, so a failed training leaves none
    if tracker_store is None:
        db_file = workdir / "conversations.db"
        tracker_store = {
            "type": "store.tracker_store.TriageTrackerStore",
            "dialect": "sqlite",
            "db": str(db_file),
        }
        db_url = f"sqlite:///{db_file}"
    actions_port, rasa_port = free_port(), free_port()
    # The action server's shared secret, as scripts/run.sh sets one per start: every test that
    # talks to the bot also checks that Rasa's calls (rasa_patches/action_http.py) carry it.
    token = secrets.token_urlsafe(24)
    endpoints = {
        "action_endpoint": {
            "url": f"http://127.0.0.1:{actions_port}/webhook",
            "enable_selective_domain": True,
            "headers": {TOKEN_HEADER: token},
        },
        "tracker_store": tracker_store,
    }
    if lock_store:
        endpoints["lock_store"] = lock_store
    endpoints_file = workdir / "endpoints.yml"
    endpoints_file.write_text(yaml.safe_dump(endpoints))
    env = server_env()
    bot = Bot(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        actions_url=f"http://127.0.0.1:{actions_port}",
        db_url=db_url or "",
        log_dir=workdir,
        action_token=token,
    )
    actions_log = workdir / "actions.log"
    actions = None
    if start_actions:
        actions = subprocess.Popen(
            action_server_command(actions_port),
            cwd=ROOT,
            env={**env, TOKEN_ENV: token},
            stdout=actions_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        bot.processes.append(actions)
    rasa_log = workdir / "rasa.log"
    rasa = subprocess.Popen(
        [
            str(VENV_BIN / "rasa"),
            "run",
            "--model",
            model,
            "--port",
            str(rasa_port),
            "--interface",
            "127.0.0.1",
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--endpoints",
            str(endpoints_file),
            "--cors",
            "*",
        ],
        cwd=ROOT,
        env=env,
        stdout=rasa_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    bot.processes.append(rasa)
    try:
        if actions:
            _wait(f"{bot.actions_url}/health", actions, actions_log)
        _wait(f"{bot.rasa_url}/", rasa, rasa_log)
    except Exception:
        bot.stop()
        raise
    return bot
