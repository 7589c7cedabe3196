"""Templates and the small helpers the views share.

Jinja2 autoescaping is switched on for every template (not only ``*.html``), and nothing is
ever marked ``|safe``: patient text, note text and conversation ids are all escaped.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from console.events import LEVEL_LABELS, level_label
from console.followup import STATE_LABELS as FOLLOWUP_LABELS
from console.queue import STATUS_LABELS
from console.tables import conversations

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


#: The largest value of an INTEGER column on PostgreSQL (ids, cursors): a number from a
#: request beyond it is refused before it reaches the database (it gave a 500).
MAX_DB_INT = 2**31 - 1

#: Ids longer than this are linked by their SHA-256 instead (see ``LongIds``). Ids the channel
#: issues are at most 64 characters; longer ones were stored before it checked (issue 14).
MAX_ID_IN_URL = 200
CASE_PREFIX = "/conversation/"
DIGEST_PREFIX = "/conversation-sha256/"


class AnyText(Convertor[str]):
    """A path parameter that matches any text, newlines included (Starlette's ``path``
    stops at a newline, so a stored id with one gave a 404 on its case page)."""

    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return quote(value, safe="")


register_url_convertor("anytext", AnyText())


def id_digest(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()


def case_url(sender_id: str, suffix: str = "") -> str:
    """URL of a conversation, for any id ever stored: percent-encoded whole (it may contain
    '/', '?', '%', a newline), or, when too long for a URL, by its SHA-256."""
    if len(sender_id) > MAX_ID_IN_URL:
        return DIGEST_PREFIX + id_digest(sender_id) + suffix
    return CASE_PREFIX + quote(sender_id, safe="") + suffix


def short_id(sender_id: str, length: int = 40) -> str:
    """An id for display: control characters made visible, cut to ``length`` (the queue must
    not send a 100,000-character id on every poll). Escaped by Jinja2 like any text."""
    shown = "".join(
        "\u2424" if c == "\n" else "\ufffd" if unicodedata.category(c) in ("Cc", "Cs") else c
        for c in sender_id[: length + 1]
    )
    return shown if len(sender_id) <= length else shown[: length - 1] + "…"


class LongIds:
    """``/conversation-sha256/<digest>[/action]`` -> ``/conversation/<id>[/action]``: the id is
    looked up among the stored ids too long for a URL, and the request is routed as if the
    id had been in the path. Placed after the session gate: only signed-in users look up."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(DIGEST_PREFIX):
            digest, _, rest = path[len(DIGEST_PREFIX) :].partition("/")
            sender_id = await run_in_threadpool(
                long_id_by_digest, scope["app"].state.engine, digest
            )
            if sender_id is not None:
                scope = {**scope, "path": CASE_PREFIX + sender_id + (f"/{rest}" if rest else "")}
        await self.app(scope, receive, send)


def long_id_by_digest(engine, digest: str) -> str | None:
    if len(digest) != 64:
        return None
    with engine.connect() as conn:
        for (sender_id,) in conn.execute(
            sa.select(conversations.c.sender_id).where(
                sa.func.length(conversations.c.sender_id) > MAX_ID_IN_URL
            )
        ):
            if hmac.compare_digest(id_digest(sender_id), digest):
                return sender_id
    return None


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
        fmt_time=fmt_time,
        iso_time=iso_time,
        weeks=weeks,
        code=code_label,
        level_label=level_label,
        short_id=short_id,
    )
    env.globals.update(
        case_url=case_url,
        LEVEL_LABELS=LEVEL_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        FOLLOWUP_LABELS=FOLLOWUP_LABELS,
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
