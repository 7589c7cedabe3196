"""Issue 14, finding 7: the poll is not activity; Secure cookies and HSTS follow the scheme
(behind trusted proxies only), failing closed."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from console.config import parse_networks
from console.tables import sessions
from tests.console.conftest import NURSE, login

PROXY = ("10.0.0.2", 5000)


def _last_seen(engine) -> float:
    with engine.connect() as conn:
        return conn.execute(sa.select(sessions.c.last_seen_at)).scalar_one()


def _set_last_seen(engine, at: float) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(sessions).values(last_seen_at=at))


def test_the_queue_poll_does_not_keep_a_session_alive(nurse_client, engine, settings):
    """Before issue 14 the poll every 10 s counted as activity: an open queue tab on a ward PC
    kept the session alive for ever."""
    earlier = time.time() - 100
    _set_last_seen(engine, earlier)
    assert (
        nurse_client.get("/queue/poll", headers={"accept": "application/json"}).status_code == 200
    )
    assert _last_seen(engine) == earlier  # served, but not counted as activity
    _set_last_seen(engine, time.time() - settings.session_idle - 1)
    answer = nurse_client.get(
        "/queue/poll", headers={"accept": "application/json"}, follow_redirects=False
    )
    assert answer.status_code == 401  # console.js then sends the page to the login


def test_a_page_the_nurse_opens_is_activity(nurse_client, engine):
    earlier = time.time() - 100
    _set_last_seen(engine, earlier)
    assert nurse_client.get("/").status_code == 200
    assert _last_seen(engine) > earlier


def test_the_script_goes_to_the_login_when_the_session_ends():
    from tests.console.conftest import repo_path

    script = repo_path("console", "static", "console.js").read_text(encoding="utf-8")
    assert 'window.location.assign("/login?next="' in script


def _cookie_and_hsts(client: TestClient, **headers) -> tuple[bool, bool]:
    response = client.get("/login", headers=headers)
    cookie = response.headers["set-cookie"].lower()
    return "; secure" in cookie, "strict-transport-security" in response.headers


@pytest.mark.parametrize(
    "base_url,peer,trusted,headers,expected",
    [
        # direct connections: the scheme the console itself served
        ("http://testserver", ("192.0.2.1", 1), "", {}, (False, False)),
        ("https://testserver", ("192.0.2.1", 1), "", {}, (True, True)),
        # behind a trusted proxy: its X-Forwarded-Proto
        ("http://testserver", PROXY, "10.0.0.0/8", {"x-forwarded-proto": "https"}, (True, True)),
        ("http://testserver", PROXY, "10.0.0.0/8", {"x-forwarded-proto": "http"}, (False, False)),
        # unsure, so Secure: a trusted proxy that does not say, or says nonsense ...
        ("http://testserver", PROXY, "10.0.0.0/8", {}, (True, True)),
        ("http://testserver", PROXY, "10.0.0.0/8", {"x-forwarded-proto": "gopher"}, (True, True)),
        # ... or forwarding headers from a peer that is not a trusted proxy
        ("http://testserver", PROXY, "", {"x-forwarded-proto": "http"}, (True, True)),
        ("http://testserver", ("192.0.2.1", 1), "", {"x-forwarded-for": "1.2.3.4"}, (True, True)),
    ],
)
def test_secure_cookies_and_hsts_follow_the_scheme(
    app, settings, base_url, peer, trusted, headers, expected
):
    """Before issue 14 only CONSOLE_COOKIE_SECURE=1 gave Secure: a console served over HTTPS
    by a proxy, with the setting forgotten, sent its session cookie without Secure."""
    app.state.settings = settings.with_(trusted_proxies=parse_networks(trusted))
    with TestClient(app, base_url=base_url, client=peer) as c:
        assert _cookie_and_hsts(c, **headers) == expected


@pytest.mark.parametrize("forced", [True, False])
def test_the_setting_overrides_the_scheme(app, settings, forced):
    app.state.settings = settings.with_(cookie_secure=forced)
    with TestClient(app, base_url="https://testserver", client=PROXY) as c:
        assert _cookie_and_hsts(c, **{"x-forwarded-proto": "http"}) == (forced, forced)


def test_login_works_behind_a_tls_proxy(app, settings, users):
    app.state.settings = settings.with_(trusted_proxies=parse_networks("10.0.0.2"))
    with TestClient(app, base_url="https://testserver", client=PROXY) as c:
        c.headers["x-forwarded-proto"] = "https"
        c.headers["x-forwarded-for"] = "192.0.2.55"
        response = login(c, *NURSE)
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()
        assert c.get("/").status_code == 200
