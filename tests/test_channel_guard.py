"""The channels' checks as pure functions (channels/guard.py, channels/idempotency.py): resume
tokens, conversation ids, Rasa commands, rate limits, client addresses, origins, and the
stored reply of a repeated message. The same checks over real servers are in
tests/web/test_channel_security.py."""

from __future__ import annotations

import os
import stat

import pytest

from channels import guard
from channels.guard import (
    Rate,
    RateLimiter,
    ResumeTokens,
    client_address,
    is_web_session_id,
    message_text,
    new_web_session_id,
    origin_allowed,
    parse_networks,
    rest_sender_problem,
    valid_command,
)
from channels.idempotency import message_id_problem

INTENTS = {"deny", "inform_gestational_age", "report_red_flag"}
ENTITIES = {"gestational_age", "symptom"}


def test_resume_token_binds_the_id_and_the_secret():
    tokens = ResumeTokens(b"k" * 32)
    sid = new_web_session_id()
    assert is_web_session_id(sid)
    token = tokens.issue(sid)
    assert tokens.valid(sid, token)
    assert not tokens.valid(new_web_session_id(), token)  # another conversation
    assert not ResumeTokens(b"j" * 32).valid(sid, token)  # another installation
    assert not tokens.valid(sid, token[:-1])
    assert not tokens.valid(sid, None)
    assert not tokens.valid("not-a-web-id", tokens.issue("not-a-web-id"))
    with pytest.raises(ValueError):
        ResumeTokens(b"short")


def test_secret_file_is_created_once_owner_only(tmp_path, monkeypatch):
    path = tmp_path / "var" / "channel_secret"
    monkeypatch.delenv("CHANNEL_SECRET", raising=False)
    monkeypatch.setenv("CHANNEL_SECRET_FILE", str(path))
    first = guard.channel_secret()
    assert len(first) == 32 and guard.channel_secret() == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    monkeypatch.setenv("CHANNEL_SECRET", "configured-for-the-whole-cluster")
    assert guard.channel_secret() == b"configured-for-the-whole-cluster"


@pytest.mark.parametrize(
    "sender, ok",
    [
        ("vignette-001", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("has space", False),
        ("line\nbreak", False),
        ("web-" + "0" * 32, False),  # the website chat's form
        ("-leading-dash", False),
        (123, False),
        (None, False),
    ],
)
def test_rest_sender_ids(sender, ok):
    assert (rest_sender_problem(sender) is None) is ok


@pytest.mark.parametrize(
    "text, ok",
    [
        ("/deny", True),
        ('/inform_gestational_age{"gestational_age": 27.9}', True),
        ('/report_red_flag{"symptom": "bleeding"}', True),
        ("/greet_the_world", False),  # not in the domain
        ('/inform_gestational_age{"gestational_age": {"weeks": 20}}', False),  # a dict value
        ('/inform_gestational_age{"gestational_age": [20]}', False),
        ('/inform_gestational_age{"gestational_age": 1e400}', False),  # infinite
        ('/inform_gestational_age{"slot_we_do_not_have": 1}', False),
        ('/report_red_flag{"symptom": "' + "x" * 101 + '"}', False),
        ("/deny{not json}", False),
        ("deny", False),
    ],
)
def test_valid_commands(text, ok):
    assert valid_command(text, INTENTS, ENTITIES) is ok


def test_typed_text_is_never_a_command():
    assert message_text("/deny", False, INTENTS, ENTITIES) == "deny"
    assert message_text("  //deny", False, INTENTS, ENTITIES) == "deny"
    assert message_text("/deny", True, INTENTS, ENTITIES) == "/deny"
    bad = '/inform_gestational_age{"gestational_age": {"a": 1}}'
    assert message_text(bad, True, INTENTS, ENTITIES) == bad[1:]
    assert message_text("I am bleeding / spotting", False, INTENTS, ENTITIES) == (
        "I am bleeding / spotting"
    )


def test_token_bucket_refills_and_stays_bounded():
    now = [0.0]
    limiter = RateLimiter(Rate(burst=3, per_minute=60), max_keys=2, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after("a") == 1
    now[0] += 1.0  # one token back
    assert limiter.allow("a") and not limiter.allow("a")
    limiter.allow("b")
    limiter.allow("c")  # "a" is the least recently used: dropped
    assert len(limiter._buckets) == 2
    assert RateLimiter(Rate(0, 0)).allow("anything")


def test_rate_from_credentials():
    default = Rate(20, 60)
    assert Rate.parse({"burst": 5}, default) == Rate(5, 60)
    assert Rate.parse("off", default).off
    assert Rate.parse(None, default) == default


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    proxies = parse_networks("10.0.0.2, 192.168.1.0/24")
    assert client_address("203.0.113.9", "198.51.100.1", proxies) == "203.0.113.9"
    assert client_address("10.0.0.2", "198.51.100.1", proxies) == "198.51.100.1"
    # the client wrote the left part itself; the proxy appended the real peer
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("10.0.0.2", "198.51.100.1, 192.168.1.7", proxies) == "198.51.100.1"
    assert client_address("10.0.0.2", "garbage", proxies) == "10.0.0.2"
    assert client_address("127.0.0.1", "198.51.100.1", []) == "127.0.0.1"


def test_origins_follow_rasa_cors():
    allowed = ["http://localhost:8080", "http://127.0.0.1:8080"]
    assert origin_allowed("http://localhost:8080", allowed, "bot:5005")
    assert not origin_allowed("https://evil.example", allowed, "bot:5005")
    assert origin_allowed("https://evil.example", ["*"], "bot:5005")
    assert origin_allowed("http://bot:5005", [""], "bot:5005")  # its own origin
    assert not origin_allowed("https://evil.example", None, "bot:5005")
    assert origin_allowed(None, allowed, "bot:5005")  # not a browser page


def test_message_ids():
    assert message_id_problem(None) is None
    assert message_id_problem("0123456789abcdef") is None
    assert message_id_problem("short") and message_id_problem("x" * 65)
    assert message_id_problem("has space here") and message_id_problem(12345678)


def test_long_messages_take_turns_and_the_queue_is_bounded():
    import asyncio

    from channels.handling import LongMessages

    async def scenario() -> tuple[int, bool, bool]:
        long = LongMessages(threshold=10, concurrency=1, max_waiting=2)
        inside, most = 0, 0

        async def work(text: str) -> None:
            nonlocal inside, most
            async with long.turn(text):
                if long.is_long(text):
                    inside += 1
                    most = max(most, inside)
                await asyncio.sleep(0.01)
                if long.is_long(text):
                    inside -= 1

        tasks = [asyncio.create_task(work("x" * 50)) for _ in range(3)]
        await asyncio.sleep(0)
        full = long.full()  # one inside, two waiting
        short_done = asyncio.create_task(work("short"))
        await asyncio.wait_for(short_done, 0.05)  # a short message never waits for a slot
        await asyncio.gather(*tasks)
        return most, full, long.full()

    most, full_then, full_after = asyncio.run(scenario())
    assert most == 1 and full_then and not full_after


def test_credentials_files_build_the_channels():
    """credentials.yml (REST and the widget) and credentials.production.yml (the widget only)
    build the project's channels with the defaults of channels/*.py."""
    from pathlib import Path

    import yaml

    from channels.rest import CONVERSATION_RATE, SafetyNetRestInput
    from channels.socketio import ADDRESS_RATE, SafetyNetSocketIOInput

    root = Path(__file__).resolve().parents[1]
    dev = yaml.safe_load((root / "credentials.yml").read_text())
    prod = yaml.safe_load((root / "credentials.production.yml").read_text())
    rest = SafetyNetRestInput.from_credentials(dev["channels.rest.SafetyNetRestInput"])
    assert rest.require_token is False
    assert rest.gate.per_conversation.rate == CONVERSATION_RATE
    assert "channels.rest.SafetyNetRestInput" not in prod
    widget = SafetyNetSocketIOInput.from_credentials(
        prod["channels.socketio.SafetyNetSocketIOInput"]
    )
    assert widget.session_persistence is True
    assert widget.gate.per_address.rate == ADDRESS_RATE


def test_the_widget_channel_refuses_to_start_live_with_the_demo_numbers(monkeypatch, tmp_path):
    from channels.socketio import SafetyNetSocketIOInput
    from triage.clinic import ClinicConfigError

    async def handler(_message):
        return None

    monkeypatch.setenv("CHANNEL_SECRET_FILE", str(tmp_path / "secret"))
    monkeypatch.setenv("CLINIC_LIVE", "1")
    channel = SafetyNetSocketIOInput.from_credentials({"session_persistence": True})
    with pytest.raises(ClinicConfigError, match="fictional"):
        channel.blueprint(handler)
    monkeypatch.delenv("CLINIC_LIVE")
    assert channel.blueprint(handler) is not None
