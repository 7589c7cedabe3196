"""The clinic's names and phone numbers, read from clinic.yml.

Nothing a patient is told to call is written in code: a clinic edits one file. Loading fails
loudly, naming the missing key, because a bot that says "call None" is worse than no bot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

#: The repository root's clinic.yml; the CLINIC_CONFIG environment variable overrides it.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "clinic.yml"
ENV_VAR = "CLINIC_CONFIG"


class ClinicConfigError(ValueError):
    """clinic.yml is missing, unreadable, or lacks a required entry."""


@dataclass(frozen=True)
class Service:
    """A place to call: its name, phone number and, optionally, hours and address."""

    name: str
    phone: str
    hours: str | None = None
    address: str | None = None


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


_SERVICES = ("maternity_triage", "early_pregnancy_unit", "midwife_team", "out_of_hours")


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
    )


def clinic_from_dict(data: Mapping[str, Any], source: str = "clinic config") -> Clinic:
    """Validate and build a Clinic from parsed YAML (useful for tests and other loaders)."""
    if not isinstance(data, Mapping):
        raise ClinicConfigError(f"{source}: expected a mapping of keys, got {type(data).__name__}")
    return Clinic(
        clinic_name=_text(data, "clinic_name", source),  # type: ignore[arg-type]
        country=_text(data, "country", source, required=False) or "",
        emergency_number=_text(data, "emergency_number", source, phone=True),  # type: ignore[arg-type]
        **{key: _service(data, key, source) for key in _SERVICES},
    )


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
