"""The clinic's names and phone numbers, read from clinic.yml.

Nothing a patient is told to call is written in code: a clinic edits one file. Loading fails
loudly, naming the missing key, because a bot that says "call None" is worse than no bot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

#: The repository root's clinic.yml; the CLINIC_CONFIG environment variable overrides it.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "clinic.yml"
ENV_VAR = "CLINIC_CONFIG"


class ClinicConfigError(ValueError):
    """clinic.yml is missing, unreadable, or lacks a required entry."""


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RANGE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class OpenPeriod:
    """Open on these weekdays (0 = Monday) from ``start`` to ``end`` minutes after midnight."""

    days: frozenset[int]
    start: int
    end: int


@dataclass(frozen=True)
class Service:
    """A place to call: its name, phone number and, optionally, hours and address.

    ``hours`` is the text patients read; ``open`` the same hours for the bot to reason with
    (``open:`` in clinic.yml, e.g. ``{mon-fri: "09:00-17:00"}``). Without ``open`` the bot cannot
    tell whether the service is open now and says so by giving the hours and an alternative.
    """

    name: str
    phone: str
    hours: str | None = None
    address: str | None = None
    open: tuple[OpenPeriod, ...] = ()
    #: The weeks of pregnancy from which the service takes calls (``from_weeks``; None: any).
    from_weeks: float | None = None

    def is_open(self, at: datetime) -> bool | None:
        """Open at ``at`` (local time of the clinic), or None when the hours are not structured."""
        if not self.open:
            return None
        minute = at.hour * 60 + at.minute
        return any(at.weekday() in p.days and p.start <= minute < p.end for p in self.open)


END_OF_DAY = "end_of_day"
_DURATION = re.compile(r"^(\d{1,5})\s*(m|min|h|d)$")
_DURATION_MINUTES = {"m": 1, "min": 1, "h": 60, "d": 24 * 60}
_MAX_DUE_MINUTES = 30 * 24 * 60


@dataclass(frozen=True)
class FollowUpDue:
    """How soon the nurses follow up a conversation, per triage level (``follow_up_due:`` in
    clinic.yml, read by the nurse console). A level maps to minutes, or to ``END_OF_DAY`` (by
    the end of the clinic's working day, ``follow_up_day_ends``, in ``timezone``); a level not
    listed has no due time."""

    minutes: tuple[tuple[str, int], ...] = ()
    end_of_day: frozenset[str] = frozenset()
    day_ends: int = 24 * 60  # minutes after midnight, local time

    def due_at(self, level: str | None, since: float, zone: str) -> float | None:
        """When a conversation that reached ``level`` at ``since`` (epoch seconds) is due."""
        if level in self.end_of_day:
            tz = ZoneInfo(zone)
            local = datetime.fromtimestamp(since, tz)
            day = local.date()
            while True:
                midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
                # wall-clock arithmetic, then back to an instant: a DST change keeps 17:00
                end = (midnight + timedelta(minutes=self.day_ends)).replace(tzinfo=None)
                end_at = end.replace(tzinfo=tz).timestamp()
                if end_at > since:
                    return end_at
                day += timedelta(days=1)
        for name, minutes in self.minutes:
            if name == level:
                return since + minutes * 60
        return None

    def describe(self, level: str | None) -> str:
        """The rule in words, for the console ("15 minutes", "end of day (17:00)")."""
        if level in self.end_of_day:
            hours, minutes = divmod(self.day_ends, 60)
            return f"by the end of the day ({hours:02d}:{minutes:02d})"
        for name, value in self.minutes:
            if name == level:
                if value % (24 * 60) == 0:
                    return f"within {value // (24 * 60)} day{'s' if value != 24 * 60 else ''}"
                if value % 60 == 0:
                    return f"within {value // 60} hour{'s' if value != 60 else ''}"
                return f"within {value} minute{'s' if value != 1 else ''}"
        return "no due time"


def _follow_up_due(data: Mapping[str, Any], source: str) -> FollowUpDue:
    from .decision import LEVEL_ORDER  # triage.decision does not import this module

    value = data.get("follow_up_due")
    where = f"{source}: follow_up_due"
    day_ends = _day_end(data.get("follow_up_day_ends"), source)
    if value is None:
        return FollowUpDue(day_ends=day_ends)
    if not isinstance(value, Mapping):
        raise ClinicConfigError(f"{where} must map levels to times, e.g. {{urgent: 1h}}")
    minutes: list[tuple[str, int]] = []
    end_of_day: set[str] = set()
    for level, rule in value.items():
        if level not in LEVEL_ORDER:
            raise ClinicConfigError(
                f"{where}: unknown level '{level}' (use {', '.join(reversed(LEVEL_ORDER))})"
            )
        text = str(rule).strip().lower() if isinstance(rule, (str, int)) else ""
        if text == END_OF_DAY:
            end_of_day.add(level)
            continue
        match = _DURATION.match(text)
        if isinstance(rule, bool) or not match:
            raise ClinicConfigError(
                f"{where}: {level}: '{rule}' is not a time like 15m, 1h, 2d or end_of_day"
            )
        count = int(match.group(1)) * _DURATION_MINUTES[match.group(2)]
        if not 0 < count <= _MAX_DUE_MINUTES:
            raise ClinicConfigError(f"{where}: {level}: '{rule}' must be between 1m and 30d")
        minutes.append((level, count))
    return FollowUpDue(tuple(minutes), frozenset(end_of_day), day_ends)


def load_follow_up_due(path: str | os.PathLike[str]) -> FollowUpDue:
    """Only the follow-up entries of a clinic.yml, validated as ``load_clinic`` does: for the
    nurse console, which keeps starting without the rest of the file (times then in UTC) but
    must not silently drop a due time that is written wrong."""
    chosen = Path(path)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return FollowUpDue()
    if not isinstance(data, Mapping):
        return FollowUpDue()
    return _follow_up_due(data, str(chosen))


def _day_end(value: Any, source: str) -> int:
    if value is None:
        return 24 * 60
    match = re.fullmatch(r"([01]?\d|2[0-4]):([0-5]\d)", str(value).strip())
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not 0 < minutes <= 24 * 60:
        raise ClinicConfigError(
            f'{source}: follow_up_day_ends must be a time like "17:00" (in quotes)'
        )
    return minutes


@dataclass(frozen=True)
class Clinic:
    """Every entry of clinic.yml."""

    clinic_name: str
    country: str
    emergency_number: str
    maternity_triage: Service
    early_pregnancy_unit: Service
    midwife_team: Service
    out_of_hours: Service
    #: Where to call about thoughts of self-harm (optional; else the out-of-hours line).
    mental_health_crisis: Service | None = None
    #: Where to call about domestic abuse (optional).
    domestic_abuse: Service | None = None
    #: Where to go urgently before maternity triage's ``from_weeks`` (optional; without it, the
    #: early pregnancy unit when it is open, else maternity triage).
    gynaecology_assessment_unit: Service | None = None
    #: How to make an emergency call without speaking (optional; said when in danger now).
    silent_emergency_call: str = ""
    #: The clinic's time zone: opening hours are read in it.
    timezone: str = "UTC"
    #: How long the website chat keeps a conversation on the patient's device after the last
    #: message: 0 (the default) only while the browser tab is open, at most 24 hours.
    chat_kept_hours: float = 0
    #: Where the chat's "Leave quickly" button takes a patient who may be watched.
    quick_exit_url: str = "https://www.bbc.co.uk/weather"
    #: How soon the nurse console's follow-up is due, per level (``follow_up_due``).
    follow_up_due: FollowUpDue = FollowUpDue()

    def local_time(self, at: datetime | None = None) -> datetime:
        """``at`` (or now) in the clinic's time zone."""
        zone = ZoneInfo(self.timezone)
        return at.astimezone(zone) if at is not None else datetime.now(zone)


_SERVICES = ("maternity_triage", "early_pregnancy_unit", "midwife_team", "out_of_hours")
_OPTIONAL_SERVICES = ("mental_health_crisis", "domestic_abuse", "gynaecology_assessment_unit")


def _days(key: str, where: str) -> frozenset[int]:
    key = key.strip().lower()
    if key in ("daily", "every day", "mon-sun"):
        return frozenset(range(7))
    first, _, last = key.partition("-")
    if first not in _DAYS or (last and last not in _DAYS):
        raise ClinicConfigError(
            f"{where}: unknown days '{key}' (use mon, tue, ... sun, a range like mon-fri, or daily)"
        )
    a, b = _DAYS.index(first), _DAYS.index(last or first)
    return frozenset(range(a, b + 1)) if a <= b else frozenset((*range(a, 7), *range(b + 1)))


def _open_periods(value: Any, where: str) -> tuple[OpenPeriod, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ClinicConfigError(
            f'{where}: \'open\' must map days to hours, e.g. mon-fri: "09:00-17:00"'
        )
    periods = []
    for key, hours in value.items():
        text = str(hours).strip().lower()
        if text in ("24h", "24 hours", "00:00-24:00"):
            start, end = 0, 24 * 60
        else:
            match = _TIME_RANGE.match(text.replace(" ", ""))
            if not match:
                raise ClinicConfigError(f"{where}: open {key}: '{hours}' is not like 09:00-17:00")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start:
                raise ClinicConfigError(f"{where}: open {key}: '{hours}' ends before it starts")
        periods.append(OpenPeriod(_days(str(key), where), start, end))
    return tuple(periods)


def _text(
    data: Mapping[str, Any], key: str, where: str, *, phone: bool = False, required: bool = True
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ClinicConfigError(f"{where}: missing required key '{key}'")
        return None
    if phone and not isinstance(value, str):
        # An unquoted number loses its leading zero (or is read as octal) in YAML.
        raise ClinicConfigError(
            f"{where}: '{key}' must be written in quotes, e.g. {key}: \"{value}\""
        )
    if not isinstance(value, (str, int, float)):
        raise ClinicConfigError(f"{where}: '{key}' must be text, not {type(value).__name__}")
    return str(value).strip()


def _service(data: Mapping[str, Any], key: str, source: str) -> Service:
    entry = data.get(key)
    if entry is None:
        raise ClinicConfigError(f"{source}: missing required key '{key}'")
    if not isinstance(entry, Mapping):
        raise ClinicConfigError(f"{source}: '{key}' must have 'name' and 'phone' entries")
    where = f"{source}: {key}"
    return Service(
        name=_text(entry, "name", where),  # type: ignore[arg-type]
        phone=_text(entry, "phone", where, phone=True),  # type: ignore[arg-type]
        hours=_text(entry, "hours", where, required=False),
        address=_text(entry, "address", where, required=False),
        open=_open_periods(entry.get("open"), where),
        from_weeks=_from_weeks(entry, where),
    )


def _from_weeks(entry: Mapping[str, Any], where: str) -> float | None:
    value = entry.get("from_weeks")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 4 <= value <= 28:
        raise ClinicConfigError(f"{where}: from_weeks must be a number of weeks from 4 to 28")
    return float(value)


def _timezone(data: Mapping[str, Any], source: str) -> str:
    name = _text(data, "timezone", source, required=False) or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ClinicConfigError(f"{source}: unknown timezone '{name}'") from exc
    return name


def clinic_from_dict(data: Mapping[str, Any], source: str = "clinic config") -> Clinic:
    """Validate and build a Clinic from parsed YAML (useful for tests and other loaders)."""
    if not isinstance(data, Mapping):
        raise ClinicConfigError(f"{source}: expected a mapping of keys, got {type(data).__name__}")
    return Clinic(
        clinic_name=_text(data, "clinic_name", source),  # type: ignore[arg-type]
        country=_text(data, "country", source, required=False) or "",
        emergency_number=_text(data, "emergency_number", source, phone=True),  # type: ignore[arg-type]
        **{key: _service(data, key, source) for key in _SERVICES},
        **{key: _service(data, key, source) for key in _OPTIONAL_SERVICES if data.get(key)},
        silent_emergency_call=_text(data, "silent_emergency_call", source, required=False) or "",
        timezone=_timezone(data, source),
        chat_kept_hours=_kept_hours(data, source),
        quick_exit_url=_https_url(data, "quick_exit_url", source) or Clinic.quick_exit_url,
        follow_up_due=_follow_up_due(data, source),
    )


def _kept_hours(data: Mapping[str, Any], source: str) -> float:
    value = data.get("chat_kept_hours", 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 24:
        raise ClinicConfigError(f"{source}: chat_kept_hours must be a number from 0 to 24")
    return float(value)


def _https_url(data: Mapping[str, Any], key: str, source: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https://[^\s\"'<>]+", value):
        raise ClinicConfigError(f"{source}: {key} must be an https:// address")
    return value


def load_clinic(path: str | os.PathLike[str] | None = None) -> Clinic:
    """Read clinic.yml: ``path``, else $CLINIC_CONFIG, else the repository root's clinic.yml."""
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClinicConfigError(f"cannot read clinic config {chosen}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ClinicConfigError(f"{chosen}: not valid YAML: {exc}") from exc
    return clinic_from_dict(data or {}, source=str(chosen))


# Ofcom's numbers for drama (UK): they never reach anyone. The demo clinic.yml uses them, so a
# copy of it put live would tell every patient to call a dead number (hazard HZ-12).
FICTIONAL_PREFIXES = tuple(
    prefix.replace(" ", "")
    for prefix in (
        # Ofcom's ranges for drama: a thousand numbers from each prefix on.
        "01632 960",  # the demo's own area
        "020 7946 0",  # London
        "0113 496 0",
        "0114 496 0",
        "0115 496 0",
        "0116 496 0",
        "0117 496 0",
        "0118 496 0",
        "0121 496 0",
        "0131 496 0",
        "0141 496 0",
        "0151 496 0",
        "0161 496 0",
        "0191 498 0",
        "028 9649 6",  # Northern Ireland
        "029 2018 0",  # Cardiff
        "07700 900",  # mobile
        "08081 570",  # freephone
        "0909 879 0",  # premium rate
        "03069 990",  # UK-wide
    )
)
LIVE_ENV_VAR = "CLINIC_LIVE"


def fictional_numbers(clinic: Clinic) -> list[str]:
    """Every number in ``clinic`` that is one of Ofcom's drama numbers, as 'entry: number'."""
    numbers = [("emergency_number", clinic.emergency_number)] + [
        (key, service.phone)
        for key in _SERVICES + _OPTIONAL_SERVICES
        if (service := getattr(clinic, key)) is not None
    ]
    found = []
    for key, number in numbers:
        digits = re.sub(r"\D", "", number or "")
        if digits.startswith("44"):
            digits = "0" + digits[2:]
        if any(digits.startswith(prefix) for prefix in FICTIONAL_PREFIXES):
            found.append(f"{key}: {number}")
    return found


def check_live(clinic: Clinic) -> None:
    """With ``CLINIC_LIVE=1`` (a real deployment), refuse a clinic.yml that still holds drama
    numbers; the demo (`make run`, the tests) leaves it unset."""
    if os.environ.get(LIVE_ENV_VAR, "") not in ("", "0"):
        found = fictional_numbers(clinic)
        if found:
            raise ClinicConfigError(
                f"{LIVE_ENV_VAR} is set but clinic.yml still has fictional (Ofcom drama) "
                f"numbers: {', '.join(found)}. Put the clinic's real numbers in clinic.yml."
            )
