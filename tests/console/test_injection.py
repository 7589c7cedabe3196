"""XSS and SQL injection: hostile patient text, ids, notes and query values."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.console import rasa_events as ev
from tests.console.conftest import csrf_of

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
EVIL_ID = '"><svg onload=alert(1)>'


@pytest.fixture
def hostile(nurse_client, write):
    events = ev.simple_conversation(PAYLOAD, "urgent", concerns=["<b>bold</b>"])
    events[-1] = ev.bot(
        PAYLOAD,
        events[-1].timestamp,
        buttons=[{"title": PAYLOAD, "payload": "/x"}],
        triage={
            "level": "urgent",
            "concerns": ["<i>c</i>"],
            "reasons": [{"rule": PAYLOAD, "text": PAYLOAD, "source": PAYLOAD}],
        },
    )
    write(EVIL_ID, events)
    return nurse_client


def assert_no_raw_markup(text: str):
    assert "<script>" not in text
    assert "<img src=x" not in text
    assert "<svg onload" not in text
    assert "<b>bold</b>" not in text and "<i>c</i>" not in text


def test_queue_escapes(hostile):
    page = hostile.get("/").text
    assert_no_raw_markup(page)
    assert "&lt;svg onload=alert(1)&gt;" in page or "&#34;&gt;&lt;svg" in page
    poll = hostile.get("/queue/poll?since=0").json()
    assert_no_raw_markup(poll["html"])


def test_case_escapes(hostile, engine):
    from urllib.parse import quote

    url = "/conversation/" + quote(EVIL_ID, safe="")
    page = hostile.get(url)
    assert page.status_code == 200
    assert_no_raw_markup(page.text)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    token = csrf_of(page.text)
    assert (
        hostile.post(url + "/note", data={"csrf_token": token, "body": PAYLOAD}).status_code == 200
    )
    event_id = re.findall(r'id="event-(\d+)"', page.text)[-1]
    hostile.post(
        url + "/flag-triage",
        data={
            "csrf_token": token,
            "event_id": event_id,
            "correct_level": "emergency",
            "comment": PAYLOAD,
        },
    )
    again = hostile.get(url).text
    assert_no_raw_markup(again)
    assert again.count("&lt;script&gt;") >= 4


def test_audit_page_escapes(hostile, admin_client):
    from urllib.parse import quote

    hostile.get("/conversation/" + quote(EVIL_ID, safe=""))
    assert_no_raw_markup(admin_client.get("/admin/audit").text)
    assert_no_raw_markup(admin_client.get("/admin/audit?username=" + quote(PAYLOAD)).text)


def test_filter_values_are_escaped(nurse_client):
    page = nurse_client.get("/", params={"q": PAYLOAD}).text
    assert_no_raw_markup(page)
    assert nurse_client.get("/", params={"level": PAYLOAD}).status_code == 400


def test_login_page_escapes(client):
    page = client.get("/login", params={"next": '/"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in page


SQLI = [
    "' OR '1'='1",
    "'; DROP TABLE events; --",
    "\" OR 1=1 --",
    "%' UNION SELECT password_hash FROM console_users --",
    "\\",
    "' || (SELECT username FROM console_users) || '",
]


@pytest.mark.parametrize("value", SQLI)
def test_search_is_not_sql(nurse_client, write, engine, value):
    write("sqli-1", ev.simple_conversation("an ordinary message", "routine"))
    page = nurse_client.get("/", params={"q": value})
    assert page.status_code == 200
    assert 'data-sender="sqli-1"' not in page.text
    assert "argon2" not in page.text
    assert sa.inspect(engine).has_table("events")
    assert 'data-sender="sqli-1"' in nurse_client.get("/", params={"q": "ordinary"}).text


@pytest.mark.parametrize("value", SQLI)
def test_ids_and_filters_are_not_sql(nurse_client, admin_client, write, engine, value):
    write("sqli-1", ev.simple_conversation("an ordinary message", "routine"))
    assert nurse_client.get("/conversation/x" + value.replace("/", "")).status_code == 404
    assert nurse_client.get("/", params={"concern": value}).status_code == 400
    assert nurse_client.get("/", params={"from": value}).status_code == 400
    assert (
        admin_client.get("/admin/audit", params={"sender_id": value, "username": value}).status_code
        == 200
    )
    token = csrf_of(nurse_client.get("/").text)
    response = nurse_client.post(
        "/conversation/sqli-1/flag-nlu",
        data={"csrf_token": token, "event_id": "1 OR 1=1", "correct_intent": "greet"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() > 0
        assert conn.execute(sa.text("SELECT count(*) FROM console_users")).scalar() == 2


@pytest.mark.parametrize("value", SQLI)
def test_login_is_not_sql(client, users, value):
    from tests.console.conftest import login

    assert login(client, value, value).status_code == 401
    assert login(client, "nurse.jo", value).status_code == 401


def test_conversation_id_that_looks_like_sql(nurse_client, write):
    sender = "x'; DELETE FROM events; --"
    write(sender, ev.urgent_conversation())
    from urllib.parse import quote

    url = "/conversation/" + quote(sender, safe="")
    page = nurse_client.get(url)
    assert page.status_code == 200
    response = nurse_client.post(
        url + "/note", data={"csrf_token": csrf_of(page.text), "body": "ok"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert 'data-sender="x&#39;; DELETE FROM events; --"' in nurse_client.get("/").text
