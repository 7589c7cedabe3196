"""Every route refuses a request without a valid session.

The routes are enumerated from the app itself, so a route added later is tested without
anyone editing this file; only the public allow-list may answer without a session.
"""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from console import audit, auth
from console.app import ROUTES
from console.security import PUBLIC_PATHS, PUBLIC_PREFIXES
from console.tables import sessions
from tests.console import rasa_events
from tests.console.conftest import NURSE, login

SENDER = "conv/with?odd#chars"


def concrete(path: str) -> str:
    """A route path with its parameters filled in."""
    return re.sub(r"\{[^}]+\}", "some-conversation", path)


def all_requests():
    """(method, path) for every route and method of the app (HEAD and OPTIONS included)."""
    for route in ROUTES:
        if isinstance(route, Route):
            for method in sorted(route.methods | {"OPTIONS"}):
                yield method, concrete(route.path)


def protected_requests():
    return [(m, p) for m, p in all_requests() if p not in PUBLIC_PATHS]


def test_public_allow_list_is_small():
    """Only login, the health check and the static files are reachable without a session."""
    assert {"/login", "/healthz"} == PUBLIC_PATHS
    assert PUBLIC_PREFIXES == ("/static/",)
    mounts = [r for r in ROUTES if isinstance(r, Mount)]
    assert [m.path for m in mounts] == ["/static"]


def test_every_route_is_enumerated():
    paths = {p for _, p in all_requests()}
    assert {
        "/",
        "/queue/poll",
        "/conversation/some-conversation",
        "/conversation/some-conversation/review",
        "/admin/audit",
        # issue 12: the follow-up, the FHIR handover and the dashboard
        "/conversation/some-conversation/assign",
        "/conversation/some-conversation/followup",
        "/conversation/some-conversation/contacted",
        "/fhir/conversation/some-conversation",
        "/dashboard",
    } <= paths
    assert len(protected_requests()) >= 19


def _assert_refused(response, method):
    assert response.status_code in (303, 401), (method, response.status_code)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login?next=")
    body = response.text.lower()
    assert "conversation" not in body and "nurse" not in body


@pytest.mark.parametrize("method,path", protected_requests())
def test_refused_without_session(client, users, write, method, path):
    write("some-conversation", rasa_events.urgent_conversation())
    for accept in ("text/html", "application/json", "*/*"):
        response = client.request(
            method,
            path,
            headers={"accept": accept},
            follow_redirects=False,
            data={"csrf_token": "x", "body": "x"} if method == "POST" else None,
        )
        _assert_refused(response, method)


@pytest.mark.parametrize("method,path", protected_requests())
def test_refused_with_forged_cookie(client, users, method, path):
    client.cookies.set("console_session", "forged.value")
    response = client.request(method, path, headers={"accept": "text/html"}, follow_redirects=False)
    _assert_refused(response, method)


def test_html_redirect_keeps_target(client):
    response = client.get(
        "/admin/audit?action=login", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Faudit%3Faction%3Dlogin"


def test_public_paths_answer_without_session(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").text == "ok"
    assert client.get("/static/console.css").status_code == 200
    assert client.get("/static/console.js").status_code == 200


def test_static_does_not_escape_its_folder(client):
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        response = client.get(path)
        assert response.status_code == 404 or "create_app" not in response.text


def test_every_get_route_works_with_session(nurse_client, write):
    write(SENDER, rasa_events.urgent_conversation())
    for method, path in all_requests():
        if method != "GET" or path in PUBLIC_PATHS:
            continue
        path = path.replace("some-conversation", "conv%2Fwith%3Fodd%23chars")
        response = nurse_client.get(path)
        expected = 403 if path == "/admin/audit" else 200
        assert response.status_code == expected, path


def test_logout_revokes_the_session(nurse_client):
    cookie = nurse_client.cookies.get("console_session")
    page = nurse_client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert (
        nurse_client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    with TestClient(nurse_client.app, base_url="http://testserver") as other:
        other.cookies.set("console_session", cookie)  # a copy of the stolen cookie
        assert (
            other.get("/", headers={"accept": "text/html"}, follow_redirects=False).status_code
            == 303
        )


def test_disabled_account_loses_its_session(nurse_client, engine):
    assert nurse_client.get("/").status_code == 200
    auth.set_disabled(engine, NURSE[0], True)
    assert nurse_client.get("/", follow_redirects=False).status_code in (303, 401)
    assert login(nurse_client, *NURSE).status_code == 401


def test_idle_and_absolute_timeouts(nurse_client, engine, settings):
    assert nurse_client.get("/").status_code == 200
    with engine.begin() as conn:
        conn.execute(
            sa.update(sessions).values(last_seen_at=time.time() - settings.session_idle - 5)
        )
    assert nurse_client.get("/", follow_redirects=False).status_code in (303, 401)
    assert login(nurse_client, *NURSE).status_code == 303
    with engine.begin() as conn:
        conn.execute(
            sa.update(sessions).values(created_at=time.time() - settings.session_max_age - 5)
        )
    assert nurse_client.get("/", follow_redirects=False).status_code in (303, 401)


def test_admin_only_audit_log(nurse_client, admin_client, engine):
    assert nurse_client.get("/admin/audit").status_code == 403
    assert admin_client.get("/admin/audit").status_code == 200
    # the refusal is itself in the audit log (ASVS 7.2.2)
    denied, _ = audit.entries(engine, action="access_denied")
    assert [(e.username, e.detail) for e in denied] == [(NURSE[0], {"page": "audit"})]
