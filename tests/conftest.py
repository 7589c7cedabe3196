"""Shared fixtures. `bot` is one real trained bot (Rasa + action server, SQLite tracker store)
for the whole test session; tests use their own sender ids so conversations never mix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.servers import Bot, start_bot


@pytest.fixture(scope="session")
def bot(tmp_path_factory) -> Iterator[Bot]:
    running = start_bot(tmp_path_factory.mktemp("bot"))
    yield running
    running.stop()


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"
