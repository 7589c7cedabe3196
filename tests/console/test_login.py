"""Login: argon2 hashes, cookie flags, redirects, session fixation (throttling: test_throttle.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type

from console import audit, auth
from console.tables import users as users_table
from tests.console.conftest import ADMIN, NURSE, csrf_of, login, login_token


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


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "Password2024!",
        "P@ssw0rd 2024",
        "qwertyuiop123",
        "123456789012",
        "iloveyou 1234",
        "aaaaaaaaaaaaaaa",
        "12121212121212",
        "my nurse.jo password",  # the username inside
        "RiversideMaternity1",  # the clinic's name (clinic.yml) inside
        "welcome to the clinic!",
    ],
)
def test_common_and_guessable_passwords_are_refused(engine, password):
    """Before issue 14 only the length (12) and 'not the username itself' were checked."""
    with pytest.raises(auth.AccountError):
        auth.create_user(engine, "nurse.jo", "nurse", password)


def test_the_deny_list_is_a_committed_file_of_a_few_hundred_entries():
    from console import passwords

    assert 300 <= len(passwords.common_passwords()) <= 5000
    assert "password" in passwords.common_passwords()
    assert passwords.weakness("nurse.jo", "correct horse battery staple") is None


def test_unknown_usernames_are_not_kept_verbatim_in_the_audit_log(client, users, engine):
    """A password typed in the username box must not end up in the audit log."""
    typed = "Sup3r-Secret-Passw0rd"
    login(client, typed, "whatever was in the second box")
    login(client, typed, "again")
    login(client, NURSE[0], "a wrong password for a known name")
    rows, _ = audit.entries(engine, action="login_failed")
    unknown = [r.username for r in rows if r.username != NURSE[0]]
    assert len(unknown) == 2 and unknown[0] == unknown[1]  # the same name is recognisable ...
    assert typed not in unknown[0] and unknown[0].startswith("Su…#")  # ... but not readable
    assert NURSE[0] in [r.username for r in rows]  # a known username stays as it is
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for r in conn.execute(sa.text("SELECT * FROM console_audit")) for v in r
        )
    assert typed not in dump and typed.lower() not in dump


def test_logout_asks_the_browser_to_clear_the_site(nurse_client):
    page = nurse_client.get("/").text
    response = nurse_client.post(
        "/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "cookies", "storage"'
