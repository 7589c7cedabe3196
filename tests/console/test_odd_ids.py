"""Conversations with ids the channel no longer issues but a database may already hold
(issue 14, finding 4): a newline, slashes, '%', unicode, 100,000 characters. Each must show in
the queue (short and escaped), open from its link, and be reviewable; the poll stays small."""

from __future__ import annotations

import html
import re

import anyio
import httpx
import pytest
import sqlalchemy as sa

from console.tables import reviews
from tests.console import rasa_events as ev
from tests.console.conftest import NURSE, csrf_of

ODD_IDS = {
    "newline": "line one\nline two",
    "slashes": "a/b/../review",
    "percent": "100% sure %2F %0A",
    "query": "what?x=1#frag",
    "unicode": "ßüñ 🤰 مرحبا",
    "spaces": "  padded  ",
    "long": "x" * 100_009,
}


def _case_link(queue_page: str, nth: int = 0) -> str:
    links = re.findall(r'<a href="(/conversation[^"]*)" title=', queue_page)
    return html.unescape(links[nth])


async def _open_and_review(app, sender_id: str) -> None:
    """As a browser would: through httpx's ASGI transport, which (like uvicorn) decodes the
    path once. Starlette's TestClient decodes it twice, so it cannot open an id with '%'."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        token = csrf_of((await c.get("/login")).text)
        await c.post(
            "/login", data={"username": NURSE[0], "password": NURSE[1], "csrf_token": token}
        )
        link = _case_link((await c.get("/")).text)
        assert len(link) < 300
        page = await c.get(link)
        assert page.status_code == 200, page.text[:300]
        assert "Vaginal pressure at 20 weeks" in page.text
        form = re.search(r'<form method="post" action="([^"]+/review)"', page.text)
        assert form is not None
        done = await c.post(
            html.unescape(form.group(1)),
            data={"csrf_token": csrf_of(page.text), "through_event_id": "999999"},
        )
        assert done.status_code == 303
        assert (await c.get(done.headers["location"])).status_code == 200


@pytest.mark.parametrize("kind", sorted(ODD_IDS))
def test_a_stored_odd_id_opens_and_can_be_reviewed(kind, app, users, write, engine):
    """Before issue 14 the newline id gave a 404, and the long one could not be linked."""
    sender_id = ODD_IDS[kind]
    if kind == "long" and engine.dialect.name == "postgresql":
        pytest.skip("Rasa's events.sender_id is varchar(255) on PostgreSQL: it cannot hold one")
    write(sender_id, ev.urgent_conversation())
    anyio.run(_open_and_review, app, sender_id)
    with engine.connect() as conn:
        assert conn.execute(sa.select(reviews.c.sender_id)).scalars().all() == [sender_id]


def test_the_queue_shows_a_short_escaped_id_and_the_poll_stays_small(nurse_client, write, engine):
    if engine.dialect.name == "postgresql":
        pytest.skip("a 100,009-character id can only exist in SQLite")
    write("x" * 100_009, ev.urgent_conversation())
    write("<b>bold</b>\nid", ev.urgent_conversation())
    queue = nurse_client.get("/")
    assert len(queue.text) < 50_000
    poll = nurse_client.get("/queue/poll?since=0", headers={"accept": "application/json"})
    assert poll.status_code == 200
    assert len(poll.content) < 20_000  # before issue 14: over 100 KB, on every poll
    rows = poll.json()["html"]
    assert "x" * 100 not in rows
    assert "<b>bold" not in rows and "&lt;b&gt;bold&lt;/b&gt;\u2424id" in rows
    assert all(len(a["id"]) <= 64 for a in poll.json()["alerts"])


def test_the_full_long_id_is_on_its_case_page_only(nurse_client, write, engine):
    if engine.dialect.name == "postgresql":
        pytest.skip("a 100,009-character id can only exist in SQLite")
    sender_id = "y" * 100_009
    write(sender_id, ev.urgent_conversation())
    page = nurse_client.get(_case_link(nurse_client.get("/").text)).text
    assert sender_id in page and "Full conversation id (100009 characters)" in page


def test_an_unknown_digest_is_a_404(nurse_client):
    assert nurse_client.get("/conversation-sha256/" + "0" * 64).status_code == 404
    assert nurse_client.get("/conversation-sha256/zz").status_code == 404


def test_the_digest_path_needs_a_session(client):
    response = client.get("/conversation-sha256/" + "0" * 64, follow_redirects=False)
    assert response.status_code in (303, 401)
