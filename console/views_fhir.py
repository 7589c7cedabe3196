"""The case's FHIR handover download (console/fhir.py builds it).

Nurses and admins only; every download goes in the audit log (ids only). The bundle is health
data: it is never logged, and the response is ``no-store`` like every console page.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from console import audit, cases, fhir
from console.web import case_url, client_ip, db, error_page, long_id_by_digest

ALLOWED_ROLES = ("nurse", "admin")
#: The download lives beside the case URLs, not under them: ``/conversation/<id>/fhir`` would
#: be the case page of a stored id ending in "/fhir" as well (ids may hold '/', issue 14).
PREFIX = "/fhir"


def fhir_url(sender_id: str) -> str:
    """``/fhir/conversation/<id>``, or ``/fhir/conversation-sha256/<digest>`` for a long id."""
    return PREFIX + case_url(sender_id)


async def download_fhir(request: Request) -> Response:
    return await _download(request, request.path_params["sender_id"])


async def download_fhir_long(request: Request) -> Response:
    """A conversation id too long for a URL, by its SHA-256 (console/web.py, ``LongIds``)."""
    sender_id = await db(request, long_id_by_digest, request.path_params["digest"])
    if sender_id is None:
        return error_page(request, 404, "There is no conversation with this id.")
    return await _download(request, sender_id)


async def _download(request: Request, sender_id: str) -> Response:
    user = request.state.session.user
    if user.role not in ALLOWED_ROLES:
        return error_page(request, 403, "The FHIR handover is for nurses and admins.")
    case = await db(request, cases.load_case, sender_id)
    if case is None:
        return error_page(request, 404, "There is no conversation with this id.")
    now = time.time()
    body = fhir.bundle(case, now)
    await db(
        request,
        audit.record,
        "export_fhir",
        username=user.username,
        user_id=user.id,
        sender_id=sender_id,
        detail={
            "level": fhir.triage_level(case),
            "priority": fhir.task_priority(fhir.triage_level(case)),
        },
        ip=client_ip(request),
    )
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    return Response(
        fhir.dumps(body),
        media_type=fhir.MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="triage-case-{stamp}.fhir.json"'},
    )
