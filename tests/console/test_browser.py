"""Headless Chromium against the real ``python -m console serve``.

A nurse logs in, opens the urgent case, marks it reviewed and adds a note; then a new
emergency conversation arrives and appears on the open queue without a reload. Debian's
Chromium is used (never ``playwright install``); any CSP violation or script error fails.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from console.tables import notes, reviews
from tests.console import rasa_events as ev
from tests.console.conftest import serve_console

pytestmark = pytest.mark.browser

USER, PASSWORD = "nurse.browser", "browser test password"


@pytest.fixture
def console_server(engine, cli, tmp_path):
    with serve_console(engine, cli, tmp_path, account=(USER, PASSWORD)) as base:
        yield base


def watched_page(context, errors: list[str]):
    """A new page whose console errors and script errors are added to ``errors``."""
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def test_nurse_reviews_the_urgent_case(console_server, write, engine, chromium: Browser):
    write("browser-routine", ev.simple_conversation("a question", "routine", time.time() - 200))
    write("browser-urgent", ev.urgent_conversation(time.time() - 100))
    errors: list[str] = []
    context = chromium.new_context()
    try:
        page = watched_page(context, errors)
        page.goto(console_server + "/")
        expect(page).to_have_url(console_server + "/login?next=%2F")
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(console_server + "/")

        first_row = page.locator("#queue-rows tr").first
        expect(first_row).to_have_attribute("data-sender", "browser-urgent")
        expect(first_row.locator(".level")).to_have_text("Urgent")
        first_row.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("browser-urgent")
        expect(page.get_by_text("pressed:")).to_be_visible()

        page.get_by_role("button", name="Mark reviewed").click()
        expect(page.get_by_role("status")).to_have_text("Marked as reviewed.")
        page.get_by_label("Note").fill("Phoned the patient; she is on her way to triage.")
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_role("status")).to_have_text("Note added.")
        expect(page.locator(".note")).to_contain_text("she is on her way to triage")

        # back on the queue, a new emergency arrives and shows up without a reload
        page.get_by_role("link", name="Queue", exact=True).click()
        expect(page.locator('tr[data-sender="browser-urgent"] .status-reviewed')).to_be_visible()
        write(
            "browser-new-emergency",
            ev.simple_conversation("I fainted", "emergency", concerns=["collapse"], rule="E3"),
        )
        new_row = page.locator('tr[data-sender="browser-new-emergency"]')
        expect(new_row).to_have_class("is-new needs-review", timeout=20000)
        expect(page.locator("#queue-live")).to_contain_text(
            "1 new urgent or emergency conversation"
        )
        expect(page.locator("#queue-rows tr").first).to_have_attribute(
            "data-sender", "browser-new-emergency"
        )
    finally:
        context.close()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(reviews.c.sender_id)).scalars().all() == ["browser-urgent"]
        assert conn.execute(sa.select(notes.c.body)).scalars().all() == [
            "Phoned the patient; she is on her way to triage."
        ]


def test_the_queue_goes_to_the_login_when_the_session_ends(
    console_server, write, engine, chromium: Browser
):
    """The poll never extends a session (issue 14, finding 7); when the session is gone the
    open queue page takes the nurse to the login instead of going on showing stale rows."""
    from console.tables import sessions

    write("browser-idle", ev.simple_conversation("a question", "routine"))
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(console_server + "/")
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(console_server + "/")
        with engine.begin() as conn:  # what the idle time-out does to a session
            conn.execute(sa.delete(sessions))
        expect(page).to_have_url(console_server + "/login?next=%2F", timeout=20000)
    finally:
        context.close()
