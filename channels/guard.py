"""What the channels check before a message reaches Rasa: pure Python, no Rasa, no I/O
beyond reading (or creating once) the resume-token secret.

- Conversation ids: the widget's are issued by the server (``web-`` and 32 hex digits) with a
  signed resume token; REST ids are the integration's own, in a narrow alphabet, and can never
  take the widget's form, so the two channels cannot reach each other's conversations.
- Rasa commands: a message that starts with "/" is Rasa's shortcut for an intent with entities.
  Typed patient text is never read as one; a button's payload is, only when its intent is in the
  domain and its entities are known names with short scalar values.
- Rate limits: token buckets per conversation and per client address, bounded in memory.
- The client address: ``X-Forwarded-For`` counts only when the peer is a configured proxy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import math
import os
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Mapping

ROOT = Path(__file__).resolve().parents[1]

# What a patient can type in the widget (its textarea's maxlength); the NLU never sees more.
MAX_MESSAGE_CHARS = 1000
# User messages one conversation may have; a longer one is told to start a new chat.
MAX_TURNS = 120
MAX_SENDER_CHARS = 64
# Request bodies (REST) and socket.io packets: a 1,000-character message is under 8 KB in JSON
# even when every character is escaped; 64 KB leaves room for metadata.
MAX_BODY_BYTES = 64 * 1024

WEB_PREFIX = "web-"
_WEB_ID = re.compile(r"web-[0-9a-f]{32}\Z")
_REST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}\Z")


def new_web_session_id() -> str:
    return WEB_PREFIX + secrets.token_hex(16)


def is_web_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_WEB_ID.match(value))


def rest_sender_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a REST conversation id, or None when it can."""
    if not isinstance(value, str) or not _REST_ID.match(value):
        return (
            "'sender' must be 1 to 64 characters: letters, digits and . _ : @ -, "
            "starting with a letter or digit"
        )
    if value.startswith(WEB_PREFIX):
        return "'sender' ids starting with 'web-' belong to the website chat"
    return None


# ---------------------------------------------------------------- resume tokens


def _secret_from_file(path: Path) -> bytes:
    """The secret kept in ``path`` (created once, owner-only), shared by every process of
    this installation that reads the same file."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    new = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(new)
    return bytes.fromhex(new)


def channel_secret() -> bytes:
    """``CHANNEL_SECRET`` (set the same value on every Rasa server of a cluster), or a secret
    created once in ``var/channel_secret``."""
    configured = os.environ.get("CHANNEL_SECRET", "")
    if configured:
        return configured.encode("utf-8")
    return _secret_from_file(
        Path(os.environ.get("CHANNEL_SECRET_FILE", ROOT / "var" / "channel_secret"))
    )


class ResumeTokens:
    """HMAC-SHA256 of a conversation id: only the client the server gave it to can resume."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the channel secret must be at least 16 bytes")
        self._secret = secret

    def issue(self, session_id: str) -> str:
        mac = hmac.new(self._secret, b"resume:" + session_id.encode("utf-8"), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")

    def valid(self, session_id: Any, token: Any) -> bool:
        if not is_web_session_id(session_id) or not isinstance(token, str) or len(token) > 100:
            return False
        return hmac.compare_digest(self.issue(session_id), token)


# ---------------------------------------------------------------- Rasa commands

_COMMAND = re.compile(r"/([A-Za-z_][A-Za-z0-9_]*)(\{.*\})?\Z", re.S)
MAX_ENTITY_VALUE_CHARS = 100


def is_scalar(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) < 10**6
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < 10**6
    return isinstance(value, str) and len(value) <= MAX_ENTITY_VALUE_CHARS


def valid_command(text: str, intents: Collection[str], entities: Collection[str]) -> bool:
    """True when ``text`` is ``/intent`` or ``/intent{json}`` with an intent of the domain and
    a JSON object of the domain's entities with short scalar values."""
    match = _COMMAND.match(text)
    if not match or match.group(1) not in intents:
        return False
    if match.group(2) is None:
        return True
    try:
        values = json.loads(match.group(2))
    except ValueError:
        return False
    return isinstance(values, dict) and all(
        name in entities and is_scalar(value) for name, value in values.items()
    )


def as_patient_text(text: str) -> str:
    """Typed text that cannot be read as a Rasa command: leading slashes removed."""
    return text.lstrip().lstrip("/")


def message_text(
    text: str, from_button: bool, intents: Collection[str], entities: Collection[str]
) -> str:
    """What reaches Rasa: a button's valid command as it is, anything else as patient text."""
    if from_button and valid_command(text.strip(), intents, entities):
        return text.strip()
    return as_patient_text(text)


# ---------------------------------------------------------------- rate limits


@dataclass(frozen=True)
class Rate:
    """A token bucket: ``burst`` messages at once, refilled at ``per_minute``; 0 means off."""

    burst: int
    per_minute: float

    @property
    def off(self) -> bool:
        return self.burst <= 0 or self.per_minute <= 0

    @classmethod
    def parse(cls, value: Any, default: Rate) -> Rate:
        """From credentials.yml: ``{burst: 20, per_minute: 60}``, or 0/"off"."""
        if value in (0, "0", "off", False):
            return cls(0, 0)
        if not isinstance(value, Mapping):
            return default
        return cls(
            int(value.get("burst", default.burst)),
            float(value.get("per_minute", default.per_minute)),
        )


class RateLimiter:
    """Token buckets by key, the least recently used dropped beyond ``max_keys`` (a dropped
    key starts again with a full bucket, so memory stays bounded under any load)."""

    def __init__(
        self, rate: Rate, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        if self.rate.off:
            return True
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - last) * self.rate.per_minute / 60)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may send again (at least 1)."""
        if self.rate.off:
            return 0
        tokens, _ = self._buckets.get(key, (0.0, 0.0))
        return max(1, math.ceil((1 - tokens) * 60 / self.rate.per_minute))


# ---------------------------------------------------------------- client address


def parse_networks(value: str | Iterable[str] | None) -> list[ipaddress._BaseNetwork]:
    """``"10.0.0.1, 192.168.0.0/24"`` (or a list) as networks; bad entries raise ValueError."""
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def _in(address: str, networks: list[ipaddress._BaseNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(
    peer: str, forwarded_for: str | None, trusted: list[ipaddress._BaseNetwork]
) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy; then the right-most
    address in ``X-Forwarded-For`` that is not itself a trusted proxy (the left part of the
    header is whatever the client wrote, so it is never believed)."""
    if not forwarded_for or not _in(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _in(hop, trusted):
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def trusted_proxies() -> list[ipaddress._BaseNetwork]:
    """``BOT_TRUSTED_PROXIES``: the reverse proxies in front of the Rasa servers (empty: none)."""
    return parse_networks(os.environ.get("BOT_TRUSTED_PROXIES", ""))


def origin_allowed(origin: str | None, allowed: list[str] | None, host: str | None) -> bool:
    """May a page from ``origin`` open the widget's socket? ``allowed``: the origin patterns
    Rasa was given with ``--cors``, matched as sanic-cors matches them for polling (a pattern
    with a regex character is a regex, "*" is ".*", else equal ignoring case); the bot's own
    origin is always allowed. A browser always sends Origin on a cross-site WebSocket or XHR;
    a request without one is not a page in a browser, which this check does not concern."""
    if not origin:
        return True
    if origin.split("://", 1)[-1].lower() == (host or "").lower():
        return True
    for pattern in allowed or []:
        pattern = ".*" if pattern == "*" else pattern
        if any(c in pattern for c in "*\\]?"):
            if re.match(pattern, origin, flags=re.IGNORECASE):
                return True
        elif pattern and origin.lower() == pattern.lower():
            return True
    return False
