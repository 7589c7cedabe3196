"""Headless Chromium against the real ``python -m console serve`` (issue 12, items 1, 2, 5):
a patient left early at an urgent floor; the nurse finds her at the top of the queue marked
"left before the end", assigns the case, records the follow-up up to closed (the FHIR Task
follows), and opens the dashboard, whose charts draw under the CSP with no script error."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from console.tables import followup_changes
from tests.console import rasa_events as ev
from tests.console.test_browser import PASSWORD, USER, console_server  # noqa: F401 - fixture
from tests.console.test_left_before_end import left_early

pytestmark = pytest.mark.browser


def test_the_nurse_follows_up_a_patient_who_left_early(
    console_server,  # noqa: F811 - the fixture imported above
    write,
    engine,
    chromium: Browser,
):
    now = time.time()
    write("browser-left", left_early(now - 3600, "urgent"))
    write("browser-routine", ev.simple_conversation("a question", "routine", now - 200))
    errors: list[str] = []
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(console_server + "/login")
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        first = page.locator("#queue-rows tr").first
        expect(first).to_have_attribute("data-sender", "browser-left")
        expect(first.locator(".level")).to_have_text("Urgent")
        expect(first).to_contain_text("Left before the end")
        expect(first).to_contain_text("Overdue")  # clinic.yml: urgent within 1 hour
        first.get_by_role("link").click()
        expect(page.locator("#left-before-end")).to_contain_text("whether she has contractions")

        page.get_by_role("button", name="Assign to me").click()
        expect(page.get_by_role("status")).to_have_text("Follow-up assigned to you.")
        for label in ("Contact attempted", "Contacted", "Closed"):
            page.get_by_label("New state").select_option(label=label)
            page.get_by_label("New state").press("Tab")  # by keyboard: to the button
            page.keyboard.press("Enter")
            expect(page.get_by_role("status")).to_have_text("Follow-up state changed.")
        expect(page.locator("#followup")).to_contain_text("State: Closed")
        bundle = page.request.get(console_server + "/fhir/conversation/browser-left").json()
        assert bundle["entry"][-1]["resource"]["status"] == "completed"

        page.get_by_role("link", name="Queue", exact=True).click()
        page.get_by_label("Assigned to me").check()
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("#queue-rows tr")).to_have_count(1)
        expect(page.locator("#queue-rows tr").first).not_to_contain_text("Overdue")

        page.get_by_role("link", name="Dashboard").click()
        charts = page.locator("figure.chart svg[role=img]")
        expect(charts).to_have_count(6)
        box = charts.first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        # the bars are drawn in their colours (presentation attributes, not blocked styles)
        fill = charts.first.locator("path[fill='#c2410c']").first
        expect(fill).to_be_visible()
        expect(page.locator("#fig-left")).to_contain_text("1 (100%)")
    finally:
        context.close()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(followup_changes)).scalar() == 4
