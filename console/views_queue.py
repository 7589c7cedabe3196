"""The queue page and its live-update endpoint (polled by static/console.js)."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console import audit, followup, queue, sync
from console.events import level_label
from console.web import MAX_DB_INT, case_url, client_ip, db, error_page, render, short_id

log = logging.getLogger(__name__)


async def _refresh(request: Request) -> bool:
    """Pull new events into the queue; a failure shows a warning rather than no queue."""
    settings = request.app.state.settings
    try:
        await db(request, sync.sync, settings.gap_timeout)
        await db(request, followup.refresh_due, settings.follow_up, settings.timezone)
        return True
    except Exception:  # noqa: BLE001 - the page must still show what we have
        log.exception("queue refresh failed")
        return False


async def _page(request: Request):
    try:
        filters = queue.parse_filters(request.query_params)
    except queue.FilterError as error:
        return None, None, error_page(request, 400, f"Invalid filter: {error}.")
    state = request.app.state
    page = await db(
        request,
        queue.queue,
        filters,
        state.tz,
        state.settings.page_size,
        state.settings.left_after_minutes * 60,
        request.state.session.user.id,
    )
    return filters, page, None


async def queue_page(request: Request) -> Response:
    fresh = await _refresh(request)
    filters, page, error = await _page(request)
    if error:
        return error
    user = request.state.session.user
    await db(
        request,
        audit.record,
        "view_queue",
        username=user.username,
        user_id=user.id,
        ip=client_ip(request),
        detail=_audit_filters(filters, page.page),
    )
    return render(
        request,
        "queue.html",
        {
            "filters": filters,
            "page": page,
            "fresh": fresh,
            "levels": queue.LEVEL_CHOICES,
            "statuses": queue.STATUSES,
            "query_args": filters.query_args(),
            "poll_seconds": request.app.state.settings.poll_seconds,
            "initial_cursor": page.cursor,
        },
    )


async def queue_poll(request: Request) -> Response:
    """JSON for the live update: the rows (server-rendered, escaped) and what is newly urgent."""
    fresh = await _refresh(request)
    filters, page, error = await _page(request)
    if error:
        return JSONResponse({"error": "invalid filter"}, status_code=400)
    since = _int_param(request, "since")
    initial = _int_param(request, "initial")
    alerts = await db(request, queue.new_alerts, since) if since is not None else []
    templates = request.app.state.templates
    html = templates.get_template("_queue_rows.html").render(
        page=page, initial_cursor=page.cursor if initial is None else initial
    )
    return JSONResponse(
        {
            "cursor": page.cursor,
            "total": page.total,
            "html": html,
            "fresh": fresh,
            "alerts": [
                {
                    "id": short_id(sid, 64),
                    "level": level,
                    "label": level_label(level),
                    "url": case_url(sid),
                }
                for sid, level in alerts
            ],
            "updated_at": datetime.fromtimestamp(time.time(), request.app.state.tz).strftime(
                "%H:%M:%S"
            ),
        }
    )


def _int_param(request: Request, name: str) -> int | None:
    """A cursor from the page's script: an integer within the database's range, else None."""
    try:
        value = int(request.query_params.get(name, ""))
    except ValueError:
        return None
    return value if 0 <= value <= MAX_DB_INT else None


def _audit_filters(filters: queue.Filters, page: int) -> dict:
    """The filters for the audit log, minus the search words (they may be patient text)."""
    args = {k: v for k, v in filters.query_args().items() if k != "q"}
    return {"filters": args, "searched": bool(filters.q), "page": page}
