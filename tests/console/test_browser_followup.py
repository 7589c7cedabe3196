"""Headless Chromium against the real ``python -m console serve`` (issue 12, items 1 to 6),
with its alerts going to a real local SMTP server (aiosmtpd): a patient left early at an
urgent floor; the alert email arrives, with a link to the case and no patient text; the nurse
finds her at the top of the queue marked "left before the end", assigns the case, records the
contact, takes the follow-up to closed by keyboard, downloads the FHIR bundle from the case's
link (it validates with fhir.resources, R4) and opens the dashboard, whose charts draw under
the CSP with no script error."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fhir.resources.bundle import Bundle
from playwright.sync_api import Browser, expect

from console.tables import followup_changes, notes
from eval.servers import free_port
from tests.console import rasa_events as ev
from tests.console.conftest import serve_console
from tests.console.test_browser import PASSWORD, USER, watched_page
from tests.console.test_left_before_end import left_early
from tests.console.test_notify import Mailbox, no_patient_text

pytestmark = pytest.mark.browser


@pytest.fixture
def alerting_console(engine, cli, tmp_path):
    """The console, its alerts by email to a real SMTP server: (base URL, mailbox)."""
    box, smtp_port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    try:
        with serve_console(
            engine,
            cli,
            tmp_path,
            (USER, PASSWORD),
            port,
            CONSOLE_BASE_URL=f"http://127.0.0.1:{port}",
            CONSOLE_SMTP_HOST="127.0.0.1",
            CONSOLE_SMTP_PORT=str(smtp_port),
            CONSOLE_SMTP_TLS="none",
            CONSOLE_ALERT_FROM="console@clinic.test",
            CONSOLE_ALERT_TO="nurses@clinic.test",
            CONSOLE_ALERT_SECONDS="2",
        ) as base:
            yield base, box
    finally:
        controller.stop()


def test_the_nurse_follows_up_a_patient_who_left_early(
    alerting_console, write, engine, chromium: Browser, tmp_path
):
    console_server, mailbox = alerting_console
    now = time.time()
    write("browser-left", left_early(now - 3600, "urgent"))
    write("browser-routine", ev.simple_conversation("a question", "routine", now - 200))

    # the alert reaches the mailbox with nobody signed in: the level, the time, the link
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Urgent: a patient left the triage before its advice"
    assert message["To"] == "nurses@clinic.test"
    assert (
        f"{console_server}/conversation/browser-left" in message.get_payload(decode=True).decode()
    )
    no_patient_text(message.as_string())

    errors: list[str] = []
    context = chromium.new_context()
    try:
        page = watched_page(context, errors)
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
        # the contact, by keyboard: type, Tab to the button, Enter
        page.get_by_label("How the patient was contacted (optional)").fill("phoned back")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Record patient contacted")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("Recorded that the patient was contacted.")
        for label in ("Contact attempted", "Contacted", "Closed"):
            page.get_by_label("New state").select_option(label=label)
            page.get_by_label("New state").press("Tab")  # by keyboard: to the button
            page.keyboard.press("Enter")
            expect(page.get_by_role("status")).to_have_text("Follow-up state changed.")
        expect(page.locator("#followup")).to_contain_text("State: Closed")

        # the FHIR bundle, from the case's own link (reached by keyboard)
        link = page.get_by_role("link", name="Download FHIR")
        link.focus()
        with page.expect_download() as download_info:
            page.keyboard.press("Enter")
        saved = tmp_path / "bundle.json"
        download_info.value.save_as(saved)
        bundle = json.loads(saved.read_text(encoding="utf-8"))
        Bundle.parse_obj(bundle)  # FHIR R4, fhir.resources 6.4.0
        kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
        assert kinds == ["QuestionnaireResponse", "Observation", "Task"]
        task = bundle["entry"][-1]["resource"]
        assert (task["status"], task["priority"]) == ("completed", "asap")

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
        assert conn.execute(sa.select(notes.c.kind, notes.c.body)).all() == [
            ("contact", "phoned back")
        ]
    assert len(mailbox.messages) == 1  # one alert for this conversation and level, no more
