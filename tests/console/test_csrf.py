"""CSRF: every state-changing route (enumerated from the app) needs the session's token."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from starlette.routing import Route
from starlette.testclient import TestClient

from console.app import ROUTES
from console.tables import audit, notes, reviews
from tests.console import rasa_events
from tests.console.conftest import ADMIN, NURSE, csrf_of, login

SENDER = "csrf-conv"


def post_routes():
    return [
        re.sub(r"\{sender_id:\w+\}", SENDER, r.path)
        for r in ROUTES
        if isinstance(r, Route) and "POST" in r.methods
    ]


def test_post_routes_enumerated():
    assert set(post_routes()) >= {
        "/login",
        "/logout",
        f"/conversation/{SENDER}/review",
        f"/conversation/{SENDER}/note",
    }


def _form(path: str) -> dict:
    return {
        "body": "a note",
        "through_event_id": "999999",
        "event_id": "1",
        "correct_intent": "greet",
        "correct_level": "urgent",
        "username": NURSE[0],
        "password": NURSE[1],
    }


@pytest.mark.parametrize("path", post_routes())
def test_post_without_token_is_refused(nurse_client, write, engine, path):
    write(SENDER, rasa_events.urgent_conversation())
    before = _counts(engine)
    response = nurse_client.post(path, data=_form(path), follow_redirects=False)
    assert response.status_code == 403
    wrong = nurse_client.post(
        path, data={**_form(path), "csrf_token": "wrong"}, follow_redirects=False
    )
    assert wrong.status_code == 403
    assert _counts(engine) == before


@pytest.mark.parametrize("path", [p for p in post_routes() if p != "/login"])
def test_token_of_another_session_is_refused(nurse_client, app, users, write, engine, path):
    write(SENDER, rasa_events.urgent_conversation())
    with TestClient(app, base_url="http://testserver") as other:
        assert login(other, *ADMIN).status_code == 303
        foreign_token = csrf_of(other.get("/").text)
    response = nurse_client.post(
        path, data={**_form(path), "csrf_token": foreign_token}, follow_redirects=False
    )
    assert response.status_code == 403


def test_cross_site_origin_is_refused_even_with_token(nurse_client, write, engine):
    write(SENDER, rasa_events.urgent_conversation())
    token = csrf_of(nurse_client.get(f"/conversation/{SENDER}").text)
    for origin in ("https://evil.example", "null"):
        response = nurse_client.post(
            f"/conversation/{SENDER}/note",
            data={"body": "x", "csrf_token": token},
            headers={"origin": origin},
            follow_redirects=False,
        )
        assert response.status_code == 403
    same = nurse_client.post(
        f"/conversation/{SENDER}/note",
        data={"body": "x", "csrf_token": token},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_json_body_is_refused(nurse_client, write):
    write(SENDER, rasa_events.urgent_conversation())
    token = csrf_of(nurse_client.get("/").text)
    response = nurse_client.post(
        f"/conversation/{SENDER}/note",
        json={"body": "x", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 415


def test_right_token_is_accepted(nurse_client, write, engine):
    write(SENDER, rasa_events.urgent_conversation())
    token = csrf_of(nurse_client.get(f"/conversation/{SENDER}").text)
    response = nurse_client.post(
        f"/conversation/{SENDER}/note",
        data={"body": "called her", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(notes)).scalar() == 1


def test_login_form_needs_its_cookie(client, users):
    page = client.get("/login")
    token = csrf_of(page.text)
    client.cookies.clear()  # a forged form from another site has the token but not our cookie
    response = client.post(
        "/login",
        data={"username": NURSE[0], "password": NURSE[1], "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "console_session" not in response.headers.get("set-cookie", "")


def test_login_token_is_bound_to_the_cookie(client, users):
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": NURSE[0], "password": NURSE[1], "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert response.status_code == 403


def _counts(engine):
    with engine.connect() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in (notes, reviews, audit)
        )
