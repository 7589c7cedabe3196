"""The queue: levels, ordering, filters, search, paging, live updates."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from console import sync
from console.tables import conversations, sync_state
from tests.console import rasa_events as ev
from tests.console.conftest import csrf_of


def senders_in_order(html: str) -> list[str]:
    return re.findall(r'<tr data-sender="([^"]+)"', html)


@pytest.fixture
def mixed(write):
    now = time.time()
    write("c-routine", ev.simple_conversation("a question about cerclage", "routine", now - 500))
    write(
        "c-emergency",
        ev.simple_conversation(
            "I am bleeding heavily",
            "emergency",
            now - 4000,
            concerns=["bleeding"],
            weeks=22.0,
            rule="E1",
        ),
    )
    write("c-urgent", ev.urgent_conversation(now - 300))
    write("c-none", ev.simple_conversation("hello", None, now - 100))
    write("c-selfcare", ev.simple_conversation("mild itch", "self_care", now - 200))


def test_levels_and_order(nurse_client, mixed):
    html = nurse_client.get("/").text
    assert senders_in_order(html) == [
        "c-emergency",
        "c-urgent",
        "c-routine",
        "c-selfcare",
        "c-none",
    ]
    row = html[html.index('data-sender="c-urgent"') :]
    row = row[: row.index("</tr>")]
    assert "level-urgent" in row and ">Urgent<" in row
    assert "cervical insufficiency" in row
    assert "20 weeks" in row
    assert "Not reviewed" in row


def test_reviewed_go_below_unreviewed(nurse_client, mixed):
    token = csrf_of(nurse_client.get("/conversation/c-emergency").text)
    page = nurse_client.get("/conversation/c-emergency").text
    through = re.search(r'name="through_event_id" value="(\d+)"', page).group(1)
    nurse_client.post(
        "/conversation/c-emergency/review", data={"csrf_token": token, "through_event_id": through}
    )
    order = senders_in_order(nurse_client.get("/").text)
    assert order[-1] == "c-emergency"
    assert order[0] == "c-urgent"


def test_new_messages_after_review_reopen(nurse_client, mixed, write):
    page = nurse_client.get("/conversation/c-routine").text
    through = re.search(r'name="through_event_id" value="(\d+)"', page).group(1)
    nurse_client.post(
        "/conversation/c-routine/review",
        data={"csrf_token": csrf_of(page), "through_event_id": through},
    )
    assert "status-reviewed" in _row(nurse_client.get("/").text, "c-routine")
    events = ev.simple_conversation("a question about cerclage", "routine", time.time() - 500)
    events += [
        ev.user("now I have a gush of fluid", "report_fluid_leak", time.time() - 5),
        ev.bot(
            "Call now.", time.time() - 4, triage=ev.triage("urgent", ["ruptured_membranes"], "U5")
        ),
    ]
    write("c-routine", events)
    row = _row(nurse_client.get("/").text, "c-routine")
    assert "New messages since review" in row
    assert "level-urgent" in row


def _row(html, sender):
    start = html.index(f'data-sender="{sender}"')
    return html[start : html.index("</tr>", start)]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("level=urgent", {"c-urgent"}),
        ("level=emergency", {"c-emergency"}),
        ("level=none", {"c-none"}),
        ("concern=bleeding", {"c-emergency"}),
        ("concern=cervical_insufficiency", {"c-urgent"}),
        ("status=unreviewed", {"c-routine", "c-emergency", "c-urgent", "c-none", "c-selfcare"}),
        ("status=reviewed", set()),
        ("status=flagged", set()),
        ("q=CERCLAGE", {"c-routine"}),
        ("q=pressure+down", {"c-urgent"}),
        ("q=c-sel", {"c-selfcare"}),
        ("q=%25", set()),
        ("q=_", set()),
        ("level=urgent&q=bleeding", set()),
    ],
)
def test_filters(nurse_client, mixed, query, expected):
    assert set(senders_in_order(nurse_client.get("/?" + query).text)) == expected


def test_date_range(nurse_client, write):
    old = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc).timestamp()
    write("c-march", ev.simple_conversation("old one", "routine", old))
    write("c-today", ev.simple_conversation("new one", "routine"))
    assert set(senders_in_order(nurse_client.get("/?from=2024-03-10&to=2024-03-10").text)) == {
        "c-march"
    }
    assert set(senders_in_order(nurse_client.get("/?from=2024-03-11").text)) == {"c-today"}
    assert set(senders_in_order(nurse_client.get("/?to=2024-03-09").text)) == set()


@pytest.mark.parametrize(
    "query",
    [
        "level=critical",
        "status=done",
        "from=yesterday",
        "concern=A%20B",
        "page=two",
        "q=" + "x" * 201,
    ],
)
def test_invalid_filters_are_rejected(nurse_client, query):
    assert nurse_client.get("/?" + query).status_code == 400
    assert nurse_client.get("/queue/poll?" + query).status_code == 400


def test_search_is_unicode_and_case_insensitive(nurse_client, write):
    write("c-accents", ev.simple_conversation("Douleur ÉNORME au ventre", "urgent"))
    assert senders_in_order(nurse_client.get("/?q=énorme").text) == ["c-accents"]


def test_paging(nurse_client, app, settings, write):
    app.state.settings = settings.with_(page_size=2)
    for i in range(5):
        write(
            f"c-page-{i}", ev.simple_conversation(f"message {i}", "routine", time.time() - 100 * i)
        )
    first = senders_in_order(nurse_client.get("/").text)
    second = senders_in_order(nurse_client.get("/?page=2").text)
    third = senders_in_order(nurse_client.get("/?page=3").text)
    assert len(first) == len(second) == 2 and len(third) == 1
    assert len(set(first + second + third)) == 5
    assert "Page 1 of 3" in nurse_client.get("/").text


def test_poll_announces_new_urgent_conversations(nurse_client, write):
    write("c-old", ev.simple_conversation("hi", "routine"))
    page = nurse_client.get("/").text
    cursor = int(re.search(r'data-cursor="(\d+)"', page).group(1))
    quiet = nurse_client.get(f"/queue/poll?since={cursor}&initial={cursor}").json()
    assert quiet["alerts"] == []
    write(
        "c-new-emergency",
        ev.simple_conversation("passed out", "emergency", concerns=["collapse"], rule="E3"),
    )
    write("c-new-routine", ev.simple_conversation("question", "routine"))
    data = nurse_client.get(f"/queue/poll?since={cursor}&initial={cursor}").json()
    assert [a["id"] for a in data["alerts"]] == ["c-new-emergency"]
    assert data["alerts"][0]["label"] == "Emergency"
    assert 'data-sender="c-new-emergency"' in data["html"]
    assert "is-new" in _row(data["html"], "c-new-emergency")
    assert "is-new" not in _row(data["html"], "c-new-routine")
    assert data["cursor"] > cursor
    again = nurse_client.get(f"/queue/poll?since={data['cursor']}&initial={cursor}").json()
    assert again["alerts"] == []  # announced once ...
    assert "is-new" in _row(again["html"], "c-new-emergency")  # ... highlighted until reload


def test_poll_keeps_filters(nurse_client, mixed):
    data = nurse_client.get("/queue/poll?level=routine&since=0").json()
    assert senders_in_order(data["html"]) == ["c-routine"]
    assert data["total"] == 1


def test_queue_page_carries_poll_url_with_filters(nurse_client, mixed):
    html = nurse_client.get("/?level=urgent&q=pressure").text
    assert 'data-poll-url="/queue/poll?level=urgent&amp;q=pressure&amp;page=1"' in html
    assert 'src="/static/console.js"' in html


def test_sync_is_incremental_and_idempotent(engine, write):
    write("c-a", ev.simple_conversation("one", "routine"))
    assert sync.sync(engine) == 1
    assert sync.sync(engine) == 0
    write("c-b", ev.simple_conversation("two", "urgent"))
    assert sync.sync(engine) == 1
    with engine.connect() as conn:
        state = conn.execute(sa.select(sync_state)).one()
        max_id = conn.execute(sa.text("SELECT max(id) FROM events")).scalar()
        assert state.last_event_id == max_id
        assert conn.execute(sa.select(sa.func.count()).select_from(conversations)).scalar() == 2


def test_sync_reads_a_long_backlog_in_batches(engine, write, monkeypatch):
    monkeypatch.setattr(sync, "BATCH", 7)
    for i in range(6):
        write(f"c-batch-{i}", ev.urgent_conversation())
    assert sync.sync(engine) == 6


@pytest.mark.parametrize(
    "watermark,ids,gap_seen,now,expected",
    [
        (0, [1, 2, 3], None, 100, (3, None)),  # contiguous: move over all
        (0, [1, 2, 4], None, 100, (2, 100)),  # gap at 3: hold at 2, start the clock
        (2, [4, 5], 100, 130, (2, 100)),  # still open, not yet timed out
        (2, [4, 5], 100, 161, (5, None)),  # gap older than the time-out: skip it
        (2, [3, 4, 5], 100, 120, (5, None)),  # the gap filled in
        (5, [], None, 100, (5, None)),
    ],
)
def test_watermark_waits_for_gaps(watermark, ids, gap_seen, now, expected):
    assert sync._advance(watermark, ids, gap_seen, now, 60) == expected


def test_late_committed_event_is_not_lost(engine, write):
    """PostgreSQL can commit id 10 after id 11: an event that appears below a gap is still read."""
    write("c-first", ev.simple_conversation("one", "routine"))
    write("c-late", ev.simple_conversation("two", "urgent"))
    write("c-next", ev.simple_conversation("three", "routine"))
    with engine.begin() as conn:  # c-late's transaction "has not committed yet"
        late = conn.execute(
            sa.text(
                "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data "
                "FROM events WHERE sender_id = 'c-late' ORDER BY id"
            )
        ).all()
        conn.execute(sa.text("DELETE FROM events WHERE sender_id = 'c-late'"))
    sync.sync(engine, gap_timeout=3600)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sync_state.c.last_event_id)).scalar() < late[0].id
        assert {r.sender_id for r in conn.execute(sa.select(conversations))} == {
            "c-first",
            "c-next",
        }
    with engine.begin() as conn:  # ... now it commits
        for r in late:
            conn.execute(
                sa.text(
                    "INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, "
                    "action_name, data) VALUES (:id, :s, :t, :ts, :i, :a, :d)"
                ),
                {
                    "id": r.id,
                    "s": r.sender_id,
                    "t": r.type_name,
                    "ts": r.timestamp,
                    "i": r.intent_name,
                    "a": r.action_name,
                    "d": r.data,
                },
            )
    sync.sync(engine, gap_timeout=3600)
    with engine.connect() as conn:
        level = conn.execute(
            sa.select(conversations.c.level).where(conversations.c.sender_id == "c-late")
        ).scalar()
        max_id = conn.execute(sa.text("SELECT max(id) FROM events")).scalar()
        assert conn.execute(sa.select(sync_state.c.last_event_id)).scalar() == max_id
    assert level == "urgent"


def test_console_starts_before_rasa_created_its_table(tmp_path, users):
    """A fresh database where Rasa has not written yet: an empty queue, not an error."""
    from starlette.testclient import TestClient

    from console import auth, migrate
    from console.app import create_app
    from console.config import Settings
    from console.db import make_engine
    from tests.console.conftest import NURSE, SECRET, login

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = make_engine(url)
    migrate.upgrade(fresh)
    auth.create_user(fresh, *NURSE[:1], "nurse", NURSE[1])
    with TestClient(create_app(Settings(db_url=url, secret_key=SECRET), fresh)) as c:
        assert login(c, *NURSE).status_code == 303
        assert "No conversations match." in c.get("/").text
        assert c.get("/queue/poll?since=0").json()["total"] == 0
    assert not sa.inspect(fresh).has_table("events")


def test_a_conversation_left_before_a_decision_is_ranked_by_its_floor(nurse_client, write):
    """The patient left after the first question: the bot had recorded the floor (the level that
    holds whatever her answers were). The queue ranks her by it, not at the bottom."""
    now = time.time()
    left = ev.simple_conversation("spotting and pressure", None, now - 50)
    left.insert(-1, ev.SlotSet("triage_floor", "same_day", timestamp=now - 49))
    write("c-left", left)
    write("c-routine", ev.simple_conversation("a question about cerclage", "routine", now - 500))
    write("c-none", ev.simple_conversation("hello", None, now - 100))
    html = nurse_client.get("/").text
    assert senders_in_order(html) == ["c-left", "c-routine", "c-none"]
    row = html[html.index('data-sender="c-left"') :]
    assert "level-same_day" in row[: row.index("</tr>")]
