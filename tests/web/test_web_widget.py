"""The widget in headless Chromium against the scripted bot (Rasa's own socket.io channel
answering from a script): rendering, safety, accessibility and reconnection, deterministic.
The conversation with the trained bot is in test_web_real_bot.py."""

from __future__ import annotations

import re

import pytest
from conftest import ScriptedBot
from playwright.sync_api import expect
from web_helpers import CONTRAST_JS, UNLABELLED_JS, digits, new_session

pytestmark = pytest.mark.browser

EMERGENCY = "999"
TRIAGE_PHONE = "01632 960 111"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def site(demo_server, scripted_bot):
    return demo_server(scripted_bot.url), scripted_bot.url


@pytest.mark.parametrize("width", [360, 1280])
def test_disclaimer_and_emergency_number_before_first_message(chromium, site, screenshots, width):
    base, bot = site
    s = new_session(chromium, base, bot, width=width)
    try:
        s.open_chat()
        panel = s.page.locator(".tw-panel")
        expect(panel.locator(".tw-disclaimer")).to_be_visible()
        expect(panel.locator(".tw-disclaimer")).to_contain_text("not a diagnosis")
        call = panel.locator(".tw-strip a[href='tel:999']")
        expect(call).to_be_visible()
        expect(call).to_have_text(f"Call {EMERGENCY}")
        expect(panel.locator(".tw-strip a[href='tel:01632960111']")).to_be_visible()
        assert s.page.locator(".tw-msg").count() == 0
        # the input has focus when the chat opens
        assert (
            s.page.evaluate(
                "() => document.getElementById('triage-widget').shadowRoot.activeElement?.id"
            )
            == "tw-input"
        )
        s.wait_connected()
        s.screenshot(screenshots, "widget-start")
        if width == 360:
            box = panel.bounding_box()
            assert box["x"] >= 0 and box["width"] <= 360
            assert s.page.evaluate("() => document.documentElement.scrollWidth") <= 360
            send = s.page.get_by_role("button", name="Send message").bounding_box()
            assert send["x"] + send["width"] <= 360
        assert not s.third_party_requests(), s.third_party_requests()
        assert not s.console_errors, s.console_errors
    finally:
        s.context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_conversation_buttons_typing_urgent_reload(
    chromium, site, scripted_bot, screenshots, width
):
    base, bot = site
    s = new_session(chromium, base, bot, width=width)
    try:
        s.open_chat()
        s.wait_connected()
        session_id = s.session_id()

        # typing, with the typing indicator while the bot "thinks"
        s.send("I've got a heavy feeling of pressure down below")
        expect(s.page.locator(".tw-typing")).to_be_visible()
        s.wait_bot_turn(0)
        expect(s.page.locator(".tw-typing")).to_be_hidden()
        assert "How many weeks" in s.last_bot_text()
        replies = s.open_replies()
        expect(replies).to_have_attribute("role", "group")
        expect(replies.get_by_role("button")).to_have_count(5)
        s.screenshot(screenshots, "widget-buttons")

        # a quick reply: sends the payload, shows the title, disables the buttons
        s.click_reply("14 to 27 weeks")
        expect(s.page.locator(".tw-msg--user .tw-bubble").last).to_have_text("14 to 27 weeks")
        first_group = s.page.locator(".tw-quick").first
        for b in first_group.get_by_role("button").all():
            expect(b).to_be_disabled()
        expect(first_group.get_by_role("button", name="14 to 27 weeks")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert "contractions" in s.last_bot_text()
        sent = [m["text"] for m in scripted_bot.received() if m["sender_id"] == session_id]
        assert '/inform_gestational_age{"gestational_age": 27.9}' in sent

        s.click_reply("No")
        card = s.page.locator(".tw-triage--urgent")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Urgent")
        call = card.get_by_role("link", name=re.compile("Call .*01632 960 111"))
        expect(call).to_have_attribute("href", "tel:01632960111")
        expect(call).to_be_visible()
        # the advice itself is styled as urgent
        assert s.page.locator(".tw-bubble--urgent").count() == 1
        expect(s.page.locator(".tw-bubble--urgent").last).to_contain_text("01632 960 111")
        expect(s.page.locator(".tw-root [role=alert]")).to_have_text(re.compile("Urgent"))
        s.screenshot(screenshots, "widget-urgent")

        before = s.transcript()
        s.page.reload()
        s.page.wait_for_selector("#triage-widget", state="attached")
        expect(s.page.locator(".tw-panel")).to_be_visible()  # stays open after a reload
        assert s.transcript() == before
        expect(s.page.locator(".tw-triage--urgent a[href='tel:01632960111']")).to_be_visible()
        for b in s.page.locator(".tw-quick button").all():
            expect(b).to_be_disabled()
        # same Rasa conversation after the reload
        s.say("hello again")
        assert s.session_id() == session_id
        assert [m["sender_id"] for m in scripted_bot.received() if m["text"] == "hello again"][
            -1
        ] == session_id
        assert not s.third_party_requests(), s.third_party_requests()
        assert not s.console_errors, s.console_errors
        s.screenshot(screenshots, "widget-after-reload")
    finally:
        s.context.close()


def test_emergency_is_an_unmistakable_alert(chromium, site, screenshots):
    base, bot = site
    for width in (360, 1280):
        s = new_session(chromium, base, bot, width=width)
        try:
            s.open_chat()
            s.say("I'm bleeding heavily")
            card = s.page.locator(".tw-triage--emergency")
            expect(card).to_be_visible()
            expect(card).to_contain_text(re.compile("emergency", re.I))
            call = card.get_by_role("link", name=re.compile("call 999", re.I))
            expect(call).to_have_attribute("href", "tel:999")
            box = call.bounding_box()
            assert box["height"] >= 44  # a big target
            expect(s.page.locator(".tw-root [role=alert]")).to_have_text(
                re.compile("Emergency. Call 999")
            )
            colours = card.evaluate(
                "el => [getComputedStyle(el).borderTopColor,"
                " getComputedStyle(el.querySelector('.tw-call')).backgroundColor]"
            )
            assert colours == ["rgb(179, 20, 30)", "rgb(179, 20, 30)"]
            s.screenshot(screenshots, "widget-emergency")
        finally:
            s.context.close()


def test_html_is_shown_as_text(chromium, site, screenshots):
    base, bot = site
    s = new_session(chromium, base, bot, width=360)
    try:
        s.open_chat()
        s.say(XSS)
        expect(s.page.locator(".tw-msg--user .tw-bubble").last).to_have_text(XSS)
        expect(s.page.locator(".tw-msg--bot .tw-bubble").last).to_have_text(f"You said: {XSS}")
        s.say("show xss")
        last = s.page.locator(".tw-msg--bot .tw-bubble").last
        expect(last).to_contain_text("<b>not bold</b>")
        expect(last).to_contain_text("<script>")
        root = "document.getElementById('triage-widget').shadowRoot"
        counts = s.page.evaluate(
            f"() => [{root}.querySelectorAll('.tw-log img, .tw-log script, .tw-log b').length,"
            f" Array.from({root}.querySelectorAll('.tw-log a')).map(a => a.href)]"
        )
        assert counts == [0, []]
        assert s.page.evaluate("() => window.__botXss") is None
        s.page.reload()
        s.page.wait_for_selector("#triage-widget", state="attached")
        expect(s.page.locator(".tw-msg--user .tw-bubble").first).to_have_text(XSS)
        assert s.page.evaluate(f"() => {root}.querySelectorAll('.tw-log img').length") == 0
        s.page.wait_for_timeout(300)
        assert s.dialogs == []
        s.screenshot(screenshots, "widget-xss")
    finally:
        s.context.close()


def test_keyboard_only(chromium, site):
    base, bot = site
    s = new_session(chromium, base, bot, width=1280)
    page = s.page
    try:
        launcher = page.get_by_role("button", name=re.compile("Worried about a symptom"))
        launcher.focus()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        page.keyboard.press("Enter")
        expect(page.locator(".tw-panel")).to_be_visible()
        expect(s.input).to_be_focused()
        s.wait_connected()
        page.keyboard.type("pressure down below")
        before = s.bot_count()
        page.keyboard.press("Enter")
        s.wait_bot_turn(before)
        # Shift+Tab from the input reaches the quick replies, last one first
        page.keyboard.press("Shift+Tab")
        focused = page.evaluate(
            "() => document.getElementById('triage-widget').shadowRoot.activeElement.textContent"
        )
        assert focused == "I don't know"
        for _ in range(3):
            page.keyboard.press("Shift+Tab")
        before = s.bot_count()
        page.keyboard.press("Enter")  # "14 to 27 weeks"
        s.wait_bot_turn(before)
        expect(page.locator(".tw-msg--user .tw-bubble").last).to_have_text("14 to 27 weeks")
        expect(s.input).to_be_focused()  # focus goes back to the input, not lost
        # the focus ring is visible
        shadow = page.evaluate(
            "() => getComputedStyle(document.getElementById('triage-widget')"
            ".shadowRoot.activeElement).boxShadow"
        )
        assert "rgb(255, 221, 0)" in shadow
        page.keyboard.press("Escape")
        expect(page.locator(".tw-panel")).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
    finally:
        s.context.close()


def test_accessibility_structure_and_contrast(chromium, site):
    base, bot = site
    s = new_session(chromium, base, bot, width=360)
    try:
        s.open_chat()
        log = s.page.get_by_role("log", name="Conversation")
        expect(log).to_have_attribute("aria-live", "polite")
        expect(s.page.locator(".tw-status")).to_have_attribute("aria-live", "polite")
        expect(s.page.get_by_role("region", name="Riverside Maternity Clinic")).to_be_visible()
        expect(s.page.get_by_role("button", name="Send message")).to_be_visible()
        expect(s.page.get_by_role("button", name="Close chat")).to_be_visible()
        s.say("pressure down below")
        s.click_reply("14 to 27 weeks")
        s.click_reply("No")
        s.say("I'm bleeding heavily")
        s.send("still there?")  # leaves the typing indicator on screen for a moment
        assert s.page.evaluate(UNLABELLED_JS) == []
        results = s.page.evaluate(CONTRAST_JS)
        kinds = {r["cls"] for r in results}
        for wanted in (
            "tw-bubble",
            "tw-quick__button",
            "tw-call tw-call--urgent",
            "tw-call tw-call--emergency",
            "tw-title",
            "tw-strip__call tw-strip__call--emergency",
        ):
            assert any(wanted in k for k in kinds), (wanted, kinds)
        failing = [r for r in results if r["ratio"] < r["needed"]]
        assert not failing, failing
    finally:
        s.context.close()


def test_reconnects_says_so_and_sends_queued_message(chromium, demo_server, tmp_path, screenshots):
    bot = ScriptedBot(tmp_path).start()
    try:
        base = demo_server(bot.url)
        s = new_session(chromium, base, bot.url, width=360)
        try:
            s.open_chat()
            s.wait_connected()
            sid = s.session_id()
            s.say("hello")
            bot.stop()
            status = s.page.locator(".tw-status")
            expect(status).to_have_text(re.compile("Reconnecting"), timeout=15_000)
            expect(status).to_have_attribute("role", "status")
            s.send("are you still there?")  # typed while offline: queued
            expect(s.page.locator(".tw-msg--pending")).to_have_count(1)
            expect(s.page.locator(".tw-msg__note")).to_have_text(re.compile("Waiting to send"))
            s.screenshot(screenshots, "widget-offline")
            before = s.bot_count()
            bot.start()
            expect(status).to_have_text(re.compile("Connected again"), timeout=30_000)
            s.wait_bot_turn(before)
            expect(s.page.locator(".tw-msg--pending")).to_have_count(0)
            assert s.last_bot_text() == "You said: are you still there?"
            assert s.session_id() == sid
            assert {"sender_id": sid, "text": "are you still there?"} in bot.received()
        finally:
            s.context.close()
    finally:
        bot.stop()


def test_new_chat_clears_the_device(chromium, site):
    base, bot = site
    s = new_session(chromium, base, bot, width=1280)
    try:
        s.open_chat()
        s.say("hello")
        old = s.session_id()
        s.page.get_by_role("button", name=re.compile("New chat")).click()
        expect(s.page.locator(".tw-msg")).to_have_count(0)
        s.say("hello")
        assert s.session_id() not in (None, old)
        assert not any(old in k for k in s.stored_keys())
    finally:
        s.context.close()


def test_rasa_stock_channel_format(chromium, demo_server, stock_rasa_bot):
    """Rasa's own channel splits the advice on blank lines and sends the triage payload as a
    separate bot_uttered: the widget still styles the whole turn and shows the card."""
    s = new_session(chromium, demo_server(stock_rasa_bot.url), stock_rasa_bot.url, width=360)
    try:
        s.open_chat()
        s.say("pressure down below")
        s.click_reply("14 to 27 weeks")
        s.click_reply("No")
        expect(s.page.locator(".tw-triage--urgent a[href='tel:01632960111']")).to_be_visible()
        assert s.page.locator(".tw-bubble--urgent").count() == 2
        s.say("I'm bleeding heavily")
        expect(s.page.locator(".tw-triage--emergency a[href='tel:999']")).to_be_visible()
        assert s.page.locator(".tw-bubble--emergency").count() == 2
    finally:
        s.context.close()


def test_a_shared_device_keeps_the_chat_only_in_its_tab(chromium, site):
    """clinic.yml's chat_kept_hours is 0: the conversation survives a reload of its tab
    (sessionStorage), but another tab of the same browser starts empty and nothing is kept
    in localStorage."""
    base, bot = site
    s = new_session(chromium, base, bot, width=360)
    try:
        s.open_chat()
        s.say("hello")
        assert s.page.evaluate("() => Object.keys(localStorage)") == []
        other = s.context.new_page()
        other.goto(base)
        other.get_by_role("button", name=re.compile("Worried about a symptom")).click()
        expect(other.locator(".tw-panel")).to_be_visible()
        expect(other.locator(".tw-msg")).to_have_count(0)
        other.close()
    finally:
        s.context.close()


def test_leave_quickly_clears_the_chat_and_replaces_the_page(chromium, site):
    base, bot = site
    s = new_session(chromium, base, bot, width=360)
    exit_page = "https://www.bbc.co.uk/weather"
    s.page.route(
        exit_page, lambda route: route.fulfill(body="<h1>Weather</h1>", content_type="text/html")
    )
    try:
        s.open_chat()
        s.say("pressure down below")
        old = s.session_id()
        assert old and any(old in k for k in s.stored_keys())
        history = s.page.evaluate("() => history.length")
        s.page.get_by_role("button", name=re.compile("Leave quickly")).click()
        s.page.wait_for_url(exit_page)
        assert s.page.evaluate("() => history.length") == history  # replaced, not pushed
        s.page.goto(base)  # the same tab: its sessionStorage would still hold the chat
        s.open_chat()
        expect(s.page.locator(".tw-msg")).to_have_count(0)
        # the page starts a new conversation; nothing of the old one is left
        assert not any(old in k for k in s.stored_keys())
        assert s.session_id() != old
    finally:
        s.context.close()


def test_the_numbers_on_screen_come_from_the_bots_clinic_yml(chromium, site, tmp_path):
    """An embed tag with a stale triage number (a page not updated after clinic.yml changed)
    shows it only until the bot confirms the session; then the bot's number replaces it."""
    import sys

    import yaml
    from conftest import REPO, Proc, free_port

    _, bot = site
    stale = yaml.safe_load((REPO / "clinic.yml").read_text())
    real_phone = stale["maternity_triage"]["phone"]
    stale["maternity_triage"]["phone"] = "01632 960 999"
    (tmp_path / "clinic.yml").write_text(yaml.safe_dump(stale))
    port = free_port()
    page = Proc(
        ["env", f"CLINIC_CONFIG={tmp_path / 'clinic.yml'}", sys.executable, "-m", "web"]
        + ["--port", str(port), "--bot-url", bot, "--log-level", "warning"],
        tmp_path / "web.log",
        f"http://127.0.0.1:{port}/healthz",
        timeout=30,
    ).start()
    s = new_session(chromium, f"http://127.0.0.1:{port}", bot, width=360)
    try:
        s.open_chat()
        s.wait_connected()
        strip = s.page.locator(".tw-strip")
        expect(strip.locator(f"a[href='tel:{digits(real_phone)}']")).to_be_visible()
        expect(strip.locator("a[href='tel:01632960999']")).to_have_count(0)
    finally:
        s.context.close()
        page.stop()


def test_a_retried_message_is_answered_once(chromium, demo_server, tmp_path):
    """The widget sends a message again (same message id) when no reply came in time; the
    server, still processing the first, answers once and processes it once."""
    bot = ScriptedBot(tmp_path, delay=3).start()
    try:
        base = demo_server(bot.url)
        s = new_session(chromium, base, bot.url, width=360)

        # The embed tag with data-retry-seconds="1", set before the deferred script runs.
        s.page.add_init_script(
            "new MutationObserver(() => { const t = document.querySelector("
            "'script[src*=triage-widget]'); if (t) t.dataset.retrySeconds = '1'; })"
            ".observe(document, {childList: true, subtree: true});"
        )
        sent: list[str] = []
        s.page.on(
            "websocket",
            lambda ws: ws.on(
                "framesent",
                lambda frame: sent.append(frame) if "user_uttered" in str(frame) else None,
            ),
        )
        s.page.goto(base)
        try:
            s.open_chat()
            s.wait_connected()
            s.say("are you still there?", quiet=4)
            ids = [re.search(r'"message_id":"([0-9a-f]{32})"', str(f)).group(1) for f in sent]
            assert len(ids) == 2 and ids[0] == ids[1], sent  # sent twice, one id
            assert s.transcript().count("You said: are you still there?") == 1
            sid = s.session_id()
            assert [r for r in bot.received() if r["sender_id"] == sid] == [
                {"sender_id": sid, "text": "are you still there?"}
            ]
        finally:
            s.context.close()
    finally:
        bot.stop()
