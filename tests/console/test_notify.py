"""Alerts that reach someone: a real local SMTP server (aiosmtpd) and a real local HTTP
receiver, no mocks. One notification per conversation and level, no patient text, retries
with backoff, every attempt recorded, failures on the status bar, and the background task
that alerts while nobody has the console open."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.testclient import TestClient

from console import notify, purge
from console.app import create_app
from console.config import AlertSettings
from console.db import make_engine
from console.tables import notification_attempts, notification_deliveries, notifications
from tests.console import rasa_events as ev
from tests.console.conftest import NURSE, login

TZ = ZoneInfo("Europe/London")
BASE = "https://console.clinic.test"
SECRET = "webhook-secret-" + "k" * 24
PATIENT_WORDS = ("heavy pressure down below", "20 weeks", "pressure")
FINDINGS = ("vaginal_pressure", "cervical_insufficiency", "cervical_surgery", "U1", "MSD")


# --- a real SMTP server and a real HTTP receiver ---------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.messages.append(email.message_from_bytes(envelope.original_content or b""))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            self.logins.append(session.auth_data.login.decode())
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> list[Message]:
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.1)
        return self.messages


def _raw(message: Message) -> str:
    return message.as_string()


@pytest.fixture
def smtp():
    """A plain SMTP server on a free port: (mailbox, port)."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


class Receiver:
    """A local HTTP server that records each POST and answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/triage"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def config(smtp_port: int | None = None, webhook: str = "", **changes) -> AlertSettings:
    cfg = AlertSettings(
        base_url=BASE,
        smtp_host="127.0.0.1" if smtp_port else "",
        smtp_port=smtp_port or 0,
        smtp_tls="none",
        email_from="console@clinic.test",
        email_to=("triage-team@clinic.test", "on-call@clinic.test"),
        webhook_url=webhook,
        webhook_secret=SECRET if webhook else "",
        timeout=5,
    )
    cfg = replace(cfg, **changes)
    cfg.check()
    return cfg


LEFT_AFTER = 30 * 60  # the default CONSOLE_LEFT_AFTER_MINUTES


def cycle(engine, cfg: AlertSettings, now: float | None = None) -> notify.CycleResult:
    return notify.run_once(engine, cfg, TZ, gap_timeout=0, now=now, left_after=LEFT_AFTER)


def attempts_of(engine) -> list[tuple[str, bool, str | None]]:
    d, a = notification_deliveries, notification_attempts
    with engine.connect() as conn:
        return [
            (r.channel, bool(r.ok), r.error)
            for r in conn.execute(
                sa.select(d.c.channel, a.c.ok, a.c.error)
                .join(d, d.c.id == a.c.delivery_id)
                .order_by(a.c.id)
            )
        ]


def with_emergency(events: list, t: float) -> list:
    return [
        *events,
        ev.user("I'm bleeding heavily now, soaking a pad", "report_bleeding", t),
        ev.bot(
            "Call 999 now.",
            t + 1,
            triage=ev.triage("emergency", ["haemorrhage"], "E1", "Heavy bleeding."),
        ),
    ]


def two_processes(engine, cfg: AlertSettings, now: float | None = None) -> None:
    """Two console processes (two engines, two pools) run three cycles each, started at the
    same instant; neither may fail."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def process(own_engine) -> None:
        try:
            start.wait()
            for _ in range(3):
                cycle(own_engine, cfg, now=now)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=process, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for e in engines:
        e.dispose()
    assert errors == []


# --- what is sent -----------------------------------------------------------------------------


def test_an_urgent_conversation_alerts_once_by_email_and_webhook(engine, write, smtp, receiver):
    box, port = smtp
    write("alert-urgent", ev.urgent_conversation())
    cfg = config(port, receiver.url)
    result = cycle(engine, cfg)
    assert (result.queued, result.attempts, result.health) == (1, 2, None)

    [message] = box.messages
    assert box.envelopes == [
        ("console@clinic.test", ["triage-team@clinic.test", "on-call@clinic.test"])
    ]
    assert message["Subject"] == "Urgent: a triage conversation needs review"
    body = message.get_payload(decode=True).decode()
    assert f"{BASE}/conversation/alert-urgent" in body
    assert "reached the level Urgent at " in body

    [(headers, raw)] = receiver.requests
    assert headers["content-type"] == "application/json"
    assert notify.verify(SECRET, headers["x-console-signature"], raw, time.time())
    sent = json.loads(raw)
    assert set(sent) == {
        "type",
        "event",
        "notification_id",
        "level",
        "level_label",
        "reached_at",
        "case_url",
        "final_decision",
    }
    assert sent["final_decision"] is None  # this conversation never recorded a triage slot
    assert sent["event"] == "reached"
    assert (sent["level"], sent["case_url"]) == ("urgent", f"{BASE}/conversation/alert-urgent")
    dt.datetime.fromisoformat(sent["reached_at"])

    # no patient text and no findings, in either
    for text in (_raw(message), raw.decode()):
        for forbidden in (*PATIENT_WORDS, *FINDINGS):
            assert forbidden not in text

    # the same level again and again: nothing more
    cycle(engine, cfg)
    write("alert-urgent", [*ev.urgent_conversation(), ev.user("thank you", "greet", time.time())])
    cycle(engine, cfg)
    assert len(box.messages) == 1 and len(receiver.requests) == 1
    assert attempts_of(engine) == [("email", True, None), ("webhook", True, None)]


def test_a_new_level_alerts_once_more(engine, write, smtp):
    box, port = smtp
    cfg = config(port)
    events = ev.urgent_conversation()
    write("alert-escalates", events)
    cycle(engine, cfg)
    write("alert-escalates", with_emergency(events, time.time() - 5))
    cycle(engine, cfg)
    cycle(engine, cfg)
    assert [m["Subject"].split(":")[0] for m in box.messages] == ["Urgent", "Emergency"]
    with engine.connect() as conn:
        levels = conn.execute(
            sa.select(notifications.c.level).order_by(notifications.c.id)
        ).scalars()
        assert list(levels) == ["urgent", "emergency"]


def test_a_patient_who_left_at_an_urgent_floor_alerts(engine, write, smtp):
    box, port = smtp
    now = time.time()
    left = ev.simple_conversation("pressure and some spotting", None, now - 60)
    left.insert(-1, ev.SlotSet("triage_floor", "urgent", timestamp=now - 59))
    write("alert-left", left)
    cycle(engine, config(port))
    [message] = box.messages
    assert message["Subject"].startswith("Urgent:")
    assert "pressure" not in _raw(message) and "spotting" not in _raw(message)
    body = message.get_payload(decode=True).decode()
    assert "The bot has not given its final decision yet" in body  # issue 12, item 1


def at_floor(floor: str, t: float) -> list:
    """A patient who answered one question: the bot recorded ``floor``, then nothing."""
    events = ev.simple_conversation("pressure and some spotting", None, t)
    events.insert(-1, ev.SlotSet("triage_floor", floor, timestamp=t + 1.5))
    return events


def kinds_of(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            (r.level, r.kind)
            for r in conn.execute(
                sa.select(notifications.c.level, notifications.c.kind).order_by(notifications.c.id)
            )
        ]


def no_patient_text(*texts: str) -> None:
    for text in texts:
        for forbidden in (*PATIENT_WORDS, *FINDINGS, "spotting"):
            assert forbidden not in text


def test_a_patient_who_leaves_at_an_emergency_floor_alerts_again_as_left(
    engine, write, smtp, receiver
):
    """Issue 12, item 3: the first alert goes while she is answering; when she has sent nothing
    for CONSOLE_LEFT_AFTER_MINUTES she is left before the end, and that is an alert of its own,
    sent once by each channel, with no patient text."""
    box, port = smtp
    t0 = time.time()
    write("alert-gone", at_floor("emergency", t0 - 60))
    cfg = config(port, receiver.url)
    assert cycle(engine, cfg, now=t0).queued == 1  # still answering: the "reached" alert
    assert cycle(engine, cfg, now=t0 + LEFT_AFTER - 120).queued == 0  # not left yet
    later = t0 + LEFT_AFTER
    result = cycle(engine, cfg, now=later)  # 30 minutes and 60 s since her last message
    assert (result.queued, result.attempts, result.health) == (1, 2, None)
    assert kinds_of(engine) == [("emergency", "reached"), ("emergency", "left")]

    first, left = box.messages
    assert first["Subject"] == "Emergency: a triage conversation needs review"
    assert left["Subject"] == "Emergency: a patient left the triage before its advice"
    body = left.get_payload(decode=True).decode()
    assert "left a conversation with the symptom-triage bot before its final decision" in body
    assert "she may be at home without advice" in body
    assert f"{BASE}/conversation/alert-gone" in body
    last_message = dt.datetime.fromtimestamp(t0 - 60 + 2, dt.timezone.utc)
    assert last_message.isoformat(timespec="seconds") in body  # the time of her last message

    (_, reached_raw), (headers, raw) = receiver.requests
    assert notify.verify(SECRET, headers["x-console-signature"], raw, time.time())
    sent = json.loads(raw)
    assert (sent["event"], sent["level"], sent["final_decision"]) == (
        "left_before_end",
        "emergency",
        False,
    )
    assert json.loads(reached_raw)["event"] == "reached"
    assert sent["case_url"] == f"{BASE}/conversation/alert-gone"
    no_patient_text(left.as_string(), raw.decode())

    # however often it is read again: nothing more
    for extra in (60, 3600, 6 * 3600):
        assert cycle(engine, cfg, now=later + extra).queued == 0
    assert len(box.messages) == 2 and len(receiver.requests) == 2
    assert attempts_of(engine) == [
        ("email", True, None),
        ("webhook", True, None),
        ("email", True, None),
        ("webhook", True, None),
    ]


def test_a_conversation_already_left_when_first_seen_sends_only_the_left_alert(engine, write, smtp):
    box, port = smtp
    now = time.time()
    write("alert-left-first", at_floor("urgent", now - LEFT_AFTER - 300))
    cfg = config(port)
    assert cycle(engine, cfg, now=now).queued == 1
    cycle(engine, cfg, now=now + 60)
    [message] = box.messages
    assert message["Subject"] == "Urgent: a patient left the triage before its advice"
    assert kinds_of(engine) == [("urgent", "left")]


def test_a_left_conversation_that_comes_back_higher_alerts_at_the_new_level(engine, write, smtp):
    """Left at urgent, back later and the floor rises to emergency: the new level alerts
    (reached), and if she leaves again, left at emergency; never twice for one level."""
    box, port = smtp
    now = time.time()
    events = at_floor("urgent", now - LEFT_AFTER - 300)
    write("alert-back", events)
    cfg = config(port)
    cycle(engine, cfg, now=now)
    back = now + 10
    write(
        "alert-back",
        [
            *events,
            ev.user("it is worse", "report_bleeding", back - 5),
            ev.SlotSet("triage_floor", "emergency", timestamp=back - 4),
            ev.bot("How much are you bleeding?", back - 3),
        ],
    )
    cycle(engine, cfg, now=back)
    cycle(engine, cfg, now=back + LEFT_AFTER + 60)
    cycle(engine, cfg, now=back + LEFT_AFTER + 120)
    assert kinds_of(engine) == [
        ("urgent", "left"),
        ("emergency", "reached"),
        ("emergency", "left"),
    ]
    assert len(box.messages) == 3


def test_a_left_alert_is_retried_with_backoff_and_recorded(engine, write, receiver):
    receiver.statuses = [503]
    now = time.time()
    write("alert-left-retry", at_floor("urgent", now - LEFT_AFTER - 300))
    cfg = config(None, receiver.url, retry_base=30)
    first = cycle(engine, cfg, now=now)
    assert first.health is not None and first.health.last_error == "webhook: HTTP 503"
    assert cycle(engine, cfg, now=now + 29).attempts == 0
    assert cycle(engine, cfg, now=now + 31).health is None
    assert attempts_of(engine) == [("webhook", False, "HTTP 503"), ("webhook", True, None)]
    assert [json.loads(body)["event"] for _, body in receiver.requests] == ["left_before_end"] * 2
    assert len({h["x-console-delivery"] for h, _ in receiver.requests}) == 1


def test_one_left_alert_even_with_two_processes(engine, write, smtp):
    box, port = smtp
    now = time.time()
    write("alert-left-race", at_floor("emergency", now - LEFT_AFTER - 300))
    cfg = config(port)
    two_processes(engine, cfg, now)
    assert len(box.messages) == 1
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.insert(notifications).values(
                sender_id="alert-left-race",
                level="emergency",
                kind="left",
                reached_at=1.0,
                created_at=1.0,
            )
        )


def test_left_below_urgent_does_not_alert(engine, write, smtp):
    box, port = smtp
    now = time.time()
    write("alert-left-same-day", at_floor("same_day", now - LEFT_AFTER - 300))
    assert cycle(engine, config(port), now=now).queued == 0
    assert box.messages == []


def test_below_urgent_or_long_quiet_conversations_do_not_alert(engine, write, smtp):
    box, port = smtp
    now = time.time()
    write("alert-same-day", ev.simple_conversation("some discharge", "same_day", now - 60))
    floor = ev.simple_conversation("spotting", None, now - 60)
    floor.insert(-1, ev.SlotSet("triage_floor", "same_day", timestamp=now - 59))
    write("alert-floor-same-day", floor)
    write("alert-old", ev.urgent_conversation(now - 3 * 86400))  # before alerts were switched on
    result = cycle(engine, config(port))
    assert result.queued == 0 and box.messages == []


def test_one_notification_per_conversation_and_level_even_with_two_processes(
    engine, write, smtp, receiver
):
    box, port = smtp
    write("alert-race", ev.urgent_conversation())
    cfg = config(port, receiver.url)
    two_processes(engine, cfg)
    assert len(box.messages) == 1 and len(receiver.requests) == 1
    # and the database itself refuses a second notification for the same level
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.insert(notifications).values(
                sender_id="alert-race", level="urgent", reached_at=1.0, created_at=1.0
            )
        )


# --- retries, the attempt log, the status bar ------------------------------------------------


def test_a_failed_delivery_is_retried_with_backoff_and_every_attempt_recorded(
    engine, write, receiver
):
    receiver.statuses = [500, 503]
    write("alert-retry", ev.urgent_conversation())
    cfg = config(None, receiver.url, retry_base=30)
    t0 = time.time()
    first = cycle(engine, cfg, now=t0)
    assert first.attempts == 1 and first.health is not None
    assert (first.health.retrying, first.health.failed) == (1, 0)
    assert first.health.last_error == "webhook: HTTP 500"
    with engine.connect() as conn:
        due = conn.execute(sa.select(notification_deliveries.c.next_attempt_at)).scalar()
    assert due == pytest.approx(t0 + 30)
    assert cycle(engine, cfg, now=t0 + 29).attempts == 0  # not yet due
    assert cycle(engine, cfg, now=t0 + 31).attempts == 1  # 503: next in 60 s
    assert cycle(engine, cfg, now=t0 + 31 + 59).attempts == 0
    last = cycle(engine, cfg, now=t0 + 31 + 61)
    assert last.attempts == 1 and last.health is None
    assert attempts_of(engine) == [
        ("webhook", False, "HTTP 500"),
        ("webhook", False, "HTTP 503"),
        ("webhook", True, None),
    ]
    assert len(receiver.requests) == 3
    # a retried delivery is the same delivery: receivers can drop duplicates by its id
    assert len({h["x-console-delivery"] for h, _ in receiver.requests}) == 1


def test_backoff_doubles_up_to_the_cap():
    assert [notify.backoff(n, 30, 300) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_giving_up_shows_on_the_status_bar(settings, engine, write, users):
    dead_port = free_port()  # nothing listens there
    write("alert-dead", ev.urgent_conversation())
    cfg = config(dead_port, max_attempts=2, retry_base=1)
    t0 = time.time()
    cycle(engine, cfg, now=t0)
    result = cycle(engine, cfg, now=t0 + 5)
    assert result.health is not None and (result.health.retrying, result.health.failed) == (0, 1)
    assert result.health.last_error.startswith("email: ConnectionRefusedError")
    assert [ok for _, ok, _ in attempts_of(engine)] == [False, False]
    assert cycle(engine, cfg, now=t0 + 3600).attempts == 0  # given up: no more attempts

    app = create_app(settings.with_(alerts=replace(cfg, interval=3600)), engine)
    with TestClient(app, base_url="http://testserver") as c:
        deadline = time.time() + 30
        while app.state.notifier.cycles < 1 and time.time() < deadline:
            time.sleep(0.1)
        assert login(c, *NURSE).status_code == 303
        page = c.get("/").text
        assert 'id="alert-status"' in page
        assert "Alerts are not getting through: 1 alert not delivered" in page
        assert "ConnectionRefusedError" in page


def test_a_failing_alert_task_shows_on_the_status_bar(settings, engine, users, tmp_path):
    """The alert task cannot reach its database (a file in a folder that does not exist): the
    cycle fails, the console keeps running, and every page says alerts are not running."""
    broken = make_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}")
    notifier = notify.Notifier(broken, config(free_port(), interval=3600), TZ, 0)

    async def one_cycle() -> None:
        task = asyncio.create_task(notifier.run())
        while notifier.status() is None:
            await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(asyncio.wait_for(one_cycle(), 30))
    assert notifier.status() == notify.Health(0, 0, None, (), task_error="OperationalError")
    broken.dispose()

    app = create_app(settings.with_(alerts=config(free_port(), interval=3600)), engine)
    with TestClient(app, base_url="http://testserver") as c:
        deadline = time.time() + 30
        while app.state.notifier.cycles < 1 and time.time() < deadline:
            time.sleep(0.1)  # its first (good) cycle is over; the next is an hour away
        app.state.notifier.current = notifier.status()  # what the failing task would leave
        assert login(c, *NURSE).status_code == 303
        page = c.get("/").text
        assert "Alerts are not running: the alert task failed (OperationalError)" in page


def test_no_status_bar_when_alerts_are_fine(nurse_client):
    assert 'id="alert-status"' not in nurse_client.get("/").text


# --- the background task ---------------------------------------------------------------------


def test_the_console_alerts_while_nobody_has_it_open(settings, engine, write, smtp):
    """Only the server runs (its lifespan): no page is requested, and the email arrives."""
    box, port = smtp
    cfg = config(port, interval=2)
    app = create_app(settings.with_(alerts=cfg), engine)
    with TestClient(app, base_url="http://testserver"):
        write("alert-3am", with_emergency(ev.urgent_conversation(), time.time() - 5))
        messages = box.wait_for(1)
        assert [m["Subject"] for m in messages] == ["Emergency: a triage conversation needs review"]
        assert f"{BASE}/conversation/alert-3am" in messages[0].get_payload(decode=True).decode()
        time.sleep(2.5)  # another cycle or two: still one
        assert len(box.messages) == 1


def test_the_purge_takes_notifications_deliveries_and_attempts(engine, write, smtp):
    box, port = smtp
    write("alert-purged", ev.urgent_conversation())
    cycle(engine, config(port))
    assert len(box.messages) == 1
    purge.purge(engine, 1, "test", now=time.time() + 2 * 86400)
    with engine.connect() as conn:
        for table in (notifications, notification_deliveries, notification_attempts):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


# --- transport security ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"console",
        b"right password",
    )
    if ok:
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)  # the server answers 535


ALERT = notify.Alert(7, 3, "emergency", 1_764_600_000.0, f"{BASE}/conversation/x")


def test_starttls_with_login(certificate):
    box, port = Mailbox(), free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        cfg = config(
            port,
            smtp_tls="starttls",
            smtp_username="console",
            smtp_password="right password",
            ca_file=str(certificate[0]),
        )
        notify.send_email(ALERT, cfg, TZ)
        assert box.logins == ["console"]
        assert box.messages[0]["Subject"].startswith("Emergency:")
        wrong = replace(cfg, smtp_password="wrong")
        with pytest.raises(Exception) as failure:
            notify.send_email(ALERT, wrong, TZ)
        assert notify.describe(failure.value) == "SMTP 535"
        # the server's certificate is checked: without the CA it is refused
        untrusted = replace(cfg, ca_file="")
        with pytest.raises(ssl.SSLCertVerificationError):
            notify.send_email(ALERT, untrusted, TZ)
        assert len(box.messages) == 1
    finally:
        controller.stop()


def test_implicit_tls(certificate):
    box, port = Mailbox(), free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, ssl_context=_server_tls(certificate)
    )
    controller.start()
    try:
        notify.send_email(ALERT, config(port, smtp_tls="tls", ca_file=str(certificate[0])), TZ)
        assert box.messages[0]["Subject"] == "Emergency: a triage conversation needs review"
    finally:
        controller.stop()


# --- signatures and configuration (pure) -----------------------------------------------------


def test_the_signature_covers_the_time_and_the_body():
    body = notify.body_bytes(ALERT)
    now = 1_800_000_000
    header = notify.sign(SECRET, now, body)
    assert notify.verify(SECRET, header, body, now + 10)
    assert not notify.verify(SECRET, header, body.replace(b"emergency", b"routine"), now)
    assert not notify.verify("another secret of some length", header, body, now)
    assert not notify.verify(SECRET, header, body, now + 301)  # a replay, later
    forged_time = header.replace(f"t={now}", f"t={now + 600}")
    assert not notify.verify(SECRET, forged_time, body, now + 600)
    assert not notify.verify(SECRET, "v1=abc", body, now)


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"webhook_url": "https://hooks.test/x", "webhook_secret": "short"}, "WEBHOOK_SECRET"),
        ({"webhook_url": "ftp://hooks.test/x", "webhook_secret": SECRET}, "WEBHOOK_URL"),
        ({"smtp_host": "mail.test", "email_to": ()}, "ALERT_TO"),
        ({"smtp_host": "mail.test", "smtp_tls": "ssl"}, "SMTP_TLS"),
        ({"smtp_host": "mail.test", "smtp_tls": "none", "smtp_username": "u"}, "SMTP_USERNAME"),
        ({"smtp_host": "mail.test", "base_url": ""}, "BASE_URL"),
    ],
)
def test_a_half_made_configuration_is_refused(changes, problem):
    base = AlertSettings(
        base_url=BASE, email_from="console@clinic.test", email_to=("team@clinic.test",)
    )
    with pytest.raises(ValueError, match=problem):
        replace(base, **changes).check()


def test_alerts_are_off_by_default(app):
    assert AlertSettings().channels == ()
    assert app.state.notifier is None
