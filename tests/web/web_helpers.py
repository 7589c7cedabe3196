"""Helpers for driving the widget in a Playwright page (its shadow root is open, and
Playwright's CSS and role locators pierce it)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.contrast import contrast_js

BOT_MESSAGES = ".tw-msg--bot"
USER_MESSAGES = ".tw-msg--user"
TRIAGE_CARDS = ".tw-triage"
# The widget's saved conversation ({id, token, updated}) as a JS expression: in sessionStorage
# by default, in localStorage when the clinic keeps conversations (data-storage="local").
SAVED_SESSION = (
    "[sessionStorage, localStorage].map(st => st.getItem(Object.keys(st).find("
    "k => k.startsWith('triageWidget:session:')) || '')).find(v => v)"
)


def digits(number: str) -> str:
    return re.sub(r"[^0-9+]", "", number)


@dataclass
class Session:
    """One browser context (its own storage) showing the demo page."""

    context: BrowserContext
    page: Page
    base_url: str
    bot_url: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- navigation
    def open_chat(self) -> None:
        launcher = self.page.get_by_role("button", name=re.compile("Worried about a symptom"))
        if self.page.locator(".tw-panel").is_hidden():
            launcher.click()
        expect(self.page.locator(".tw-panel")).to_be_visible()

    def wait_connected(self, timeout: float = 20_000) -> None:
        self.page.wait_for_function(
            "() => { const h = document.getElementById('triage-widget');"
            f" return h && h.shadowRoot && !!({SAVED_SESSION}) }}",
            timeout=timeout,
        )

    def session_id(self) -> str | None:
        return self.page.evaluate(
            f"() => {{ const saved = {SAVED_SESSION}; return saved ? JSON.parse(saved).id : null }}"
        )

    def stored_keys(self) -> list[str]:
        """Every key in the page's localStorage and sessionStorage."""
        return self.page.evaluate(
            "() => Object.keys(localStorage).concat(Object.keys(sessionStorage))"
        )

    # ---------------------------------------------------------------- conversation
    @property
    def input(self):
        return self.page.get_by_role("textbox", name="Type your message")

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def bot_count(self) -> int:
        return self.page.locator(f"{BOT_MESSAGES}, {TRIAGE_CARDS}").count()

    def wait_bot_turn(self, before: int, quiet: float = 1.5, timeout: float = 60) -> None:
        """Wait until the bot said something after `before` items and then went quiet."""
        deadline = time.monotonic() + timeout
        while self.bot_count() <= before:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the bot did not answer within {timeout}s; last status: "
                    f"{self.page.locator('.tw-status').text_content()!r}"
                )
            self.page.wait_for_timeout(100)
        seen, since = self.bot_count(), time.monotonic()
        while time.monotonic() - since < quiet and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if self.bot_count() != seen:
                seen, since = self.bot_count(), time.monotonic()

    def say(self, text: str, **kw) -> None:
        before = self.bot_count()
        self.send(text)
        self.wait_bot_turn(before, **kw)

    def click_reply(self, name: str | re.Pattern, **kw) -> None:
        before = self.bot_count()
        self.open_replies().get_by_role("button", name=name, exact=isinstance(name, str)).click()
        self.wait_bot_turn(before, **kw)

    def open_replies(self):
        return self.page.locator(".tw-quick").filter(has=self.page.locator("button:enabled")).last

    def last_bot_text(self) -> str:
        return self.page.locator(f"{BOT_MESSAGES} .tw-bubble").last.inner_text()

    def transcript(self) -> list[str]:
        return self.page.locator(".tw-log .tw-bubble").all_inner_texts()

    def screenshot(self, folder: Path, name: str) -> Path:
        viewport = self.page.viewport_size
        assert viewport is not None, "the page has no fixed viewport"
        width = viewport["width"]
        path = folder / f"{name}-{width}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def third_party_requests(self) -> list[str]:
        allowed = {urlsplit(self.base_url).netloc, urlsplit(self.bot_url).netloc}
        return [
            u
            for u in self.requests
            if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).netloc not in allowed
        ]


def new_session(
    browser: Browser,
    base_url: str,
    bot_url: str,
    width: int = 1280,
    height: int = 800,
    context: BrowserContext | None = None,
) -> Session:
    mobile = width < 600
    if context is None:
        context = browser.new_context(
            viewport={"width": width, "height": height if not mobile else 740},
            device_scale_factor=1,
            is_mobile=mobile,
            has_touch=mobile,
            locale="en-GB",
        )
    page = context.new_page()
    session = Session(context, page, base_url, bot_url)

    def on_dialog(dialog: Dialog) -> None:
        session.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console", lambda m: session.console_errors.append(m.text) if m.type == "error" else None
    )
    page.on("pageerror", lambda e: session.console_errors.append(str(e)))
    page.on("request", lambda r: session.requests.append(r.url))
    page.on("websocket", lambda ws: session.requests.append(ws.url))
    page.goto(base_url + "/")
    page.wait_for_selector("#triage-widget", state="attached")
    page.wait_for_function(
        "() => !!document.getElementById('triage-widget').shadowRoot"
        ".querySelector('.tw-root--ready')"
    )
    return session


# The widget's: inside its shadow root.
CONTRAST_JS = contrast_js(
    "document.getElementById('triage-widget').shadowRoot.querySelector('.tw-root')", ".tw-vh"
)

# Every control in the widget has an accessible name.
UNLABELLED_JS = r"""
() => {
  const root = document.getElementById('triage-widget').shadowRoot;
  const name = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
    if (el.getAttribute('aria-labelledby')) return el.getAttribute('aria-labelledby').split(' ')
      .map(id => (root.getElementById(id) || {}).textContent || '').join(' ').trim();
    if (el.labels && el.labels.length) return Array.from(el.labels).map(l => l.textContent).join(' ').trim();
    return (el.textContent || '').trim();
  };
  return Array.from(root.querySelectorAll('button, a, textarea, input, select, [role=log], section, form'))
    .filter(el => !name(el)).map(el => el.outerHTML.slice(0, 120));
}
"""
