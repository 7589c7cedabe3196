"""Login: argon2 hashes, cookie flags, lock-out, redirects, session fixation."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type

from console import audit, auth
from console.tables import login_attempts
from console.tables import users as users_table
from tests.console.conftest import ADMIN, NURSE, login, login_token


def test_production_hasher_is_argon2id():
    hasher = PasswordHasher()  # what console.auth uses outside the tests
    assert hasher.type is Type.ID
    assert hasher.time_cost >= 2 and hasher.memory_cost >= 19 * 1024


def test_password_is_stored_as_argon2_hash(engine, users):
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(users_table.c.password_hash).where(users_table.c.username == NURSE[0])
        ).scalar()
    assert stored.startswith("$argon2id$")
    assert NURSE[1] not in stored


def test_login_sets_httponly_samesite_cookie(client, users):
    response = login(client, *NURSE)
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("console_session=")
    )
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    assert not any(
        f.startswith(("max-age", "expires")) for f in flags
    )  # gone when the browser closes


def test_secure_cookie_when_configured(app, settings, users):
    from starlette.testclient import TestClient

    app.state.settings = settings.with_(cookie_secure=True)
    with TestClient(app, base_url="https://testserver") as c:
        response = login(c, *NURSE)
    cookie = next(
        x for x in response.headers.get_list("set-cookie") if x.startswith("console_session=")
    )
    assert "secure" in cookie.lower()
    assert "strict-transport-security" in response.headers


def test_wrong_password_and_unknown_user_look_the_same(client, users):
    wrong = login(client, NURSE[0], "not the password at all")
    unknown = login(client, "nobody.here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "Wrong username or password." in wrong.text
        and "Wrong username or password." in unknown.text
    )
    assert "console_session" not in wrong.headers.get("set-cookie", "")


def test_lockout_after_repeated_failures(client, users, settings, engine):
    for _ in range(settings.lockout_threshold):
        assert login(client, NURSE[0], "wrong password here").status_code == 401
    locked = login(client, *NURSE)  # even the right password is refused while locked
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert "console_session" not in locked.headers.get("set-cookie", "")
    # the other account is not affected
    assert login(client, *ADMIN).status_code == 303
    client.cookies.clear()
    # the lock ends by itself
    with engine.begin() as conn:
        conn.execute(
            sa.update(login_attempts).values(at=login_attempts.c.at - settings.lockout_duration - 1)
        )
    assert login(client, *NURSE).status_code == 303


def test_lockout_for_unknown_usernames_too(client, settings):
    for _ in range(settings.lockout_threshold):
        login(client, "ghost", "wrong password here")
    assert login(client, "ghost", "wrong password here").status_code == 429


def test_lockout_is_case_insensitive(client, users, settings):
    for i in range(settings.lockout_threshold):
        login(client, NURSE[0].upper() if i % 2 else NURSE[0], "wrong password here")
    assert login(client, *NURSE).status_code == 429


def test_success_resets_the_count(client, users, settings):
    for _ in range(settings.lockout_threshold - 1):
        login(client, NURSE[0], "wrong password here")
    assert login(client, *NURSE).status_code == 303
    client.cookies.clear()
    for _ in range(settings.lockout_threshold - 1):
        login(client, NURSE[0], "wrong password here")
    assert login(client, *NURSE).status_code == 303


def test_per_address_backoff(client, users, settings, app):
    app.state.settings = settings.with_(ip_threshold=3, lockout_threshold=100)
    for name in ("a.one", "b.two", "c.three"):
        login(client, name, "wrong password here")
    assert login(client, *NURSE).status_code == 429


def test_unlock(client, users, settings, engine):
    for _ in range(settings.lockout_threshold):
        login(client, NURSE[0], "wrong password here")
    assert login(client, *NURSE).status_code == 429
    auth.unlock(engine, NURSE[0])
    assert login(client, *NURSE).status_code == 303


def test_failed_logins_are_audited_without_password(client, users, engine):
    login(client, NURSE[0], "secret-typo-password")
    rows, _ = audit.entries(engine, action="login_failed")
    assert rows and rows[0].username == NURSE[0]
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for r in conn.execute(sa.text("SELECT * FROM console_audit")) for v in r
        )
    assert "secret-typo-password" not in dump


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/conversation/x", "/conversation/x"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_same_site_only(client, users, target, expected):
    assert login(client, *NURSE, next_url=target).headers["location"] == expected


def test_new_session_on_every_login(client, users):
    """A cookie present before login (planted, or an old session) is replaced and revoked."""
    from starlette.testclient import TestClient

    first = login(client, *NURSE).cookies.get("console_session")
    with TestClient(client.app, base_url="http://testserver") as other:
        token = login_token(other)
        nonce = other.cookies.get("console_login_csrf")
    client.cookies.set("console_login_csrf", nonce)
    second = client.post(
        "/login",
        data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": token},
        follow_redirects=False,
    )
    assert second.status_code == 303
    assert second.cookies.get("console_session") not in (None, first)
    with TestClient(client.app, base_url="http://testserver") as other:
        other.cookies.set("console_session", first)
        assert other.get("/", follow_redirects=False).status_code in (303, 401)


def test_logged_in_user_skips_login_page(nurse_client):
    assert nurse_client.get("/login", follow_redirects=False).headers["location"] == "/"


def test_rehash_on_login_when_parameters_change(client, users, engine, monkeypatch):
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    assert login(client, *NURSE).status_code == 303
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(users_table.c.password_hash).where(users_table.c.username == NURSE[0])
        ).scalar()
    assert "m=2048,t=2" in stored


def test_password_rules(engine):
    with pytest.raises(auth.AccountError):
        auth.create_user(engine, "short.pw", "nurse", "elevenchars")
    with pytest.raises(auth.AccountError):
        auth.create_user(engine, "same.as.name.1", "nurse", "same.as.name.1")
    with pytest.raises(auth.AccountError):
        auth.create_user(engine, "x", "nurse", "long enough password")
    with pytest.raises(auth.AccountError):
        auth.create_user(engine, "role.bad", "doctor", "long enough password")
    auth.create_user(engine, "ok.user", "nurse", "long enough password")
    with pytest.raises(auth.AccountError):
        auth.create_user(engine, "OK.User", "admin", "long enough password")


def test_attempt_timestamps_are_recent(client, users, engine):
    login(client, *NURSE)
    with engine.connect() as conn:
        at = conn.execute(sa.select(sa.func.max(login_attempts.c.at))).scalar()
    assert abs(at - time.time()) < 60
