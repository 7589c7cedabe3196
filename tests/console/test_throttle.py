"""Login throttling (issue 14, finding 2): a stranger cannot keep a nurse out; delays grow;
the check and the count are atomic; X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import threading

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from console import audit, auth, throttle
from console.config import parse_networks
from console.tables import login_throttle
from tests.console.conftest import NURSE, login, serve_console

WRONG = "wrong password here"
STRANGER = ("198.51.100.66", 40000)
NURSE_PC = ("192.0.2.10", 40000)


def client_at(app, address) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=address)


def _age_counters(engine, seconds: float) -> None:
    """Pretend the last failures happened ``seconds`` earlier (instead of sleeping)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(login_throttle).values(
                last_failure_at=login_throttle.c.last_failure_at - seconds
            )
        )


def test_delay_doubles_up_to_the_cap():
    delays = [throttle.delay(n, free=5, base=30, cap=900) for n in range(12)]
    assert delays[:5] == [0, 0, 0, 0, 0]
    assert delays[5:] == [30, 60, 120, 240, 480, 900, 900]
    assert throttle.delay(10**6, free=5, base=30, cap=900) == 900


def test_a_stranger_hammering_a_name_cannot_keep_the_nurse_out(app, users, settings):
    """Before issue 14: five wrong passwords from anywhere locked the username for everyone."""
    with client_at(app, STRANGER) as stranger, client_at(app, NURSE_PC) as nurse:
        answers = [login(stranger, NURSE[0], WRONG).status_code for _ in range(15)]
        assert answers[: settings.pair_free_failures] == [401] * settings.pair_free_failures
        assert set(answers[settings.pair_free_failures :]) == {429}
        # the right password from the stranger's address is refused while he waits ...
        assert login(stranger, *NURSE).status_code == 429
        # ... but the nurse at her own address gets in, while the stranger keeps going
        assert login(nurse, *NURSE).status_code == 303
        assert login(stranger, NURSE[0], WRONG).status_code == 429


def test_growing_delays_for_one_pair(app, users, settings, engine):
    with client_at(app, STRANGER) as c:
        for _ in range(settings.pair_free_failures):
            assert login(c, NURSE[0], WRONG).status_code == 401
        first = login(c, NURSE[0], WRONG)
        assert first.status_code == 429
        assert int(first.headers["retry-after"]) == settings.throttle_base
        assert "Too many failed attempts" in first.text
        _age_counters(engine, settings.throttle_base + 1)  # the wait is over: one more try
        assert login(c, NURSE[0], WRONG).status_code == 401
        second = login(c, NURSE[0], WRONG)
        assert int(second.headers["retry-after"]) == 2 * settings.throttle_base
        _age_counters(engine, 2 * settings.throttle_base + 1)
        assert login(c, *NURSE).status_code == 303  # the right password, once the wait is over


def test_success_clears_the_pair(app, users, settings):
    with client_at(app, NURSE_PC) as c:
        for _ in range(2):
            for _ in range(settings.pair_free_failures - 1):
                assert login(c, NURSE[0], WRONG).status_code == 401
            assert login(c, *NURSE).status_code == 303
            c.cookies.clear()


def test_the_throttle_is_case_insensitive(app, users, settings):
    with client_at(app, STRANGER) as c:
        for i in range(settings.pair_free_failures):
            login(c, NURSE[0].upper() if i % 2 else NURSE[0], WRONG)
        assert login(c, *NURSE).status_code == 429


def test_unknown_usernames_are_throttled_alike(app, settings):
    with client_at(app, STRANGER) as c:
        answers = [
            login(c, "ghost", WRONG).status_code for _ in range(settings.pair_free_failures + 1)
        ]
    assert answers[-1] == 429


def test_one_address_spraying_many_names_is_slowed(app, users, settings):
    app.state.settings = settings.with_(ip_free_failures=3)
    with client_at(app, STRANGER) as stranger, client_at(app, NURSE_PC) as nurse:
        for name in ("a.one", "b.two", "c.three"):
            assert login(stranger, name, WRONG).status_code == 401
        assert login(stranger, "d.four", WRONG).status_code == 429
        assert login(stranger, *NURSE).status_code == 429
        assert login(nurse, *NURSE).status_code == 303  # another address is not affected


def test_parallel_wrong_attempts_are_counted_atomically(engine, users, settings) -> None:
    """15 simultaneous wrong passwords for one pair: at most `pair_free_failures` are checked.
    (Before issue 14 all 15 were checked against the same stale count.)"""
    attempts = 15
    barrier = threading.Barrier(attempts)
    results: list[auth.LoginResult] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait()
            results.append(auth.authenticate(engine, NURSE[0], WRONG, STRANGER[0], settings))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == attempts
    checked = [r for r in results if not r.wait]
    assert len(checked) == settings.pair_free_failures
    with engine.connect() as conn:
        counted = conn.execute(
            sa.select(login_throttle.c.failures).where(login_throttle.c.kind == throttle.PAIR)
        ).scalar_one()
    assert counted == settings.pair_free_failures


def test_unlock_user_and_address(app, users, settings, engine):
    with client_at(app, STRANGER) as c:
        for _ in range(settings.pair_free_failures):
            login(c, NURSE[0], WRONG)
        assert login(c, *NURSE).status_code == 429
        assert throttle.clear_username(engine, NURSE[0].upper()) == 1
        assert login(c, *NURSE).status_code == 303
        c.cookies.clear()
        app.state.settings = settings.with_(ip_free_failures=2)
        login(c, "x.one", WRONG)
        login(c, "x.two", WRONG)
        assert login(c, *NURSE).status_code == 429
        assert throttle.clear_address(engine, STRANGER[0]) >= 1
        assert login(c, *NURSE).status_code == 303


def test_quiet_counters_are_forgotten_and_pruned(app, users, settings, engine):
    with client_at(app, STRANGER) as c:
        for _ in range(settings.pair_free_failures):
            login(c, NURSE[0], WRONG)
        _age_counters(engine, settings.throttle_forget + 1)
        assert login(c, NURSE[0], WRONG).status_code == 401
    _age_counters(engine, settings.throttle_forget + 1)
    throttle.prune(engine, settings)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(login_throttle)).scalar() == 0


# -- client address: X-Forwarded-For only from trusted proxies --------------------------------


def _last_audit_ip(engine) -> str | None:
    rows, _ = audit.entries(engine, action="login_failed")
    return rows[0].ip


def test_forwarded_for_is_ignored_from_an_untrusted_peer(app, users, engine):
    with TestClient(app, base_url="https://testserver", client=("127.0.0.1", 5000)) as c:
        c.headers["x-forwarded-for"] = "203.0.113.9"
        assert login(c, NURSE[0], WRONG).status_code == 401
    assert _last_audit_ip(engine) == "127.0.0.1"


def test_forwarded_for_from_a_trusted_proxy(app, users, settings, engine):
    app.state.settings = settings.with_(trusted_proxies=parse_networks("10.0.0.0/8, ::1"))
    with client_at(app, ("10.1.2.3", 5000)) as c:
        c.headers["x-forwarded-for"] = "198.51.100.1, 203.0.113.7, 10.0.0.2"
        c.headers["x-forwarded-proto"] = "http"
        login(c, NURSE[0], WRONG)
    # the right-most address that is not a trusted proxy; the spoofable left part is ignored
    assert _last_audit_ip(engine) == "203.0.113.7"


def test_trusted_proxies_setting_is_validated():
    assert [str(n) for n in parse_networks(" 127.0.0.1 ,10.0.0.0/8,, ::1 ")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    with pytest.raises(ValueError, match="not-an-ip"):
        parse_networks("10.0.0.1, not-an-ip")


@pytest.fixture
def served_console(engine, cli, tmp_path):
    """The real ``python -m console serve`` (uvicorn), trusting only a proxy that is not us."""
    with serve_console(engine, cli, tmp_path, NURSE, CONSOLE_TRUSTED_PROXIES="10.9.9.9") as base:
        yield base


def test_served_console_does_not_believe_a_loopback_forwarded_for(served_console, engine):
    """Before issue 14 uvicorn trusted X-Forwarded-For from loopback: a header chose the
    audit address and rotated past the per-address limit."""
    import re

    with httpx.Client(base_url=served_console) as c:
        page = c.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = c.post(
            "/login",
            data={"username": NURSE[0], "password": WRONG, "csrf_token": token, "next": "/"},
            headers={"x-forwarded-for": "203.0.113.99", "x-forwarded-proto": "https"},
        )
    assert response.status_code == 401
    assert _last_audit_ip(engine) == "127.0.0.1"
    # forwarding headers from a peer that is not a trusted proxy: unsure, so Secure
    assert "secure" in response.headers["set-cookie"].lower()
