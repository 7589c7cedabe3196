"""No 500, ever (issue 14, finding 7): out-of-range and garbage parameters on every route.

1. A property-based fuzz (hypothesis) over every route of ``console.app.ROUTES``, its path,
   query and form parameters (the ones each view reads, plus a random one), signed in as a
   nurse and as an admin: 2 x 1,100 requests per run, in process against a SQLite file seeded
   the same way each run; ``derandomize=True`` makes the examples the same on every run (CI
   is reproducible) and no example database is kept. A route added later is fuzzed too.
2. The values that gave a 500 before the fix, on SQLite and PostgreSQL (the fuzz runs on
   SQLite only, and PostgreSQL refuses more: NUL characters, integers beyond 32 bits).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from console import auth, migrate
from console.app import ROUTES, create_app
from console.config import Settings
from console.db import make_engine
from console.tables import events
from console.web import DIGEST_PREFIX, case_url
from tests.console import rasa_events as ev
from tests.console.conftest import ADMIN, NURSE, SECRET, csrf_of, login

EXAMPLES_PER_ROLE = 1100  # two roles: 2,200 requests a run (the issue asks for 2,000 or more)

#: The parameters each view reads (the fuzz adds a random name to every request as well).
QUERY = {
    "/login": ["next"],
    "/": ["level", "concern", "from", "to", "status", "q", "page", "mine"],
    "/queue/poll": [
        *("level", "concern", "from", "to", "status", "q", "page", "since", "initial", "mine"),
    ],
    "/dashboard": ["from", "to"],
    "/conversation/{sender_id}": ["done"],
    "/admin/audit": ["sender_id", "username", "action", "page"],
}
FORM = {
    "/login": ["username", "password", "next"],
    "/conversation/{sender_id}/review": ["through_event_id"],
    "/conversation/{sender_id}/note": ["body"],
    "/conversation/{sender_id}/contacted": ["body"],
    "/conversation/{sender_id}/flag-nlu": ["event_id", "correct_intent", "comment"],
    "/conversation/{sender_id}/flag-triage": ["event_id", "correct_level", "comment"],
    "/conversation/{sender_id}/followup": ["state"],
    "/conversation/{sender_id}/assign": [],
}
SENDERS = ["fuzz-urgent", "fuzz-routine", "odd\nid/with%", "L" * 300]
EDGES = [
    "",
    "0",
    "-1",
    "1",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2025-02-30",
    "9" * 30,
    "-" + "9" * 30,
    str(2**31),
    str(2**63),
    "1e309",
    "NaN",
    "%00",
    "\x00",
    "%",
    "\n",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "🤰",
    "x" * 3000,
    "urgent",
    "emergency",
    "none",
    "needs_review",
    "reviewed",
    "login_failed",
    "view_queue",
    "report_pressure",
    "bleeding",
    "reviewed",
    "note",
    "/conversation/fuzz-urgent",
    "//evil.example/",
]

values = st.one_of(
    st.sampled_from(EDGES),
    st.integers(-(2**70), 2**70).map(str),
    st.text(max_size=40),
    st.dates().map(lambda d: d.isoformat()),
    st.text(alphabet=string.printable, max_size=300),
)


@dataclass
class Session:
    """The fuzzing client's login, renewed if a fuzzed request logged it out."""

    client: TestClient
    user: tuple[str, str]
    token: str = ""
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def renew(self) -> None:
        self.client.cookies.clear()
        assert login(self.client, *self.user).status_code == 303
        self.token = csrf_of(self.client.get("/").text)

    def alive(self) -> bool:
        return self.client.get("/queue/poll", headers={"accept": "application/json"}).is_success


def _routes() -> list[tuple[str, str]]:
    """(method, path pattern) of every route of the app, as the router sees them."""
    found = []
    for route in ROUTES:
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, route.path_format))
    return found


@st.composite
def fuzz_requests(draw, event_ids: list[int]):
    method, pattern = draw(st.sampled_from(_routes()))
    path = pattern
    if "{sender_id}" in pattern:
        suffix = pattern.split("{sender_id}", 1)[1]
        how = draw(st.sampled_from(["known", "raw", "digest"]))
        if how == "known":
            path = case_url(draw(st.sampled_from(SENDERS)), suffix)
        elif how == "raw":
            path = "/conversation/" + quote(draw(values), safe="") + suffix
        else:
            path = DIGEST_PREFIX + quote(draw(values), safe="") + suffix
    ints = st.one_of(st.sampled_from(event_ids).map(str), values)
    numeric = {"through_event_id", "event_id", "page", "since", "initial"}

    def fill(names: list[str]) -> dict[str, str]:
        chosen = {n: draw(ints if n in numeric else values) for n in names if draw(st.booleans())}
        if draw(st.booleans()):
            chosen[draw(st.text(min_size=1, max_size=10))] = draw(values)
        return chosen

    query = fill(QUERY.get(pattern, []))
    form = fill(FORM.get(pattern, [])) if method == "POST" else {}
    token_ok = method == "POST" and draw(st.integers(0, 9)) > 0  # mostly reach the view
    return method, path, query, form, token_ok


@pytest.fixture
def fuzz_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ev.save(url, "fuzz-urgent", ev.urgent_conversation(1_750_000_000))
    ev.save(url, "fuzz-routine", ev.simple_conversation("a question", "routine", 1_750_000_100))
    ev.save(url, SENDERS[2], ev.urgent_conversation(1_750_000_200))
    ev.save(url, SENDERS[3], ev.simple_conversation("hello", "same_day", 1_750_000_300))
    auth.create_user(engine, NURSE[0], "nurse", NURSE[1])
    auth.create_user(engine, ADMIN[0], "admin", ADMIN[1])
    with engine.connect() as conn:
        event_ids = conn.execute(sa.select(events.c.id)).scalars().all()
    yield url, engine, event_ids
    engine.dispose()


@pytest.mark.parametrize("user", [NURSE, ADMIN], ids=["nurse", "admin"])
def test_no_route_answers_500_to_any_parameter(fuzz_db, user):
    url, engine, event_ids = fuzz_db
    app = create_app(
        Settings(
            db_url=url,
            secret_key=SECRET,
            gap_timeout=0,
            pair_free_failures=10**6,  # the fuzz's wrong logins must not lock its own login
            ip_free_failures=10**6,
        ),
        engine,
    )
    with TestClient(app, base_url="http://testserver") as client:
        session = Session(client, user)
        session.renew()

        @settings(
            max_examples=EXAMPLES_PER_ROLE,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(fuzz_requests(event_ids))
        def one_request(request) -> None:
            method, path, query, form, token_ok = request
            if method == "POST":
                form = {**form, "csrf_token": session.token if token_ok else "forged"}
            response = client.request(
                method,
                path,
                params=query,
                data=form or None,
                headers={"accept": "text/html,application/json"},
                follow_redirects=False,
            )
            session.requests += 1
            session.statuses[response.status_code] = (
                session.statuses.get(response.status_code, 0) + 1
            )
            assert response.status_code < 500, (method, path, query, form)
            if path == "/logout" and not session.alive():
                session.renew()

        one_request()
    assert session.requests >= EXAMPLES_PER_ROLE
    assert session.statuses.get(200, 0) > EXAMPLES_PER_ROLE // 10  # many reached a real page
    assert session.statuses.get(401, 0) < EXAMPLES_PER_ROLE // 10  # the login held


# -- the values that gave a 500 before the fix, on both databases ------------------------------

BAD_GETS = [
    "/?to=9999-12-31",
    "/?from=0001-01-01&to=9999-12-31",
    "/queue/poll?since=" + "9" * 25,
    "/queue/poll?since=-" + "9" * 25 + "&initial=" + "9" * 25,
    "/queue/poll?to=9999-12-31",
    "/admin/audit?page=" + "9" * 25,
    "/admin/audit?page=" + str(2**62),
    "/?q=%00",
    "/admin/audit?username=a%00b",
    "/admin/audit?sender_id=%00",
    "/conversation/a%00b",
]


@pytest.mark.parametrize("url", BAD_GETS)
def test_out_of_range_query_values_are_not_500(admin_client, write, url):
    write("case-x", ev.urgent_conversation())
    response = admin_client.get(url, headers={"accept": "application/json"})
    assert response.status_code < 500


@pytest.mark.parametrize(
    "action,form",
    [
        ("/review", {"through_event_id": "9" * 25}),
        ("/review", {"through_event_id": "-5"}),
        ("/flag-nlu", {"event_id": "9" * 25, "correct_intent": "greet"}),
        ("/flag-nlu", {"event_id": str(2**40), "correct_intent": "greet"}),
        ("/flag-triage", {"event_id": "9" * 25, "correct_level": "urgent"}),
        ("/note", {"body": "a\x00b"}),
    ],
)
def test_out_of_range_form_values_are_not_500(nurse_client, write, action, form):
    write("case-y", ev.urgent_conversation())
    token = csrf_of(nurse_client.get("/conversation/case-y").text)
    response = nurse_client.post(
        "/conversation/case-y" + action, data={**form, "csrf_token": token}
    )
    assert response.status_code in (400, 200)  # refused with a message (or shown after it)


def test_a_nul_in_the_login_form_is_not_500(client):
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "a\x00b", "password": "x" * 12, "csrf_token": token}
    )
    assert response.status_code == 400
