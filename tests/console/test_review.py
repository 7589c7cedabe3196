"""The review workflow, and the audit trail it leaves."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from console import audit
from console.tables import flags, notes, reviews
from tests.console import rasa_events as ev
from tests.console.conftest import NURSE, csrf_of

SENDER = "review-1"


@pytest.fixture
def case(nurse_client, write):
    write(SENDER, ev.urgent_conversation())
    page = nurse_client.get(f"/conversation/{SENDER}").text
    return {"token": csrf_of(page), "page": page}


def event_ids(page: str, kind: str) -> list[int]:
    return [
        int(x) for x in re.findall(rf'<li class="turn turn-{kind}[^"]*" id="event-(\d+)"', page)
    ]


def post(client, path, token, **data):
    return client.post(
        f"/conversation/{SENDER}/{path}", data={"csrf_token": token, **data}, follow_redirects=False
    )


def test_mark_reviewed(nurse_client, case, engine):
    through = re.search(r'name="through_event_id" value="(\d+)"', case["page"]).group(1)
    response = post(nurse_client, "review", case["token"], through_event_id=through)
    assert response.status_code == 303
    assert response.headers["location"] == f"/conversation/{SENDER}?done=reviewed"
    page = nurse_client.get(response.headers["location"]).text
    assert "Marked as reviewed." in page
    assert "status-reviewed" in page and NURSE[0] in page
    with engine.connect() as conn:
        row = conn.execute(sa.select(reviews)).one()
    assert row.sender_id == SENDER and row.through_event_id == int(through)
    entries, _ = audit.entries(engine, action="mark_reviewed")
    assert entries[0].username == NURSE[0] and entries[0].sender_id == SENDER


def test_add_note_and_contacted(nurse_client, case, engine):
    assert post(nurse_client, "note", case["token"], body="Left a voicemail.").status_code == 303
    assert post(nurse_client, "contacted", case["token"], body="").status_code == 303
    page = nurse_client.get(f"/conversation/{SENDER}").text
    assert "Left a voicemail." in page
    assert "Patient contacted" in page
    with engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(notes).order_by(notes.c.id))]
    assert kinds == ["note", "contact"]
    actions = [e.action for e in audit.entries(engine, sender_id=SENDER)[0]]
    assert "add_note" in actions and "patient_contacted" in actions
    assert "contacted" in nurse_client.get("/?status=contacted").text


def test_empty_or_huge_note_is_refused(nurse_client, case):
    assert post(nurse_client, "note", case["token"], body="   ").status_code == 400
    assert post(nurse_client, "note", case["token"], body="x" * 5001).status_code == 400


def test_flag_triage_with_correct_level(nurse_client, case, engine):
    bot_ids = event_ids(case["page"], "bot")
    decision_id = bot_ids[-1]
    response = post(
        nurse_client,
        "flag-triage",
        case["token"],
        event_id=str(decision_id),
        correct_level="emergency",
        comment="membranes were felt",
    )
    assert response.status_code == 303
    with engine.connect() as conn:
        flag = conn.execute(sa.select(flags)).one()
    assert (flag.kind, flag.bot_value, flag.correct_value) == ("triage", "urgent", "emergency")
    page = nurse_client.get(f"/conversation/{SENDER}").text
    assert "should have been" in page and "membranes were felt" in page
    assert "review-1" in nurse_client.get("/?status=flagged").text


def test_flag_nlu_with_intent(nurse_client, case, engine):
    user_id = event_ids(case["page"], "user")[0]
    assert (
        post(
            nurse_client,
            "flag-nlu",
            case["token"],
            event_id=str(user_id),
            correct_intent="report_red_flag",
        ).status_code
        == 303
    )
    with engine.connect() as conn:
        flag = conn.execute(sa.select(flags)).one()
    assert (flag.kind, flag.bot_value, flag.correct_value) == (
        "nlu",
        "report_pressure",
        "report_red_flag",
    )


@pytest.mark.parametrize(
    "path,data",
    [
        ("flag-triage", {"correct_level": "critical"}),
        ("flag-triage", {"correct_level": "urgent", "event_id": "user"}),  # a patient turn
        ("flag-nlu", {"correct_intent": "report_pressure", "event_id": "bot"}),  # a bot turn
        ("flag-nlu", {"correct_intent": "bad intent!"}),
        ("flag-nlu", {"correct_intent": "greet", "event_id": "999999999"}),
        ("flag-nlu", {"correct_intent": "greet", "event_id": "abc"}),
    ],
)
def test_invalid_flags_are_refused(nurse_client, case, engine, path, data):
    ids = {"user": event_ids(case["page"], "user")[0], "bot": event_ids(case["page"], "bot")[0]}
    default = ids["bot"] if path == "flag-triage" else ids["user"]
    data = dict(data)  # the parameters are shared by the SQLite and PostgreSQL runs
    event_id = data.pop("event_id", default)
    event_id = ids.get(event_id, event_id)
    response = post(nurse_client, path, case["token"], event_id=str(event_id), **data)
    assert response.status_code == 400
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(flags)).scalar() == 0


def test_event_of_another_conversation_cannot_be_flagged(nurse_client, case, write):
    write("other-conv", ev.urgent_conversation())
    other_page = nurse_client.get("/conversation/other-conv").text
    foreign = event_ids(other_page, "user")[0]
    response = post(
        nurse_client, "flag-nlu", case["token"], event_id=str(foreign), correct_intent="greet"
    )
    assert response.status_code == 400


def test_actions_on_unknown_conversation(nurse_client, case):
    response = nurse_client.post(
        "/conversation/missing/note",
        data={"csrf_token": case["token"], "body": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 400


def test_audit_records_views(nurse_client, case, engine):
    entries, _ = audit.entries(engine, sender_id=SENDER, action="view_case")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.username == NURSE[0] and entry.sender_id == SENDER and entry.at > 0
    nurse_client.get(f"/conversation/{SENDER}")
    assert audit.entries(engine, sender_id=SENDER, action="view_case")[1] == 2


def test_admin_reads_the_audit_log(nurse_client, admin_client, case, engine):
    page = admin_client.get(f"/admin/audit?sender_id={SENDER}").text
    assert "view case" in page and NURSE[0] in page
    assert admin_client.get("/admin/audit?action=login").status_code == 200
    assert admin_client.get("/admin/audit?action=rm -rf").status_code == 400
    # reading the audit log is audited too
    assert audit.entries(engine, action="view_audit")[1] >= 1


def test_audit_details_hold_no_patient_text(nurse_client, case, engine):
    post(nurse_client, "note", case["token"], body="Patient said her name is Jane Doe")
    nurse_client.get("/", params={"q": "Jane Doe"})
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for r in conn.execute(sa.text("SELECT * FROM console_audit")) for v in r
        )
    assert "Jane Doe" not in dump
    assert "pressure down below" not in dump
