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

from triage.clinic import FollowUpDue

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


def _clinic_follow_up(root: Path) -> FollowUpDue:
    """The follow-up due times of clinic.yml (``follow_up_due``). None when the file is missing
    or unreadable (the console still starts, like the time zone above); a follow-up entry
    written wrong stops the console with a message naming it (a typo must not silently drop
    a due time)."""
    from triage.clinic import ENV_VAR, load_follow_up_due

    return load_follow_up_due(os.environ.get(ENV_VAR) or root / "clinic.yml")


TLS_MODES = ("none", "starttls", "tls")
SMTP_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


def _env_str(name: str) -> str:
    return os.environ.get(name, "").strip()


@dataclass(frozen=True)
class AlertSettings:
    """Alerts by email and webhook (console/notify.py); off until a mail host or a webhook URL
    is set. Every variable is listed in docs/console.md ("Alerts")."""

    base_url: str = ""  # the console as nurses reach it: the links in alerts start with it
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 25, 587 or 465 by smtp_tls
    smtp_tls: str = "starttls"  # "none" | "starttls" | "tls" (implicit TLS)
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    email_from: str = ""
    email_to: tuple[str, ...] = ()
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    ca_file: str = ""  # CA bundle trusted instead of the system's (SMTP TLS and HTTPS)
    interval: int = 10  # seconds between two cycles of the background task
    retry_base: int = 30  # first retry after this, then doubling ...
    retry_cap: int = 3600  # ... up to this
    max_attempts: int = 8
    max_age: int = 24 * 3600  # conversations quiet for longer are not alerted (first start)
    timeout: int = 10  # per connection

    @property
    def port(self) -> int:
        return self.smtp_port or SMTP_DEFAULT_PORTS.get(self.smtp_tls, 25)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, on in (("email", bool(self.smtp_host)), ("webhook", bool(self.webhook_url)))
            if on
        )

    def check(self) -> None:
        """Refuse a half-made configuration, naming the variable, rather than alert nobody."""
        problems = []
        if self.smtp_tls not in TLS_MODES:
            problems.append(f"CONSOLE_SMTP_TLS must be one of {', '.join(TLS_MODES)}")
        if self.smtp_host and not (self.email_from and self.email_to):
            problems.append("CONSOLE_ALERT_FROM and CONSOLE_ALERT_TO are needed for email alerts")
        if self.smtp_username and self.smtp_tls == "none":
            problems.append("CONSOLE_SMTP_USERNAME needs CONSOLE_SMTP_TLS starttls or tls")
        if self.webhook_url and not self.webhook_url.lower().startswith(("https://", "http://")):
            problems.append("CONSOLE_WEBHOOK_URL must be an http(s) URL")
        if self.webhook_url and len(self.webhook_secret) < 16:
            problems.append("CONSOLE_WEBHOOK_SECRET (16 characters or more) signs the webhook")
        if self.channels and not self.base_url.lower().startswith(("https://", "http://")):
            problems.append("CONSOLE_BASE_URL (http(s)://...) is needed for the links in alerts")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_env(cls) -> AlertSettings:
        alerts = cls(
            base_url=_env_str("CONSOLE_BASE_URL"),
            smtp_host=_env_str("CONSOLE_SMTP_HOST"),
            smtp_port=_env_int("CONSOLE_SMTP_PORT", 0),
            smtp_tls=_env_str("CONSOLE_SMTP_TLS").lower() or "starttls",
            smtp_username=_env_str("CONSOLE_SMTP_USERNAME"),
            smtp_password=os.environ.get("CONSOLE_SMTP_PASSWORD", ""),
            email_from=_env_str("CONSOLE_ALERT_FROM"),
            email_to=tuple(a.strip() for a in _env_str("CONSOLE_ALERT_TO").split(",") if a.strip()),
            webhook_url=_env_str("CONSOLE_WEBHOOK_URL"),
            webhook_secret=os.environ.get("CONSOLE_WEBHOOK_SECRET", ""),
            ca_file=_env_str("CONSOLE_ALERT_CA_FILE"),
            interval=max(2, _env_int("CONSOLE_ALERT_SECONDS", 10)),
            retry_base=max(1, _env_int("CONSOLE_ALERT_RETRY_SECONDS", 30)),
            max_attempts=max(1, _env_int("CONSOLE_ALERT_MAX_ATTEMPTS", 8)),
            max_age=_env_int("CONSOLE_ALERT_MAX_AGE_HOURS", 24) * 3600,
        )
        alerts.check()
        return alerts


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
    #: a conversation with no final decision is "left before the end" after this long without
    #: a message (issue 12, item 1; docs/console.md)
    left_after_minutes: int = 30
    #: follow-up due times per level, from clinic.yml (console/followup.py)
    follow_up: FollowUpDue = field(default_factory=FollowUpDue)
    alerts: AlertSettings = field(default_factory=AlertSettings)

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
            left_after_minutes=max(1, _env_int("CONSOLE_LEFT_AFTER_MINUTES", 30)),
            follow_up=_clinic_follow_up(root),
            alerts=AlertSettings.from_env(),
        )

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)
