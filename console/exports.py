"""Exports for retraining: flagged messages as Rasa NLU YAML, flagged triage cases as CSV.

NLU: Rasa reads ``[text](entity)`` inside an example as an entity annotation, so square
brackets in patient text are replaced by round ones, and each example is one line.
CSV: a cell starting with = + - @ (or a tab/CR) is run as a formula by spreadsheet programs,
so such cells get a leading apostrophe (OWASP "CSV injection"); the export is opened in Excel.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from console.events import event_row, findings_from, triage_of
from console.tables import events, flags, users


def _one_line(text: str) -> str:
    return " ".join(text.replace("[", "(").replace("]", ")").split())


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks, the way Rasa's own training files look."""


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)


def nlu_yaml(engine: Engine) -> tuple[str, int]:
    """(YAML text, number of examples) for every NLU flag, grouped by the correct intent."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(flags.c.correct_value, events.c.data, events.c.type_name)
            .join(events, events.c.id == flags.c.event_id)
            .where(flags.c.kind == "nlu")
            .order_by(flags.c.correct_value, flags.c.id)
        ).all()
    examples: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        text = str(event_row(0, r.type_name, None, r.data).data.get("text") or "")
        line = _one_line(text)
        if line and not line.startswith("/") and line not in examples[r.correct_value]:
            examples[r.correct_value].append(line)
    document = {
        "version": "3.1",
        "nlu": [
            {"intent": intent, "examples": "".join(f"- {e}\n" for e in texts)}
            for intent, texts in sorted(examples.items())
            if texts
        ],
    }
    header = (
        "# Patient messages the nurses flagged as misunderstood, with the intent they\n"
        "# meant. Exported from the review console: health data, handle accordingly.\n"
    )
    body = yaml.dump(
        document, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=10000
    )
    return header + body, sum(len(v) for v in examples.values())


CSV_COLUMNS = (
    "flag_id",
    "flagged_at",
    "flagged_by",
    "conversation_id",
    "event_id",
    "message_at",
    "bot_level",
    "correct_level",
    "bot_concerns",
    "bot_rules",
    "gestational_weeks",
    "symptoms",
    "symptoms_absent",
    "contractions",
    "risk_factors",
    "bleeding_amount",
    "patient_messages",
    "bot_text",
    "comment",
)


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _iso(ts: float | None, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") if ts else ""


def triage_csv(engine: Engine, tz: ZoneInfo) -> tuple[str, int]:
    """(CSV text, number of rows): each triage flag with the findings the bot had then."""
    with engine.connect() as conn:
        flag_rows = conn.execute(
            sa.select(flags, users.c.username)
            .join(users, users.c.id == flags.c.author_id)
            .where(flags.c.kind == "triage")
            .order_by(flags.c.id)
        ).all()
        by_sender: dict[str, list] = {}
        for sender in sorted({f.sender_id for f in flag_rows}):
            by_sender[sender] = [
                event_row(r.id, r.type_name, r.timestamp, r.data)
                for r in conn.execute(
                    sa.select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
                    .where(events.c.sender_id == sender)
                    .order_by(events.c.id)
                )
            ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for f in flag_rows:
        rows = by_sender.get(f.sender_id, [])
        target = next((r for r in rows if r.id == f.event_id), None)
        if target is None:
            continue
        findings = findings_from(rows, until_event_id=f.event_id)
        decision = triage_of(target.data)
        session_start = max(
            (r.id for r in rows if r.type_name == "session_started" and r.id < f.event_id),
            default=0,
        )
        patient = [
            str(r.data.get("text") or "")
            for r in rows
            if r.type_name == "user" and session_start < r.id < f.event_id
        ]
        writer.writerow(
            [
                _safe_cell(v)
                for v in (
                    f.id,
                    _iso(f.created_at, tz),
                    f.username,
                    f.sender_id,
                    f.event_id,
                    _iso(target.timestamp, tz),
                    f.bot_value or "",
                    f.correct_value,
                    " ".join(decision.concerns) if decision else "",
                    " ".join(r.rule for r in decision.reasons) if decision else "",
                    "" if findings.gestational_weeks is None else findings.gestational_weeks,
                    " ".join(findings.symptoms),
                    " ".join(findings.symptoms_absent),
                    findings.contractions or "",
                    " ".join(findings.risk_factors),
                    findings.bleeding_amount or "",
                    json.dumps(patient, ensure_ascii=False),
                    str(target.data.get("text") or ""),
                    f.comment,
                )
            ]
        )
        count += 1
    return out.getvalue(), count
