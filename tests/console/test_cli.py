"""The account commands, run as an operator runs them (subprocess, real argon2 cost)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from console import audit, migrate, throttle
from console.config import Settings, load_secret, resolve_db_url
from tests.console.conftest import ADMIN, NURSE, SECRET, csrf_of, login


def test_create_user_from_stdin_and_log_in(cli, client, engine):
    result = cli(
        "create-user",
        "midwife.kim",
        "--role",
        "nurse",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    assert "created nurse account 'midwife.kim'" in result.stdout
    assert "a long enough password" not in result.stdout + result.stderr
    assert login(client, "midwife.kim", "a long enough password").status_code == 303
    created = audit.entries(engine, action="create_user")[0][0]
    assert created.username.startswith("cli:") and created.detail == {
        "role": "nurse",
        "user": "midwife.kim",
    }


def test_create_user_from_environment(cli, client):
    result = cli(
        "create-user",
        "admin.lee",
        "--role",
        "admin",
        env={"CONSOLE_NEW_PASSWORD": "another long password"},
    )
    assert result.returncode == 0, result.stderr
    assert login(client, "admin.lee", "another long password").status_code == 303
    assert client.get("/admin/audit").status_code == 200


def test_short_password_is_refused(cli, engine):
    result = cli(
        "create-user", "nurse.short", "--role", "nurse", "--password-stdin", stdin="elevenchars\n"
    )
    assert result.returncode == 2
    assert "at least 12 characters" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM console_users")).scalar() == 0


def test_no_password_source_is_an_error(cli):
    result = cli(
        "create-user", "nurse.nopw", "--role", "nurse"
    )  # no tty, no env, no --password-stdin
    assert result.returncode == 2
    assert "--password-stdin" in result.stderr


def test_duplicate_and_bad_role(cli):
    assert (
        cli(
            "create-user",
            "dup.user",
            "--role",
            "nurse",
            "--password-stdin",
            stdin="long enough password\n",
        ).returncode
        == 0
    )
    again = cli(
        "create-user",
        "DUP.user",
        "--role",
        "nurse",
        "--password-stdin",
        stdin="long enough password\n",
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (
        cli(
            "create-user",
            "x.y",
            "--role",
            "doctor",
            "--password-stdin",
            stdin="long enough password\n",
        ).returncode
        == 2
    )


def test_set_password_disable_unlock_list(cli, client):
    cli(
        "create-user",
        "nurse.pat",
        "--role",
        "nurse",
        "--password-stdin",
        stdin="first long password\n",
    )
    assert (
        cli(
            "set-password", "nurse.pat", "--password-stdin", stdin="second long password\n"
        ).returncode
        == 0
    )
    assert login(client, "nurse.pat", "first long password").status_code == 401
    assert login(client, "nurse.pat", "second long password").status_code == 303
    client.cookies.clear()
    assert cli("disable-user", "nurse.pat").returncode == 0
    assert login(client, "nurse.pat", "second long password").status_code == 401
    assert cli("disable-user", "nurse.pat", "--enable").returncode == 0
    assert cli("unlock-user", "nurse.pat").returncode == 0
    listing = cli("list-users")
    assert "nurse.pat\tnurse\tactive" in listing.stdout


def test_migrate_command(cli, engine):
    result = cli("migrate")
    assert result.returncode == 0
    assert f"revision {migrate.head_revision(engine)}" in result.stdout


def test_no_default_account(engine, client):
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM console_users")).scalar() == 0
    for name, password in (("admin", "admin"), ("admin", "password"), ("nurse", "nurse")):
        assert login(client, name, password).status_code == 401


def test_secret_file_is_created_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSOLE_SECRET_KEY", raising=False)
    first = load_secret(tmp_path)
    path = tmp_path / "var" / "console_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(tmp_path) == first and len(first) >= 32
    os.chmod(path, 0o644)
    load_secret(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "from-the-environment-" * 2)
    assert load_secret(tmp_path) == "from-the-environment-" * 2


def test_default_database_is_var_conversations_db(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "k" * 40)
    settings = Settings.from_env(tmp_path)
    assert settings.db_url == f"sqlite:///{tmp_path / 'var' / 'conversations.db'}"
    assert resolve_db_url("postgres://u@h/db") == "postgresql://u@h/db"
    assert (
        resolve_db_url("postgresql://postgres@127.0.0.1:5432/x")
        == "postgresql://postgres@127.0.0.1:5432/x"
    )


def test_timezone_from_clinic_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSOLE_TIMEZONE", raising=False)
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("CLINIC_CONFIG", raising=False)
    repo_clinic = (Path(__file__).resolve().parents[2] / "clinic.yml").read_text()
    clinic = repo_clinic.replace("timezone: Europe/London", "timezone: America/Toronto")
    (tmp_path / "clinic.yml").write_text(clinic)
    # The same loader as the bot's (triage.load_clinic): one reader of clinic.yml.
    assert Settings.from_env(tmp_path).timezone == "America/Toronto"
    (tmp_path / "clinic.yml").write_text("clinic_name: X\ntimezone: Europe/London\n")
    assert Settings.from_env(tmp_path).timezone == "UTC"  # invalid file: UTC, still starts
    monkeypatch.setenv("CONSOLE_TIMEZONE", "Europe/Dublin")
    assert Settings.from_env(tmp_path).timezone == "Europe/Dublin"


def test_logout_form_is_on_every_page(nurse_client):
    page = nurse_client.get("/")
    assert 'action="/logout"' in page.text and csrf_of(page.text)


def test_set_password_ends_the_accounts_sessions(cli, client, users):
    """Before issue 14 a stolen session outlived the password reset meant to stop it."""
    assert login(client, *NURSE).status_code == 303
    with TestClient(client.app, base_url="http://testserver") as admin:
        assert login(admin, *ADMIN).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 200
        changed = cli("set-password", NURSE[0], "--password-stdin", stdin="a brand new password\n")
        assert changed.returncode == 0, changed.stderr
        assert "1 session(s) ended" in changed.stdout
        assert client.get("/", follow_redirects=False).status_code == 401  # logged out
        assert admin.get("/", follow_redirects=False).status_code == 200  # others unaffected


def test_unlock_address(cli, engine):
    settings = Settings(db_url="sqlite://", secret_key=SECRET, ip_free_failures=1)
    throttle.reserve(engine, "someone", "198.51.100.5", settings)
    assert throttle.reserve(engine, "someone.else", "198.51.100.5", settings) > 0
    result = cli("unlock-address", "198.51.100.5")
    assert result.returncode == 0, result.stderr
    assert throttle.reserve(engine, "someone.else", "198.51.100.5", settings) == 0
    rows, _ = audit.entries(engine, action="unlock_address")
    assert rows[0].detail == {"address": "198.51.100.5"}
