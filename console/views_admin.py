"""Exports (any signed-in user, audited) and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from console import audit, exports
from console.web import client_ip, db, error_page, render

AUDIT_PAGE = 100
MAX_AUDIT_PAGE = 1_000_000  # beyond it the offset overflowed the database's integers (a 500)


async def exports_page(request: Request) -> Response:
    return render(request, "exports.html", {})


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _stamp(request: Request) -> str:
    return datetime.now(request.app.state.tz).strftime("%Y%m%d-%H%M")


async def export_nlu(request: Request) -> Response:
    text, count = await db(request, exports.nlu_yaml)
    user = request.state.session.user
    await db(
        request,
        audit.record,
        "export_nlu",
        username=user.username,
        user_id=user.id,
        detail={"examples": count},
        ip=client_ip(request),
    )
    return _download(text, "application/yaml; charset=utf-8", f"flagged-nlu-{_stamp(request)}.yml")


async def export_triage_csv(request: Request) -> Response:
    text, count = await db(request, exports.triage_csv, request.app.state.tz)
    user = request.state.session.user
    await db(
        request,
        audit.record,
        "export_triage_csv",
        username=user.username,
        user_id=user.id,
        detail={"rows": count},
        ip=client_ip(request),
    )
    return _download(text, "text/csv; charset=utf-8", f"flagged-triage-{_stamp(request)}.csv")


async def audit_page(request: Request) -> Response:
    user = request.state.session.user
    if not user.is_admin:
        await db(
            request,
            audit.record,
            "access_denied",
            username=user.username,
            user_id=user.id,
            detail={"page": "audit"},
            ip=client_ip(request),
        )
        return error_page(request, 403, "The audit log is for admins.")
    params = request.query_params
    sender_id = params.get("sender_id", "").strip()[:255]
    username = params.get("username", "").strip()[:255]
    action = params.get("action", "").strip()
    if action and action not in audit.ACTIONS:
        return error_page(request, 400, "Unknown action.")
    try:
        page = min(max(1, int(params.get("page", "1") or 1)), MAX_AUDIT_PAGE)
    except ValueError:
        return error_page(request, 400, "page must be a number.")
    rows, total = await db(
        request,
        audit.entries,
        sender_id=sender_id,
        username=username,
        action=action,
        limit=AUDIT_PAGE,
        offset=(page - 1) * AUDIT_PAGE,
    )
    await db(
        request,
        audit.record,
        "view_audit",
        username=user.username,
        user_id=user.id,
        sender_id=sender_id or None,
        ip=client_ip(request),
    )
    args = {
        k: v
        for k, v in {"sender_id": sender_id, "username": username, "action": action}.items()
        if v
    }
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // AUDIT_PAGE)),
            "actions": audit.ACTIONS,
            "args": args,
        },
    )
