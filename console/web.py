"""Templates and the small helpers the views share.

Jinja2 autoescaping is switched on for every template (not only ``*.html``), and nothing is
ever marked ``|safe``: patient text, note text and conversation ids are all escaped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from console.events import LEVEL_LABELS, level_label
from console.queue import STATUS_LABELS

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def case_url(sender_id: str, suffix: str = "") -> str:
    """URL of a conversation; the id is percent-encoded whole (it may contain '/' or '?')."""
    return "/conversation/" + quote(sender_id, safe="") + suffix


def code_label(code: str | None) -> str:
    return (code or "").replace("_", " ")


def make_templates(tz: ZoneInfo) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def fmt_time(ts: float | None, with_seconds: bool = False) -> str:
        if ts is None:
            return ""
        moment = datetime.fromtimestamp(ts, tz)
        return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if with_seconds else "%Y-%m-%d %H:%M %Z")

    def iso_time(ts: float | None) -> str:
        return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") if ts else ""

    def weeks(value: float | None) -> str:
        if value is None:
            return "not known"
        whole = int(value)
        days = round((value - whole) * 7)
        return f"{whole} weeks" + (f" + {days} days" if days else "")

    env.filters.update(
        fmt_time=fmt_time, iso_time=iso_time, weeks=weeks, code=code_label, level_label=level_label
    )
    env.globals.update(
        case_url=case_url,
        LEVEL_LABELS=LEVEL_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        urlencode=urlencode,
    )
    return Jinja2Templates(env=env, context_processors=[_common_context])


def _common_context(request: Request) -> dict:
    session = getattr(request.state, "session", None)
    settings = request.app.state.settings
    return {
        "session": session,
        "user": session.user if session else None,
        "csrf_token": session.csrf_token if session else "",
        "tz_name": settings.timezone,
    }


def render(
    request: Request, name: str, context: dict | None = None, status_code: int = 200
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, name, context or {}, status_code=status_code
    )


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status_code, "message": message}, status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def client_ip(request: Request) -> str:
    """The client's address (from X-Forwarded-For only behind a trusted proxy: see
    console/security.py, ``ProxyHeaders``)."""
    return request.client.host if request.client else "unknown"


def is_secure(request: Request) -> bool:
    """Whether cookies get ``Secure`` (decided once per request by ``ProxyHeaders``)."""
    return bool(getattr(request.state, "secure", True))


async def db(request: Request, fn, *args, **kwargs):
    """Run a blocking database function off the event loop."""
    return await run_in_threadpool(fn, request.app.state.engine, *args, **kwargs)
