"""The service dashboard page (console/dashboard.py does the counting and drawing)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from console import audit, dashboard, followup, sync
from console.web import client_ip, db, error_page, render

log = logging.getLogger(__name__)
ALLOWED_ROLES = ("nurse", "admin")


def _cache(request: Request) -> dashboard.Cache:
    state = request.app.state
    if getattr(state, "dashboard_cache", None) is None:
        state.dashboard_cache = dashboard.Cache()
    return state.dashboard_cache


def _fresh(engine, settings) -> None:
    sync.sync(engine, settings.gap_timeout)
    followup.refresh_due(engine, settings.follow_up, settings.timezone)


async def dashboard_page(request: Request) -> Response:
    user = request.state.session.user
    if user.role not in ALLOWED_ROLES:
        return error_page(request, 403, "The dashboard is for nurses and admins.")
    state = request.app.state
    try:
        rng = dashboard.parse_range(request.query_params, state.tz)
    except dashboard.RangeError as error:
        return error_page(request, 400, f"Invalid range: {error}.")
    fresh = True
    try:
        await db(request, _fresh, state.settings)
    except Exception:  # noqa: BLE001 - show what we have, with a warning
        log.exception("dashboard refresh failed")
        fresh = False
    cache = _cache(request)
    board = await db(request, cache.get, rng, state.tz, state.settings.left_after_minutes * 60)
    await db(
        request,
        audit.record,
        "view_dashboard",
        username=user.username,
        user_id=user.id,
        ip=client_ip(request),
        detail={"from": rng.start.isoformat(), "to": rng.end.isoformat()},
    )
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "fresh": fresh,
            "levels": dashboard.LEVEL_KEYS,
            "due_rule": state.settings.follow_up.describe,
            "cache_seconds": cache.ttl,
        },
    )
