"""Settings, read once from the environment.

Why one frozen object instead of ``os.environ`` lookups spread around: tests build their own
``Settings`` (another database, short lock-outs) without touching the process environment,
and an operator can read in one place every knob the console has (docs/console.md lists them).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.engine import make_url

#: The repository root: relative SQLite paths and ``var/`` are resolved against it, so the
#: console finds the same ``var/conversations.db`` as a Rasa started from the repo root.
REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DB_URL = "sqlite:///var/conversations.db"
SECRET_FILE = "var/console_secret"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_cookie_secure() -> bool | None:
    """``CONSOLE_COOKIE_SECURE``: 1 always, 0 never (plain-HTTP development only), unset or
    ``auto``: follow the request's scheme (see console/security.py, ``ProxyHeaders``)."""
    value = os.environ.get("CONSOLE_COOKIE_SECURE", "").strip().lower()
    if value in ("", "auto"):
        return None
    return value in ("1", "true", "yes", "on")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """``10.0.0.5, 10.1.0.0/16, ::1`` -> networks; an invalid entry is an error that names it
    (a typo here would silently trust nobody, or worse, be read as something else)."""
    networks = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"CONSOLE_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR"
            ) from None
    return tuple(networks)


def resolve_db_url(url: str, root: Path = REPO_ROOT) -> str:
    """Make a relative SQLite path absolute (against the repo root) and create its folder.

    ``postgres://`` is accepted as an alias of ``postgresql://`` because hosting platforms
    hand out the former and SQLAlchemy 1.4 refuses it.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return url
    path = Path(database)
    if not path.is_absolute():
        path = root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(parsed.set(database=str(path)))


def load_secret(root: Path = REPO_ROOT) -> str:
    """``CONSOLE_SECRET_KEY``, else the key in ``var/console_secret``, created once (mode 600).

    Generated rather than defaulted so that no two installations share a key and no key is
    ever in git (``var/`` is machine-local state).
    """
    from_env = os.environ.get("CONSOLE_SECRET_KEY", "").strip()
    if from_env:
        return from_env
    path = root / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise RuntimeError(
                f"{path} holds no usable key; delete it to have a new one made"
            ) from None
        return key
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key + "\n")
    return key


def _clinic_timezone(root: Path) -> str | None:
    """The clinic's time zone, read from clinic.yml by the same loader the bot uses
    (triage.load_clinic; $CLINIC_CONFIG names another file). None if the file is missing or
    invalid: the console still starts, showing times in UTC."""
    from triage.clinic import ENV_VAR, ClinicConfigError, load_clinic

    try:
        return load_clinic(os.environ.get(ENV_VAR) or root / "clinic.yml").timezone
    except ClinicConfigError:
        return None


@dataclass(frozen=True)
class Settings:
    """Every knob of the console. Times are in seconds unless the name says otherwise."""

    db_url: str
    secret_key: str = field(repr=False)
    retention_days: int = 365
    timezone: str = "UTC"
    #: None: Secure cookies and HSTS follow the request scheme, failing closed; True/False force
    cookie_secure: bool | None = None
    #: proxies whose X-Forwarded-For / X-Forwarded-Proto are believed; nobody's by default
    trusted_proxies: tuple[Network, ...] = ()
    session_max_age: int = 12 * 3600  # absolute: one long shift
    session_idle: int = 60 * 60  # idle time-out
    # login throttling (console/throttle.py): failures allowed before a delay, then the delay
    # doubles from `throttle_base` up to `throttle_cap`; counts are forgotten after a quiet day
    pair_free_failures: int = 5  # one username from one address
    ip_free_failures: int = 20  # any usernames from one address
    throttle_base: int = 30
    throttle_cap: int = 15 * 60
    throttle_forget: int = 24 * 3600
    poll_seconds: int = 10
    gap_timeout: int = 60  # see console/sync.py
    page_size: int = 50

    @classmethod
    def from_env(cls, root: Path = REPO_ROOT) -> Settings:
        return cls(
            db_url=resolve_db_url(
                os.environ.get("TRACKER_DB_URL", "").strip() or DEFAULT_DB_URL, root
            ),
            secret_key=load_secret(root),
            retention_days=_env_int("RETENTION_DAYS", 365),
            timezone=os.environ.get("CONSOLE_TIMEZONE", "").strip()
            or _clinic_timezone(root)
            or "UTC",
            cookie_secure=_env_cookie_secure(),
            trusted_proxies=parse_networks(os.environ.get("CONSOLE_TRUSTED_PROXIES", "")),
            session_max_age=_env_int("CONSOLE_SESSION_HOURS", 12) * 3600,
            session_idle=_env_int("CONSOLE_IDLE_MINUTES", 60) * 60,
            pair_free_failures=_env_int("CONSOLE_LOGIN_FREE_FAILURES", 5),
            throttle_cap=_env_int("CONSOLE_LOGIN_MAX_DELAY_MINUTES", 15) * 60,
            poll_seconds=max(2, _env_int("CONSOLE_POLL_SECONDS", 10)),
        )

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)
