"""The case view: transcript, findings, decisions with reasons and sources, advice."""

from __future__ import annotations

import html as htmllib
import re
import time
from datetime import datetime, timezone

from rasa.shared.core.events import SessionStarted

from tests.console import rasa_events as ev
from tests.console.conftest import text_of

SENDER = "case-1"


def test_transcript_with_timestamps_and_buttons(nurse_client, write):
    t0 = datetime(2025, 6, 1, 9, 30, 0, tzinfo=timezone.utc).timestamp()
    write(SENDER, ev.urgent_conversation(t0))
    page = nurse_client.get(f"/conversation/{SENDER}").text
    text = text_of(page)
    assert "I'm 20 weeks and I feel a heavy pressure down below" in text
    assert "Are you having contractions (tightenings that come and go)?" in text
    assert "pressed: No" in text  # the button title, not only its payload
    assert "2025-06-01 09:30:01 UTC" in text  # patient turn time (UTC in the tests)
    assert "2025-06-01 09:30:02 UTC" in text  # bot turn time
    assert "New session" in text
    assert re.search(r"Yes\s+No\s+Not sure", text)  # the buttons the bot offered
    assert "report_pressure" in text and "93%" in text
    assert "symptom=vaginal_pressure" in text


def test_findings(nurse_client, write):
    write(SENDER, ev.urgent_conversation())
    section = text_of(nurse_client.get(f"/conversation/{SENDER}").text).split(
        "What the bot found", 1
    )[1]
    assert re.search(r"Symptoms present vaginal pressure Symptoms absent contractions", section)
    assert "Gestational age 20 weeks" in section
    assert "Contractions no" in section
    assert "Risk factors cervical surgery" in section


def test_decisions_with_reasons_sources_and_advice(nurse_client, write):
    write(SENDER, ev.urgent_conversation())
    text = text_of(nurse_client.get(f"/conversation/{SENDER}").text)
    decisions = text.split("Triage decisions", 1)[1].split("Transcript", 1)[0]
    assert "Urgent" in decisions
    assert "cervical insufficiency" in decisions
    assert "U1 Vaginal pressure at 20 weeks without contractions." in decisions
    assert "MSD Manual consumer page 'Cervical Insufficiency'" in decisions
    assert "Advice shown Call Riverside Maternity Triage now on 01632 960 111." in decisions


def test_several_sessions_and_decisions(nurse_client, write):
    now = time.time()
    events = ev.simple_conversation(
        "bit of spotting", "same_day", now - 7200, concerns=["bleeding"], rule="S2"
    )
    events += [
        SessionStarted(timestamp=now - 60),
        ev.user("now it is pouring", "report_bleeding", now - 50),
        ev.bot("Call 999 now.", now - 49, triage=ev.triage("emergency", ["bleeding"], "E1")),
    ]
    write(SENDER, events)
    page = nurse_client.get(f"/conversation/{SENDER}").text
    text = text_of(page)
    assert text.count("New session") == 2
    decisions = text.split("Triage decisions", 1)[1].split("Transcript", 1)[0]
    assert decisions.index("Same day") < decisions.index("Emergency")
    assert "Highest level: Emergency" in text


def test_conversation_without_decision(nurse_client, write):
    write(SENDER, ev.simple_conversation("hello", None))
    text = text_of(nurse_client.get(f"/conversation/{SENDER}").text)
    assert "The bot made no triage decision in this conversation." in text
    assert "Highest level: No triage" in text


def test_unknown_conversation_is_404(nurse_client):
    assert nurse_client.get("/conversation/nope").status_code == 404


def test_ids_with_slashes_and_question_marks(nurse_client, write):
    sender = "web/abc?d=1#x y"
    write(sender, ev.urgent_conversation())
    queue = nurse_client.get("/").text
    link = re.search(r'href="(/conversation/[^"]+)"', queue).group(1)
    assert link == "/conversation/web%2Fabc%3Fd%3D1%23x%20y"
    page = nurse_client.get(htmllib.unescape(link))
    assert page.status_code == 200
    assert "web/abc?d=1#x y" in text_of(page.text)
    assert 'action="/conversation/web%2Fabc%3Fd%3D1%23x%20y/review"' in page.text


def test_malformed_events_do_not_break_the_page(nurse_client, write, engine):
    import sqlalchemy as sa

    write(SENDER, ev.urgent_conversation())
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) "
                "VALUES (:s, 'bot', :t, :d)"
            ),
            [
                {"s": SENDER, "t": time.time(), "d": "{not json"},
                {
                    "s": SENDER,
                    "t": time.time(),
                    "d": '{"event": "bot", "data": {"custom": {"triage": "x"}}}',
                },
                {
                    "s": SENDER,
                    "t": time.time(),
                    "d": '{"event": "bot", "data": {"custom": {"triage": '
                    '{"level": "urgent", "reasons": [1, {"rule": 2}]}}}}',
                },
            ],
        )
    assert nurse_client.get(f"/conversation/{SENDER}").status_code == 200
    assert nurse_client.get("/").status_code == 200
