"""The demo page and the widget with the real trained bot (fixture `bot`, tests/conftest.py):
the cervical-insufficiency conversation with the buttons and by typing, the urgent advice and
its tap-to-call link, the history after a reload, the XSS case, screenshots at 360 and 1280 px
into reports/screenshots/ (not committed)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from web_helpers import CONTRAST_JS, Session, digits, new_session

from web.server import load_demo_clinic

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

XSS = "<img src=x onerror=alert(1)>"


def answer_until_triage(s: Session, max_turns: int = 6) -> None:
    """Answer the bot's questions: gestational age by typing, everything else with the
    buttons ("No" to contractions), until a triage card shows."""
    for _ in range(max_turns):
        if s.page.locator(".tw-triage").count():
            return
        question = s.last_bot_text().lower()
        replies = s.open_replies()
        has_buttons = s.page.locator(".tw-quick button:enabled").count() > 0
        if "week" in question:
            s.say("I'm 20 weeks")  # typed, though the bot offers buttons too
        elif "contraction" in question or "tighten" in question or "come and go" in question:
            if has_buttons:
                s.click_reply("No")
            else:
                s.say("no")
        elif has_buttons:
            names = replies.get_by_role("button").all_inner_texts()
            pick = next((n for n in names if re.fullmatch(r"no\b.*", n, re.I)), names[-1])
            s.click_reply(pick)
        else:
            raise AssertionError(f"unexpected question from the bot: {question!r}")
    expect(s.page.locator(".tw-triage")).to_have_count(1, timeout=1)


@pytest.mark.parametrize("width", [360, 1280])
def test_cervical_insufficiency_conversation(chromium, demo_server, real_bot, screenshots, width):
    clinic = load_demo_clinic()
    base = demo_server(real_bot.rasa_url)
    s = new_session(chromium, base, real_bot.rasa_url, width=width)
    try:
        s.open_chat()
        expect(s.page.locator(".tw-disclaimer")).to_be_visible()
        expect(
            s.page.locator(f".tw-strip a[href='tel:{digits(clinic.emergency_number)}']")
        ).to_be_visible()
        s.wait_connected()
        s.screenshot(screenshots, "bot-start")

        s.say("I've had a heavy feeling of pressure down below since this morning")
        assert s.page.locator(".tw-quick button:enabled").count() > 0, (
            "the bot's first question should come with quick-reply buttons: " + s.last_bot_text()
        )
        s.screenshot(screenshots, "bot-question")
        answer_until_triage(s)

        card = s.page.locator(".tw-triage")
        level = card.get_attribute("data-level")
        assert level == "urgent", f"expected urgent advice, got {level}: {s.transcript()[-2:]}"
        call = card.get_by_role("link", name=re.compile(re.escape(clinic.maternity_triage.phone)))
        expect(call).to_be_visible()
        expect(call).to_have_attribute("href", "tel:" + digits(clinic.maternity_triage.phone))
        # The advice comes first (a question may follow it in the same urgent turn).
        expect(
            s.page.locator(".tw-bubble--urgent", has_text=clinic.maternity_triage.phone).first
        ).to_be_visible()
        s.page.wait_for_timeout(300)
        s.screenshot(screenshots, "bot-urgent")
        failing = [r for r in s.page.evaluate(CONTRAST_JS) if r["ratio"] < r["needed"]]
        assert not failing, failing

        session_id = s.session_id()
        before = s.transcript()
        s.page.reload()
        s.page.wait_for_selector("#triage-widget", state="attached")
        expect(s.page.locator(".tw-panel")).to_be_visible()
        assert s.transcript() == before
        expect(s.page.locator(".tw-triage a[href^='tel:']").first).to_be_visible()
        s.wait_connected()
        assert s.session_id() == session_id
        s.screenshot(screenshots, "bot-after-reload")

        s.say(XSS)
        expect(s.page.locator(".tw-msg--user .tw-bubble").last).to_have_text(XSS)
        assert (
            s.page.evaluate(
                "() => document.getElementById('triage-widget').shadowRoot"
                ".querySelectorAll('.tw-log img, .tw-log script').length"
            )
            == 0
        )
        s.page.wait_for_timeout(500)
        assert s.dialogs == []
        s.page.locator(".tw-msg--user").last.evaluate("el => el.scrollIntoView({block: 'start'})")
        s.screenshot(screenshots, "bot-xss")
        assert not s.third_party_requests(), s.third_party_requests()
        assert not [e for e in s.console_errors if "favicon" not in e], s.console_errors
    finally:
        s.context.close()
