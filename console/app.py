"""The Starlette application: routes, middleware, state.

``create_app`` takes its settings (and optionally an engine) as arguments so that tests run
the real app on their own database; ``python -m console serve`` builds it from the
environment after running the migrations.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from console import (
    cases,
    dashboard,
    notify,
    views_admin,
    views_auth,
    views_case,
    views_dashboard,
    views_fhir,
    views_followup,
    views_queue,
)
from console.config import REPO_ROOT, Settings
from console.db import make_engine
from console.security import CSRFCheck, ProxyHeaders, RefuseNul, SecurityHeaders, SessionGate
from console.web import HERE, LongIds, make_templates

log = logging.getLogger(__name__)

CASE = "/conversation/{sender_id:anytext}"  # any stored id: see console/web.py, case_url

ROUTES = [
    Route("/login", views_auth.login_page, methods=["GET"], name="login"),
    Route("/login", views_auth.login_submit, methods=["POST"], name="login_submit"),
    Route("/logout", views_auth.logout, methods=["POST"], name="logout"),
    Route("/healthz", views_auth.healthz, methods=["GET"], name="healthz"),
    Route("/", views_queue.queue_page, methods=["GET"], name="queue"),
    Route("/queue/poll", views_queue.queue_poll, methods=["GET"], name="queue_poll"),
    Route(CASE + "/review", views_case.mark_reviewed, methods=["POST"], name="mark_reviewed"),
    Route(CASE + "/note", views_case.add_note, methods=["POST"], name="add_note"),
    Route(
        CASE + "/contacted",
        views_case.patient_contacted,
        methods=["POST"],
        name="patient_contacted",
    ),
    Route(CASE + "/flag-nlu", views_case.flag_nlu, methods=["POST"], name="flag_nlu"),
    Route(
        CASE + "/followup",
        views_followup.change_state,
        methods=["POST"],
        name="followup_state",
    ),
    Route(CASE + "/assign", views_followup.assign_to_me, methods=["POST"], name="followup_assign"),
    Route(CASE + "/flag-triage", views_case.flag_triage, methods=["POST"], name="flag_triage"),
    Route(CASE, views_case.case_page, methods=["GET"], name="case"),
    Route(views_fhir.PREFIX + CASE, views_fhir.download_fhir, methods=["GET"], name="export_fhir"),
    Route("/dashboard", views_dashboard.dashboard_page, methods=["GET"], name="dashboard"),
    Route("/exports", views_admin.exports_page, methods=["GET"], name="exports"),
    Route("/exports/flagged-nlu.yml", views_admin.export_nlu, methods=["GET"], name="export_nlu"),
    Route(
        "/exports/flagged-triage.csv",
        views_admin.export_triage_csv,
        methods=["GET"],
        name="export_triage_csv",
    ),
    Route("/admin/audit", views_admin.audit_page, methods=["GET"], name="audit"),
    Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
]


class IntentNames:
    """Intent suggestions for the "what did the patient mean" box: the bot's domain.yml
    (when there is one) plus intents seen in the conversations, re-read every few minutes."""

    TTL = 300

    def __init__(self, engine: Engine, root: Path = REPO_ROOT) -> None:
        self.engine = engine
        self.root = root
        self._cached: tuple[float, list[str]] = (0.0, [])
        self._lock = threading.Lock()

    def __call__(self) -> list[str]:
        with self._lock:
            at, names = self._cached
            if time.time() - at < self.TTL:
                return names
            found = set(self._domain_intents())
            with contextlib.suppress(Exception):  # no events table yet
                found.update(cases.known_intents(self.engine))
            names = sorted(found)
            self._cached = (time.time(), names)
            return names

    def _domain_intents(self) -> list[str]:
        path = self.root / "domain.yml"
        if not path.exists():
            return []
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            return []
        names = []
        for item in data.get("intents") or []:
            name = next(iter(item), None) if isinstance(item, dict) else item
            if isinstance(name, str):
                names.append(name)
        return names


def _prewarm_dashboard(done: threading.Event) -> None:
    try:
        dashboard.prewarm()
    except Exception:  # noqa: BLE001 - only a head start: the first dashboard draws anyway
        log.warning("dashboard prewarm failed", exc_info=True)
    finally:
        done.set()


def _lifespan(notifier: notify.Notifier | None):
    """While the app is up: the alerts (console/notify.py); at its start, the dashboard's
    charts drawn once in a background thread (console/dashboard.py ``prewarm``)."""
    alerts = notify.lifespan(notifier)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        threading.Thread(
            target=_prewarm_dashboard,
            args=(app.state.dashboard_prewarmed,),
            name="dashboard-prewarm",
            daemon=True,
        ).start()
        async with alerts(app):
            yield

    return lifespan


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = engine or make_engine(settings.db_url)
    tz = ZoneInfo(settings.timezone)
    # alerts by email and webhook run in this process while it serves (console/notify.py)
    notifier = (
        notify.Notifier(
            engine, settings.alerts, tz, settings.gap_timeout, settings.left_after_minutes * 60
        )
        if settings.alerts.channels
        else None
    )
    app = Starlette(
        routes=ROUTES,
        lifespan=_lifespan(notifier),
        middleware=[
            Middleware(ProxyHeaders),
            Middleware(SecurityHeaders),
            Middleware(RefuseNul),
            Middleware(SessionGate),
            Middleware(CSRFCheck),
            Middleware(LongIds),
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.tz = tz
    app.state.templates = make_templates(tz)
    app.state.intents = IntentNames(engine)
    app.state.notifier = notifier
    app.state.dashboard_prewarmed = threading.Event()
    app.state.templates.env.globals.update(
        alert_health=notifier.status if notifier else None, fhir_url=views_fhir.fhir_url
    )
    return app
