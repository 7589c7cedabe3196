"""The service dashboard (issue 12, item 5) on SQLite and PostgreSQL: the figures counted in
SQL, the date range, accessible inline SVG with a table beneath each chart, roles, audit."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from console import cases, dashboard
from console.tables import audit
from tests.console import rasa_events as ev
from tests.console.conftest import text_of
from tests.console.test_followup import (
    _post,
    settings,  # noqa: F401 - the fixture: due times
)
from tests.console.test_left_before_end import left_early

UTC = ZoneInfo("UTC")


def with_symptoms(events, symptoms):
    t = events[-1].timestamp
    events.insert(-1, ev.SlotSet("symptoms", symptoms, timestamp=t - 0.5))
    return events


@pytest.fixture
def service(write, nurse_client, engine, users):
    """Three days of conversations, a review, a flag."""
    now = time.time()
    write(
        "d-urgent",
        with_symptoms(
            ev.simple_conversation(
                "pressure", "urgent", now - 7200, concerns=["cervical_insufficiency"]
            ),
            ["vaginal_pressure"],
        ),
    )
    write(
        "d-emergency",
        with_symptoms(
            ev.simple_conversation("bleeding", "emergency", now - 600, concerns=["bleeding"]),
            ["bleeding", "vaginal_pressure"],
        ),
    )
    write("d-left", left_early(now - 5400, "urgent"))
    write("d-old", ev.simple_conversation("question", "routine", now - 2 * 86400))
    nurse_client.get("/")
    # reviewed 10 minutes after it came: the emergency (due in 15) is in time
    _post(nurse_client, "d-emergency", "followup", state="in_review")
    flagged = [t for t in cases.load_case(engine, "d-urgent").turns if t.kind == "user"][0]
    cases.flag_nlu(
        engine, "d-urgent", users["nurse"], flagged.event_id, "report_pressure", "", "ip"
    )
    return now


def test_the_figures(service, engine):
    today = datetime.now(UTC).date()
    rng = dashboard.DateRange(today - timedelta(days=6), today)
    d = dashboard.compute(engine, rng, UTC, left_after=1800)
    assert d.total == 4
    assert d.level_total("urgent") == 2 and d.level_total("emergency") == 1
    assert d.level_total("routine") == 1
    assert d.total_left == 1
    assert dict(d.symptoms) == {"vaginal_pressure": 2, "bleeding": 1}
    assert d.symptoms[0] == ("vaginal_pressure", 2)
    assert dict(d.concerns) == {"cervical_insufficiency": 1, "bleeding": 1, "other_symptom": 1}
    assert d.misunderstood == [("greet", 1)]
    assert d.corrections == [("greet", "report_pressure", 1)]
    review = {r.level: r for r in d.review}
    assert review["emergency"].reviewed == 1 and review["emergency"].within_due == 1
    # the urgent case of two hours ago was not reviewed: overdue; so is the one left at urgent
    assert review["urgent"].overdue_open == 2 and review["urgent"].reviewed == 0
    assert review["routine"].with_due == 0
    # a range without them
    old = dashboard.compute(
        engine,
        dashboard.DateRange(today - timedelta(days=60), today - timedelta(days=30)),
        UTC,
        1800,
    )
    assert old.total == 0 and old.symptoms == [] and old.review == []
    dashboard.draw(old)  # empty charts draw too


def test_reused_figures_draw_the_same_svg_as_new_ones(service, engine):
    """console/svgchart.py keeps figures to draw on again: whatever was drawn before, a
    chart is byte for byte what a new figure draws; and the charts drawn while the queries
    run (compute(charts=True)) are those drawn afterwards."""
    from console import svgchart

    today = datetime.now(UTC).date()
    full = dashboard.compute(
        engine, dashboard.DateRange(today - timedelta(days=6), today), UTC, 1800
    )
    empty = dashboard.compute(
        engine,
        dashboard.DateRange(today - timedelta(days=60), today - timedelta(days=30)),
        UTC,
        1800,
    )
    new = {}
    for name, board in (("full", full), ("empty", empty)):
        svgchart.clear_pool()
        new[name] = dict(dashboard.draw(board).charts)
        board.charts = {}
    assert set(new["full"]) == set(dashboard.CHARTS)
    for name, board in (("full", full), ("empty", empty), ("full", full), ("empty", empty)):
        assert dict(dashboard.draw(board).charts) == new[name], name
        board.charts = {}
    dashboard._draw_made_up()  # what the console draws at its start: still the same
    assert dict(dashboard.draw(full).charts) == new["full"]
    overlapped = dashboard.compute(engine, full.range, UTC, 1800, now=full.computed_at, charts=True)
    assert overlapped.charts == new["full"]


def assert_midnight_splits_the_days(zone: str, write, engine, nurse_client) -> None:
    """A conversation two minutes before the clinic's midnight and one a minute after fall on
    two days, the clinic's days."""
    tz = ZoneInfo(zone)
    local_midnight = datetime.combine(datetime.now(tz).date(), datetime.min.time(), tzinfo=tz)
    write("before", ev.simple_conversation("a", "routine", local_midnight.timestamp() - 120))
    write("after", ev.simple_conversation("b", "routine", local_midnight.timestamp() + 60))
    nurse_client.get("/")
    today = local_midnight.date()
    d = dashboard.compute(engine, dashboard.DateRange(today - timedelta(days=1), today), tz, 1800)
    assert sum(d.per_day[today].values()) == 1
    assert sum(d.per_day[today - timedelta(days=1)].values()) == 1


def test_days_are_the_clinic_s_days(write, engine, nurse_client):
    assert_midnight_splits_the_days("Pacific/Auckland", write, engine, nurse_client)


def test_the_page(service, nurse_client, engine):
    page = nurse_client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 6
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids on the page"
    assert html.count("<table") == 6
    text = text_of(html)
    assert "Conversations 4 Triage started 1 Left before advice 1 (100%)" in text
    assert "vaginal pressure 2" in text
    with engine.connect() as conn:
        entry = conn.execute(
            sa.select(audit.c.username, audit.c.detail).where(audit.c.action == "view_dashboard")
        ).one()
    assert entry.username == "nurse.jo" and '"from"' in entry.detail


def test_the_date_range(service, nurse_client):
    today = date.today()
    page = nurse_client.get(
        "/dashboard",
        params={"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )
    assert page.status_code == 200
    assert "Conversations 3" in text_of(page.text)
    for bad in (
        {"from": "yesterday"},
        {"from": "2026-12-02", "to": "2026-12-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"to": "2026-02-30"},
    ):
        assert nurse_client.get("/dashboard", params=bad).status_code == 400
    for odd in (
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"x": "\x00"[:0]},
    ):
        assert nurse_client.get("/dashboard", params=odd).status_code < 500


def test_text_in_the_svg_is_escaped(write, nurse_client, engine, users):
    events = ev.simple_conversation(
        "x", "routine", time.time() - 100, intent="<script>alert(1)</script>$x$"
    )
    write("d-odd", events)
    nurse_client.get("/")
    turn = [t for t in cases.load_case(engine, "d-odd").turns if t.kind == "user"][0]
    cases.flag_nlu(engine, "d-odd", users["nurse"], turn.event_id, "greet", "", "ip")
    html = nurse_client.get("/dashboard").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_cache_keeps_a_range_for_a_while(service, engine):
    cache = dashboard.Cache(ttl=60)
    today = datetime.now(UTC).date()
    rng = dashboard.DateRange(today - timedelta(days=6), today)
    first = cache.get(engine, rng, UTC, 1800)
    assert cache.get(engine, rng, UTC, 1800) is first
    cache.clear()
    assert cache.get(engine, rng, UTC, 1800) is not first


def test_other_roles_are_refused(app, engine, users):
    from console import auth
    from tests.console.conftest import login

    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE console_users SET role = 'auditor' WHERE username = 'nurse.jo'")
        )
    with TestClient(app, base_url="http://testserver") as c:
        assert login(c, "nurse.jo", "nurse password 1234").status_code == 303
        assert c.get("/dashboard").status_code == 403
    assert auth  # the roles are the console's


def test_no_session_no_dashboard(app):
    with TestClient(app, base_url="http://testserver") as c:
        response = c.get("/dashboard", follow_redirects=False)
        assert response.status_code in (302, 303, 401)


def test_buckets_are_hours_unless_the_zone_has_a_part_hour_offset():
    today = date(2026, 12, 1)
    rng = dashboard.DateRange(today - timedelta(days=30), today)
    assert dashboard.bucket_seconds(rng, ZoneInfo("Europe/London")) == 3600
    assert dashboard.bucket_seconds(rng, ZoneInfo("Asia/Kolkata")) == 900
    # Lord Howe Island: +11:00 in its summer, +10:30 from April
    assert dashboard.bucket_seconds(rng, ZoneInfo("Australia/Lord_Howe")) == 3600
    april = dashboard.DateRange(date(2026, 3, 20), date(2026, 4, 20))
    assert dashboard.bucket_seconds(april, ZoneInfo("Australia/Lord_Howe")) == 900


def test_days_in_a_half_hour_zone(write, engine, nurse_client):
    assert_midnight_splits_the_days("Asia/Kolkata", write, engine, nurse_client)
