"""Security headers on every kind of response, and no patient text in the logs."""

from __future__ import annotations

import logging

import pytest

from tests.console import rasa_events as ev


def check_headers(response):
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/console.css", "/nope"])
def test_public_responses(client, path):
    check_headers(client.get(path))


def test_private_responses(nurse_client, write):
    write("h-1", ev.urgent_conversation())
    for path in (
        "/",
        "/conversation/h-1",
        "/queue/poll?since=0",
        "/exports/flagged-triage.csv",
        "/admin/audit",
        "/conversation/missing",
    ):
        response = nurse_client.get(path)
        check_headers(response)
        assert response.headers["cache-control"] == "no-store"


def test_refusals_have_headers(client):
    check_headers(client.get("/", follow_redirects=False))
    check_headers(client.post("/logout", follow_redirects=False))


def test_no_inline_script_or_style(nurse_client, write):
    write("h-1", ev.urgent_conversation())
    for path in ("/", "/conversation/h-1", "/exports", "/login"):
        page = nurse_client.get(path).text
        assert "<script>" not in page and " onclick=" not in page and " style=" not in page
        assert "<style" not in page


def test_patient_text_is_not_logged(nurse_client, write, caplog):
    caplog.set_level(logging.DEBUG)
    write("h-1", ev.simple_conversation("my secret symptom words", "urgent"))
    nurse_client.get("/")
    nurse_client.get("/conversation/h-1")
    nurse_client.get("/queue/poll?q=secret+symptom&since=0")
    assert "secret symptom" not in caplog.text


def test_level_shown_with_words_not_only_colour(nurse_client, write):
    for level in ("emergency", "urgent", "same_day", "routine", "self_care"):
        write(f"lvl-{level}", ev.simple_conversation("x", level))
    page = nurse_client.get("/").text
    for label in ("Emergency", "Urgent", "Same day", "Routine", "Self care"):
        assert f">{label}</span>" in page


def test_form_fields_have_labels(nurse_client, write):
    import re

    write("h-1", ev.urgent_conversation())
    for path in ("/", "/conversation/h-1", "/login"):
        page = nurse_client.get(path).text
        ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
        fields = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*>', page)
        for field in fields:
            field_id = re.search(r'\bid="([^"]+)"', field)
            assert field_id, field
            assert f'for="{field_id.group(1)}"' in page, field
        assert ids
