"""The follow-up workflow (issue 12, item 2), on SQLite and PostgreSQL: states with who and
when, due times from clinic.yml's rules, overdue first, "Assign to me" and "mine", the audit
log, reopening on a higher level, the purge, and no 500 on odd form values."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from console import followup, purge
from console.tables import audit, followup_changes, followups
from tests.console import rasa_events as ev
from tests.console.conftest import ADMIN, csrf_of, login, text_of
from tests.console.test_queue import senders_in_order
from triage.clinic import FollowUpDue

POLICY = FollowUpDue(
    minutes=(("emergency", 15), ("urgent", 60)), end_of_day=frozenset({"same_day"})
)


@pytest.fixture
def settings(engine):
    from console.config import Settings
    from tests.console.conftest import SECRET

    return Settings(
        db_url=engine.url.render_as_string(hide_password=False),
        secret_key=SECRET,
        gap_timeout=0,
        follow_up=POLICY,
    )


def _post(client, sender_id: str, action: str, **data):
    token = csrf_of(client.get(f"/conversation/{sender_id}").text)
    return client.post(
        f"/conversation/{sender_id}/{action}",
        data={"csrf_token": token, **data},
        follow_redirects=False,
    )


def _audit(engine, action: str) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        return [
            (r.username, r.sender_id, json.loads(r.detail))
            for r in conn.execute(
                sa.select(audit).where(audit.c.action == action).order_by(audit.c.id)
            )
        ]


def test_due_time_counts_from_when_the_level_was_reached(nurse_client, write, engine):
    now = time.time()
    write("c-urgent", ev.simple_conversation("pressure", "urgent", now - 600))
    write("c-routine", ev.simple_conversation("question", "routine", now - 600))
    nurse_client.get("/")
    f = followup.load(engine, "c-urgent")
    assert f.state == "new" and f.due_level == "urgent"
    assert f.due_at == pytest.approx(now - 600 + 2 + 3600)  # the decision came at t0 + 2
    assert not f.overdue(now)
    assert followup.load(engine, "c-routine").due_at is None  # no rule for routine
    page = text_of(nurse_client.get("/conversation/c-urgent").text)
    assert "State: New" in page and "(Urgent: within 1 hour)" in page
    assert "Assigned to: nobody" in page


def test_overdue_cases_are_highlighted_and_sorted_first(nurse_client, write):
    now = time.time()
    # an urgent case 2 hours old is overdue; a fresh emergency is not (yet)
    write("c-overdue", ev.simple_conversation("pressure", "urgent", now - 7200))
    write("c-emergency", ev.simple_conversation("bleeding", "emergency", now - 60))
    write("c-routine", ev.simple_conversation("question", "routine", now - 30))
    html = nurse_client.get("/").text
    assert senders_in_order(html) == ["c-overdue", "c-emergency", "c-routine"]
    row = html[html.index('data-sender="c-overdue"') :]
    row = row[: row.index("</tr>")]
    assert "is-overdue" in row and "Overdue" in row
    assert senders_in_order(nurse_client.get("/?status=overdue").text) == ["c-overdue"]
    # contacted: no longer overdue, sorted by level again
    assert _post(nurse_client, "c-overdue", "followup", state="contacted").status_code == 303
    assert senders_in_order(nurse_client.get("/").text)[0] == "c-emergency"
    assert senders_in_order(nurse_client.get("/?status=overdue").text) == []
    case = nurse_client.get("/conversation/c-emergency").text
    assert "Overdue" not in text_of(case)


def test_state_changes_are_recorded_with_who_and_when(nurse_client, write, engine, users):
    write("c-1", ev.urgent_conversation())
    before = time.time()
    for state in ("in_review", "contact_attempted", "contacted", "closed"):
        response = _post(nurse_client, "c-1", "followup", state=state)
        assert response.status_code == 303
        assert response.headers["location"].endswith("/conversation/c-1?done=followup")
    f = followup.load(engine, "c-1")
    assert f.state == "closed"
    assert [(c.by, c.kind, c.state) for c in f.history] == [
        ("nurse.jo", "state", s) for s in ("in_review", "contact_attempted", "contacted", "closed")
    ]
    assert all(before <= c.at <= time.time() for c in f.history)
    assert [(u, sid, d["from"], d["to"]) for u, sid, d in _audit(engine, "followup_state")] == [
        ("nurse.jo", "c-1", "new", "in_review"),
        ("nurse.jo", "c-1", "in_review", "contact_attempted"),
        ("nurse.jo", "c-1", "contact_attempted", "contacted"),
        ("nurse.jo", "c-1", "contacted", "closed"),
    ]
    page = text_of(nurse_client.get("/conversation/c-1?done=followup").text)
    assert "Follow-up state changed." in page and "State: Closed" in page
    assert "nurse.jo: Contact attempted" in page


@pytest.mark.parametrize(
    "state", ["", "done", "NEW", "closed ", "\x00", "x" * 3000, "<script>", "9" * 30]
)
def test_an_unknown_state_is_refused_without_a_change(nurse_client, write, engine, state):
    write("c-1", ev.urgent_conversation())
    response = _post(nurse_client, "c-1", "followup", state=state)
    assert response.status_code == 400
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(followup_changes)).scalar() == 0


def test_unknown_conversation_is_refused(nurse_client, write, engine):
    write("c-1", ev.urgent_conversation())
    token = csrf_of(nurse_client.get("/conversation/c-1").text)
    for action, data in (("followup", {"state": "closed"}), ("assign", {})):
        response = nurse_client.post(
            f"/conversation/nobody/{action}",
            data={"csrf_token": token, **data},
            follow_redirects=False,
        )
        assert response.status_code == 400
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(followup_changes)).scalar() == 0
        assert (
            conn.execute(
                sa.select(sa.func.count())
                .select_from(followups)
                .where(followups.c.sender_id == "nobody")
            ).scalar()
            == 0
        )


def test_assign_to_me_and_the_mine_filter(nurse_client, app, write, engine, users):
    now = time.time()
    write("c-mine", ev.simple_conversation("pressure", "urgent", now - 100))
    write("c-other", ev.simple_conversation("bleeding", "emergency", now - 100))
    assert senders_in_order(nurse_client.get("/?mine=1").text) == []
    response = _post(nurse_client, "c-mine", "assign")
    assert response.status_code == 303
    page = text_of(nurse_client.get("/conversation/c-mine?done=assigned").text)
    assert "Follow-up assigned to you." in page and "Assigned to: nurse.jo" in page
    assert 'id="assign-to-me"' not in nurse_client.get("/conversation/c-mine").text
    assert senders_in_order(nurse_client.get("/?mine=1").text) == ["c-mine"]
    assert 'name="mine" type="checkbox" value="1" checked' in nurse_client.get("/?mine=1").text
    # the admin takes it over: it leaves the nurse's list, and both are recorded
    with TestClient(app, base_url="http://testserver") as admin:
        assert login(admin, *ADMIN).status_code == 303
        assert _post(admin, "c-mine", "assign").status_code == 303
        assert senders_in_order(admin.get("/?mine=1").text) == ["c-mine"]
    assert senders_in_order(nurse_client.get("/?mine=1").text) == []
    f = followup.load(engine, "c-mine")
    assert [(c.by, c.assignee) for c in f.history] == [
        ("nurse.jo", "nurse.jo"),
        ("admin.sam", "admin.sam"),
    ]
    details = [d for _, _, d in _audit(engine, "followup_assign")]
    assert details == [
        {"assignee_id": users["nurse"].id, "previous_assignee_id": None},
        {"assignee_id": users["admin"].id, "previous_assignee_id": users["nurse"].id},
    ]
    for bad in ("0", "yes", "x" * 300):
        assert nurse_client.get("/", params={"mine": bad}).status_code == 400


def test_a_higher_level_reopens_a_closed_follow_up(nurse_client, write, engine):
    now = time.time()
    first = ev.simple_conversation("pressure", "urgent", now - 7200)
    write("c-1", first)
    nurse_client.get("/")
    assert _post(nurse_client, "c-1", "followup", state="closed").status_code == 303
    later = first + ev.simple_conversation("now bleeding", "emergency", now - 60)[2:]
    write("c-1", later)
    nurse_client.get("/")
    f = followup.load(engine, "c-1")
    assert f.state == "new" and f.due_level == "emergency"
    assert f.due_at == pytest.approx(now - 60 + 2 + 15 * 60)
    assert (f.history[-1].by, f.history[-1].state) == ("console", "new")
    assert _audit(engine, "followup_state")[-1] == (
        "console",
        "c-1",
        {"from": "closed", "to": "new", "reopened_at_level": "emergency"},
    )


def test_the_follow_up_is_purged_with_the_conversation(nurse_client, write, engine):
    write("c-old", ev.simple_conversation("pressure", "urgent", time.time() - 40 * 86400))
    nurse_client.get("/")
    assert _post(nurse_client, "c-old", "followup", state="in_review").status_code == 303
    purge.purge(engine, older_than_days=30, actor="test")
    with engine.connect() as conn:
        for table in (followups, followup_changes):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_without_a_session_nothing_changes(app, write, engine, users):
    write("c-1", ev.urgent_conversation())
    with TestClient(app, base_url="http://testserver") as anonymous:
        for action in ("followup", "assign"):
            response = anonymous.post(
                f"/conversation/c-1/{action}", data={"state": "closed"}, follow_redirects=False
            )
            assert response.status_code in (303, 401, 403)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(followup_changes)).scalar() == 0


def test_the_fuzz_edge_values_never_give_a_500(nurse_client, write):
    """The route fuzz's edge values (tests/console/test_fuzz.py) on this item's parameters:
    the follow-up form, the queue's "mine" and "status", the dashboard's range."""
    from tests.console.test_fuzz import EDGES

    write("c-1", ev.urgent_conversation())
    token = csrf_of(nurse_client.get("/conversation/c-1").text)
    for value in EDGES:
        for path, data in (("followup", {"state": value}), ("assign", {"state": value})):
            response = nurse_client.post(
                f"/conversation/c-1/{path}",
                data={"csrf_token": token, **data},
                follow_redirects=False,
            )
            assert response.status_code < 500, (path, value)
        for name in ("mine", "status"):
            assert nurse_client.get("/", params={name: value}).status_code < 500, (name, value)
        for name in ("from", "to"):
            response = nurse_client.get("/dashboard", params={name: value})
            assert response.status_code < 500, (name, value)


def test_two_nurses_acting_at_once_both_count(engine, write, users):
    """Both insert the missing follow-up row; the loser retries as an update (no 500)."""
    from concurrent.futures import ThreadPoolExecutor

    for n in range(5):
        write(f"c-race-{n}", ev.urgent_conversation())
    jobs = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for n in range(5):
            jobs.append(
                pool.submit(
                    followup.change_state, engine, f"c-race-{n}", users["nurse"], "in_review", "ip"
                )
            )
            jobs.append(
                pool.submit(followup.assign_to_me, engine, f"c-race-{n}", users["admin"], "ip")
            )
        for job in jobs:
            job.result()
    for n in range(5):
        f = followup.load(engine, f"c-race-{n}")
        assert (f.state, f.assignee) == ("in_review", "admin.sam")
        assert len(f.history) == 2
