"""``python -m console seed`` and ``bench-dashboard`` (issue 12, item 5): synthetic
conversations the console reads like the bot's, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from console import dashboard, seed
from console.tables import conversations, events, followups

UTC = ZoneInfo("UTC")


def test_seeded_conversations_fill_the_queue_and_the_dashboard(engine):
    result = seed.seed(engine, 60, days=3, rnd_seed=3)
    assert result.conversations == 60 and result.events > 60 * 2
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(conversations)).scalar() == 60
        assert conn.execute(sa.select(sa.func.count()).select_from(followups)).scalar() == 60
        ids = conn.execute(sa.select(events.c.sender_id).distinct()).scalars().all()
    assert all(i.startswith("seed-") for i in ids)
    today = datetime.now(UTC).date()
    board = dashboard.compute(
        engine, dashboard.DateRange(today - timedelta(days=3), today), UTC, 1800
    )
    assert board.total == 60
    assert board.total_started > 0 and board.symptoms


def test_seeding_is_refused_on_a_live_system(engine, monkeypatch):
    monkeypatch.setenv("CLINIC_LIVE", "1")
    with pytest.raises(ValueError, match="CLINIC_LIVE"):
        seed.seed(engine, 10)


def test_the_commands(cli):
    done = cli("seed", "--conversations", "30", "--days", "2")
    assert done.returncode == 0, done.stderr
    assert "seeded 30 conversations" in done.stdout
    bench = cli("bench-dashboard", "--runs", "1")
    assert bench.returncode == 0, bench.stderr
    assert "GET /dashboard (last 30 days) with 30 conversations" in bench.stdout
    assert "cold (cache emptied): median" in bench.stdout
