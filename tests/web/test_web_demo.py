"""The demo server and the widget's files, without a browser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from web.server import content_security_policy, create_app, load_demo_clinic

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(vendor_built):
    return TestClient(create_app("http://localhost:5005"))


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append(a[key])


def test_demo_page_embeds_the_widget_with_clinic_yml_values(client):
    clinic = load_demo_clinic()
    r = client.get("/")
    assert r.status_code == 200
    page = _Scripts()
    page.feed(r.text)
    [tag] = [s for s in page.scripts if "triage-widget.js" in (s.get("src") or "")]
    assert tag["src"] == "/widget/triage-widget.js"
    assert "defer" in tag
    assert tag["data-server-url"] == "http://localhost:5005"
    assert tag["data-clinic-name"] == clinic.clinic_name
    assert tag["data-emergency-number"] == clinic.emergency_number
    assert tag["data-triage-phone"] == clinic.maternity_triage.phone
    assert tag["data-triage-name"] == clinic.maternity_triage.name
    # values come from clinic.yml, not from code
    import yaml

    raw = yaml.safe_load((REPO / "clinic.yml").read_text())
    assert tag["data-emergency-number"] == raw["emergency_number"]
    assert tag["data-triage-phone"] == raw["maternity_triage"]["phone"]


def test_no_third_party_resources(client):
    r = client.get("/")
    page = _Scripts()
    page.feed(r.text)
    external = [u for u in page.urls if re.match(r"^(https?:)?//", u)]
    assert external == []
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "connect-src 'self' http://localhost:5005 ws://localhost:5005" in csp
    assert r.headers["referrer-policy"] == "no-referrer"


def test_csp_for_an_https_bot():
    csp = content_security_policy("https://bot.clinic.example/")
    assert "connect-src 'self' https://bot.clinic.example wss://bot.clinic.example" in csp


def test_widget_assets_are_served_from_the_same_origin(client):
    js = client.get("/widget/triage-widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    css = client.get("/widget/triage-widget.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    vendor = client.get("/widget/vendor/socket.io.min.js")
    assert vendor.status_code == 200
    assert vendor.text.lstrip().startswith("/*!\n * Socket.IO v4.")
    # the widget derives both URLs from its own src: nothing hard-coded to another host
    assert 'base + "triage-widget.css"' in js.text
    assert 'base + "vendor/socket.io.min.js"' in js.text


def test_served_widget_is_one_self_contained_file(client):
    """web/build.js bundles the widget's ES modules (web/widget/) into the one served file, in
    one closure (esbuild): the embed stays one <script> tag and the page gets no global but
    window.TriageWidget."""
    served = client.get("/widget/triage-widget.js").text
    assert served.startswith("/*!\n * Pregnancy symptom-checker chat widget")
    assert '\n"use strict";\n(function() {\n  // widget/helpers.js\n' in served
    assert served.endswith("\n})();\n")
    assert not re.search(r"^\s*(import|export)\s", served, flags=re.M)  # no module syntax left
    assert "module.exports" not in served
    assert 'el("script", { src: config.socketioSrc' in served  # loads vendor/ itself


def test_vendor_copy_matches_the_lock_file(vendor_built):
    lock = json.loads((REPO / "web" / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/socket.io-client"]["version"]
    assert locked.startswith("4.")
    assert f"Socket.IO v{locked}\n" in vendor_built.read_text()[:200]
    pkg = json.loads((REPO / "web" / "package.json").read_text())
    assert pkg["dependencies"]["socket.io-client"] == locked  # exact pin, no range


def test_widget_source_never_parses_html(client):
    """Point 5 of the issue, statically: no HTML sinks anywhere in the widget (as served, so
    its helpers are checked too)."""
    source = client.get("/widget/triage-widget.js").text
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "DOMParser",
        "createContextualFragment",
        "srcdoc",
    ):
        assert sink not in code, sink
    # the only href the widget sets is a tel: link built from sanitised digits
    assert [h.strip() for h in re.findall(r"href:\s*([^,}\n]+)", code)] == [
        "href",
        "config.cssHref",
    ]
    assert '"tel:" + s' in code


def test_healthz(client):
    assert client.get("/healthz").text == "ok"
