"""Shared fixtures. `bot` is one real trained bot (Rasa + action server, SQLite tracker store)
for the whole test session; tests use their own sender ids so conversations never mix.
`chromium` is headless Debian Chromium for the console's and the widget's browser tests, one per
test module: Playwright's sync API keeps an event loop running in the main thread while it is
open (a second instance, or a later test's asyncio.run(), would fail), so it closes after its
module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eval.servers import Bot, start_bot


@pytest.fixture(scope="session")
def bot(tmp_path_factory) -> Iterator[Bot]:
    running = start_bot(tmp_path_factory.mktemp("bot"))
    yield running
    running.stop()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's /usr/bin/chromium driven by Playwright (never `playwright install`)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (never `playwright install`)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"
