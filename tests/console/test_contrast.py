"""WCAG 2.1 AA contrast (1.4.3) on every page a nurse uses, measured in Chromium against the real
``python -m console serve``: the login, the queue (with a case left before the end and an
overdue one), a case with its follow-up and notes, and the dashboard. Keyboard use is tested in
test_browser.py and test_browser_followup.py."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser

from tests.console import rasa_events as ev
from tests.console.conftest import serve_console
from tests.console.test_browser import PASSWORD, USER
from tests.console.test_left_before_end import left_early
from tests.contrast import contrast_js

pytestmark = pytest.mark.browser

PAGE_CONTRAST_JS = contrast_js("document.body", ".visually-hidden")


def test_every_nurse_page_meets_wcag_aa_contrast(engine, cli, tmp_path, write, chromium: Browser):
    now = time.time()
    write("contrast-left", left_early(now - 3600, "urgent"))
    write("contrast-emergency", ev.simple_conversation("help", "emergency", now - 7200))
    write("contrast-routine", ev.simple_conversation("a question", "routine", now - 200))
    with serve_console(engine, cli, tmp_path, (USER, PASSWORD)) as base:
        context = chromium.new_context()
        try:
            page = context.new_page()
            measured: dict[str, list[dict]] = {}
            page.goto(base + "/login")
            measured["login"] = page.evaluate(PAGE_CONTRAST_JS)
            page.get_by_label("Username").fill(USER)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector("#queue-rows tr")
            measured["queue"] = page.evaluate(PAGE_CONTRAST_JS)
            for path in ("/conversation/contrast-left", "/conversation/contrast-emergency"):
                page.goto(base + path)
                measured[path] = page.evaluate(PAGE_CONTRAST_JS)
            page.goto(base + "/dashboard")
            page.wait_for_selector("figure.chart svg")
            measured["dashboard"] = page.evaluate(PAGE_CONTRAST_JS)
        finally:
            context.close()
    for name, results in measured.items():
        assert len(results) > 5, (name, results)  # the script saw the page's text
        failing = [r for r in results if r["ratio"] < r["needed"]]
        assert failing == [], (name, failing)
