"""Fixtures for the console tests: every test runs once on SQLite and once on PostgreSQL.

Real databases only. PostgreSQL is the machine's server on 127.0.0.1:5432 (trust auth, user
postgres); this run creates its own ``console_test_<random>`` database and drops it at the
end. If the server is down the fixture starts the cluster rather than skipping anything.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from console import auth, migrate
from console.app import create_app
from console.config import REPO_ROOT, Settings
from console.db import make_engine
from console.tables import metadata
from eval.servers import free_port, throwaway_database
from eval.servers import pg_url as database_url
from tests.console import rasa_events

NURSE = ("nurse.jo", "nurse password 1234")
ADMIN = ("admin.sam", "admin password 5678")
SECRET = "test-secret-" + "x" * 40


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """argon2 at its production cost takes ~0.4 s a hash here; the in-process tests use a
    cheap argon2id instead. The CLI and browser tests run subprocesses at the real cost, and
    test_login checks the production parameters."""
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    monkeypatch.setattr(auth, "_dummy_hash", None)


@pytest.fixture(scope="session")
def pg_url():
    with throwaway_database("console_test") as name:
        yield database_url(name)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('console-sqlite') / 'conversations.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def _migrated(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    rasa_events.store_for(db_url).engine.dispose()  # let Rasa create its `events` table
    engine.dispose()
    return db_url


@pytest.fixture
def engine(_migrated):
    """A clean database for each test: no events, no console rows (the schema stays)."""
    engine = make_engine(_migrated)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "console_sync_state":
                conn.execute(sa.delete(table))
        # PostgreSQL does not reuse ids: start the watermark where the sequence is, as it would
        # be on a running system (else every test would begin with a gap below its first id)
        start = 0
        if engine.dialect.name == "postgresql":
            last, called = conn.execute(
                sa.text("SELECT last_value, is_called FROM events_id_seq")
            ).one()
            start = last if called else last - 1
        conn.execute(
            sa.text(
                "UPDATE console_sync_state SET last_event_id = :s, seq = 0, gap_seen_at = NULL"
            ),
            {"s": start},
        )
    yield engine
    engine.dispose()


@pytest.fixture
def settings(engine) -> Settings:
    return Settings(
        db_url=engine.url.render_as_string(hide_password=False), secret_key=SECRET, gap_timeout=0
    )


@pytest.fixture
def app(settings, engine):
    return create_app(settings, engine)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def users(engine):
    nurse = auth.create_user(engine, NURSE[0], "nurse", NURSE[1])
    admin = auth.create_user(engine, ADMIN[0], "admin", ADMIN[1])
    return {"nurse": nurse, "admin": admin}


def login_token(client: TestClient) -> str:
    return csrf_of(client.get("/login").text)


def login(client: TestClient, username: str, password: str, next_url: str = "/"):
    token = login_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )


def text_of(page: str) -> str:
    """The page as a person reads it: tags out, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


@pytest.fixture
def nurse_client(client, users):
    assert login(client, *NURSE).status_code == 303
    return client


@pytest.fixture
def admin_client(app, users):
    with TestClient(app, base_url="http://testserver") as c:
        assert login(c, *ADMIN).status_code == 303
        yield c


@pytest.fixture
def write(engine):
    """write(sender_id, events): save a conversation with Rasa's SQLTrackerStore."""
    url = engine.url.render_as_string(hide_password=False)

    def _write(sender_id, events):
        rasa_events.save(url, sender_id, events)

    return _write


def run_cli(db_url: str, *args: str, stdin: str | None = None, env: dict | None = None):
    """``python -m console ...`` as an operator would run it, on the test database."""
    full_env = {
        **os.environ,
        "TRACKER_DB_URL": db_url,
        "CONSOLE_SECRET_KEY": SECRET,
        "PYTHONPATH": str(REPO_ROOT),
        **(env or {}),
    }
    if "CONSOLE_NEW_PASSWORD" not in (env or {}):
        full_env.pop("CONSOLE_NEW_PASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=REPO_ROOT,
        env=full_env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli(engine):
    url = engine.url.render_as_string(hide_password=False)
    return lambda *args, **kw: run_cli(url, *args, **kw)


def repo_path(*parts: str) -> Path:
    return REPO_ROOT.joinpath(*parts)


@contextlib.contextmanager
def serve_console(
    engine, cli, tmp_path, account: tuple[str, str], port: int | None = None, **extra_env: str
):
    """The real ``python -m console serve`` (uvicorn) on the test database, with the nurse
    ``account`` (name, password); yields its base URL. ``extra_env`` adds settings (the
    alerts' SMTP server, trusted proxies ...)."""
    url = engine.url.render_as_string(hide_password=False)
    name, password = account
    created = cli("create-user", name, "--role", "nurse", "--password-stdin", stdin=password + "\n")
    assert created.returncode == 0, created.stderr
    port = port or free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")},
        "TRACKER_DB_URL": url,
        "CONSOLE_SECRET_KEY": SECRET,
        "CONSOLE_POLL_SECONDS": "2",
        "PYTHONPATH": str(REPO_ROOT),
        **extra_env,
    }
    log = (tmp_path / "console.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "console.log").read_text()
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "console did not start"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
