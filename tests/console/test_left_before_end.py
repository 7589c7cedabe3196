"""Conversations left before the end (issue 12, item 1): no final decision after the bot
started its questions, and no message for ``left_after_minutes``. They rank at their floor,
carry a mark, have a filter, and the case view says what was still unknown."""

from __future__ import annotations

import json
import time

from console.events import ASKING, DECIDED, event_row, summarize, triage_progress
from tests.console import rasa_events as ev
from tests.console.conftest import text_of
from tests.console.test_notify import config, cycle, receiver, smtp  # noqa: F401 - fixtures
from tests.console.test_queue import senders_in_order


def left_early(t0: float, floor: str = "urgent", asking: str = "contractions", weeks=None):
    """The patient reported a symptom, was asked a question and never answered."""
    events = ev.simple_conversation("pressure down below", None, t0, weeks=weeks)
    events.insert(-1, ev.SlotSet("triage_floor", floor, timestamp=t0 + 1.6))
    events.insert(-1, ev.SlotSet("requested_slot", asking, timestamp=t0 + 1.6))
    return events


def decided(t0: float, level: str = "urgent"):
    events = ev.simple_conversation("pressure down below", level, t0, weeks=20.0)
    events.insert(-1, ev.SlotSet("triage_level", level, timestamp=t0 + 1.6))
    events.insert(-1, ev.SlotSet("triage_floor", level, timestamp=t0 + 1.6))
    return events


def _rows(events):
    rows = []
    for i, e in enumerate(events, start=1):
        data = e.as_dict()
        rows.append(event_row(i, data["event"], data.get("timestamp"), json.dumps(data)))
    return rows


def test_progress_reads_the_slots_of_the_last_session_that_started_the_triage():
    t = time.time() - 3600
    progress = triage_progress(_rows(left_early(t, "same_day", "gestational_weeks")))
    assert progress.state == ASKING
    assert progress.floor == "same_day"
    assert progress.unknown == ("gestational_weeks", "contractions")
    assert progress.asking == "gestational_weeks"
    # a final decision afterwards: decided, nothing unknown
    later = left_early(t) + decided(t + 100)
    assert triage_progress(_rows(later)).state == DECIDED
    assert triage_progress(_rows(later)).unknown == ()
    # decided in the first session, left in the second: slots start empty in a new session
    again = decided(t) + left_early(t + 50_000, "same_day")
    assert triage_progress(_rows(again)).state == ASKING
    # a new session that never started the triage keeps the last one that did
    chat = left_early(t) + ev.simple_conversation("thanks", None, t + 50_000)
    assert triage_progress(_rows(chat)).state == ASKING
    # no question asked at all
    assert triage_progress(_rows(ev.simple_conversation("hello", None, t))).state is None


def test_the_bleeding_amount_is_unknown_only_when_she_was_bleeding():
    t = time.time() - 3600
    events = left_early(t, "urgent", "bleeding_amount", weeks=22.0)
    events.insert(-1, ev.SlotSet("symptoms", ["bleeding"], timestamp=t + 1.5))
    events.insert(-1, ev.SlotSet("contractions", "no", timestamp=t + 1.5))
    progress = triage_progress(_rows(events))
    assert progress.unknown == ("bleeding_amount",) and progress.asking == "bleeding_amount"
    # no bleeding: the amount is no question she left unanswered
    assert "bleeding_amount" not in triage_progress(_rows(left_early(t))).unknown


def test_summary_level_is_the_floor_and_level_at_when_it_was_reached():
    t = time.time() - 3600
    summary = summarize("s", _rows(left_early(t, "urgent")))
    assert (summary.level, summary.triage_state) == ("urgent", ASKING)
    assert summary.level_at == t + 1.6
    summary = summarize("s", _rows(decided(t, "emergency")))
    assert (summary.level, summary.triage_state, summary.level_at) == ("emergency", DECIDED, t + 2)


def test_the_queue_marks_and_filters_conversations_left_before_the_end(nurse_client, write):
    now = time.time()
    write("c-left", left_early(now - 3600, "urgent"))  # quiet for an hour: left
    write("c-answering", left_early(now - 120, "urgent"))  # two minutes ago: still answering
    write("c-decided", decided(now - 3600, "urgent"))
    write("c-routine", ev.simple_conversation("a question", "routine", now - 7200))
    html = nurse_client.get("/").text
    rows = {sid: html[html.index(f'data-sender="{sid}"') :] for sid in ("c-left", "c-answering")}
    rows = {sid: row[: row.index("</tr>")] for sid, row in rows.items()}
    assert "Left before the end" in rows["c-left"] and "level-urgent" in rows["c-left"]
    assert "Left before the end" not in rows["c-answering"]
    # at their floor: above the routine conversation
    assert senders_in_order(html).index("c-left") < senders_in_order(html).index("c-routine")
    only = nurse_client.get("/?status=left")
    assert only.status_code == 200
    assert senders_in_order(only.text) == ["c-left"]
    assert 'value="left" selected' in only.text
    poll = nurse_client.get("/queue/poll?status=left&since=0").json()
    assert poll["total"] == 1 and "Left before the end" in poll["html"]


def test_the_waiting_time_is_a_setting(app, nurse_client, write):
    now = time.time()
    write("c-answering", left_early(now - 120, "urgent"))
    assert senders_in_order(nurse_client.get("/?status=left").text) == []
    app.state.settings = app.state.settings.with_(left_after_minutes=1)
    assert senders_in_order(nurse_client.get("/?status=left").text) == ["c-answering"]


def test_the_case_view_shows_the_floor_and_what_was_still_unknown(nurse_client, write):
    now = time.time()
    write("c-left", left_early(now - 3600, "urgent", "contractions", weeks=20.0))
    page = text_of(nurse_client.get("/conversation/c-left").text)
    assert "Left before the end" in page
    assert "Floor level: Urgent" in page
    assert "Still unknown: whether she has contractions (the question she was asked last)." in page
    assert "how many weeks" not in page
    write("c-decided", decided(now - 3600))
    page = text_of(nurse_client.get("/conversation/c-decided").text)
    assert "Left before the end" not in page and "Floor level" not in page
    write("c-answering", left_early(now - 60, "same_day", "gestational_weeks"))
    page = text_of(nurse_client.get("/conversation/c-answering").text)
    assert "No final decision yet" in page and "Left before the end" not in page
    assert "how many weeks pregnant (the question she was asked last); whether she has" in page


def test_alerts_say_when_the_bot_had_no_final_decision(engine, write, smtp, receiver):  # noqa: F811
    """The alert (console/notify.py) carries, with no patient text, whether the bot had given
    its final decision when it was sent; the email says so in words. A real SMTP server and
    HTTP receiver (tests/console/test_notify.py's)."""
    box, port = smtp
    now = time.time()
    write("a-left", left_early(now - 120, "urgent"))
    write("a-done", decided(now - 120, "urgent"))
    cycle(engine, config(port, webhook=receiver.url))
    hooks = {
        json.loads(raw)["case_url"].rsplit("/", 1)[1]: json.loads(raw)
        for _, raw in receiver.requests
    }
    assert hooks["a-left"]["final_decision"] is False
    assert hooks["a-done"]["final_decision"] is True
    mails = {
        m.get_payload(decode=True).decode().split("/conversation/")[1].split()[0]: m
        for m in box.messages
    }
    assert (
        "has not given its final decision yet" in mails["a-left"].get_payload(decode=True).decode()
    )
    assert "final decision" not in mails["a-done"].get_payload(decode=True).decode()
