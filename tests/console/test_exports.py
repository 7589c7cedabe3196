"""Exports: the NLU YAML loads as Rasa training data; the CSV is safe to open in Excel."""

from __future__ import annotations

import csv
import io
import re

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from console import audit
from tests.console import rasa_events as ev
from tests.console.conftest import csrf_of


def _flag(client, sender, path, **data):
    page = client.get(f"/conversation/{sender}").text
    kind = "user" if path == "flag-nlu" else "bot"
    ids = [int(x) for x in re.findall(rf'<li class="turn turn-{kind}[^"]*" id="event-(\d+)"', page)]
    response = client.post(
        f"/conversation/{sender}/{path}",
        data={
            "csrf_token": csrf_of(page),
            "event_id": str(ids[-1] if kind == "bot" else ids[0]),
            **data,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.fixture
def flagged(nurse_client, write):
    write("exp-1", ev.urgent_conversation())
    write(
        "exp-2",
        ev.simple_conversation(
            "my [waters](symptom) went\nwith a gush", "routine", intent="report_pressure"
        ),
    )
    write("exp-3", ev.simple_conversation("=HYPERLINK(\"http://x\")", "self_care", intent="greet"))
    _flag(nurse_client, "exp-1", "flag-nlu", correct_intent="report_red_flag")
    _flag(nurse_client, "exp-2", "flag-nlu", correct_intent="report_fluid_leak")
    _flag(nurse_client, "exp-3", "flag-nlu", correct_intent="report_fluid_leak")
    _flag(nurse_client, "exp-1", "flag-triage", correct_level="emergency", comment="-2+3 cmd")
    _flag(nurse_client, "exp-3", "flag-triage", correct_level="urgent", comment="@SUM(A1)")
    return nurse_client


def test_nlu_yaml_is_rasa_training_data(flagged, engine):
    response = flagged.get("/exports/flagged-nlu.yml")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    data = RasaYAMLReader().reads(response.text)
    examples = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert examples == {
        ("report_red_flag", "I'm 20 weeks and I feel a heavy pressure down below"),
        ("report_fluid_leak", "my (waters)(symptom) went with a gush"),
        ("report_fluid_leak", '=HYPERLINK("http://x")'),
    }
    assert not data.entity_examples  # brackets in patient text did not become annotations
    assert audit.entries(engine, action="export_nlu")[0][0].detail == {"examples": 3}


def test_triage_csv(flagged, engine):
    response = flagged.get("/exports/flagged-triage.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    first = next(r for r in rows if r["conversation_id"] == "exp-1")
    assert (first["bot_level"], first["correct_level"]) == ("urgent", "emergency")
    assert first["bot_rules"] == "U1" and first["bot_concerns"] == "cervical_insufficiency"
    assert first["gestational_weeks"] == "20.0"
    assert first["symptoms"] == "vaginal_pressure" and first["symptoms_absent"] == "contractions"
    assert first["contractions"] == "no" and first["risk_factors"] == "cervical_surgery"
    assert "heavy pressure down below" in first["patient_messages"]
    assert first["comment"] == "'-2+3 cmd"  # would be a formula in a spreadsheet
    third = next(r for r in rows if r["conversation_id"] == "exp-3")
    assert third["comment"] == "'@SUM(A1)"
    assert third["bot_level"] == "self_care"
    assert audit.entries(engine, action="export_triage_csv")[0][0].detail == {"rows": 2}


def test_empty_exports(nurse_client):
    data = RasaYAMLReader().reads(nurse_client.get("/exports/flagged-nlu.yml").text)
    assert data.intent_examples == []
    rows = list(csv.reader(io.StringIO(nurse_client.get("/exports/flagged-triage.csv").text)))
    assert len(rows) == 1  # just the header


def test_exports_page(nurse_client):
    page = nurse_client.get("/exports").text
    assert (
        'href="/exports/flagged-nlu.yml"' in page and 'href="/exports/flagged-triage.csv"' in page
    )
