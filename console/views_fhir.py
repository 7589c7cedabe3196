"""The case's FHIR handover download (console/fhir.py builds it).

Nurses and admins only; every download goes in the audit log (ids only). The bundle is health
data: it is never logged, and the response is ``no-store`` like every console page.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from console import audit, cases, fhir, followup
from console.web import (
    CASE_PREFIX,
    MAX_ID_IN_URL,
    case_url,
    client_ip,
    db,
    error_page,
    id_digest,
    long_id_by_digest,
)

ALLOWED_ROLES = ("nurse", "admin")
#: The download lives beside the case URLs, not under them: ``/conversation/<id>/fhir`` would
#: be the case page of a stored id ending in "/fhir" as well (ids may hold '/', issue 14).
PREFIX = "/fhir"


def fhir_url(sender_id: str) -> str:
    """``/fhir/conversation/<id>`` (percent-encoded whole), or, for an id too long for a URL,
    ``/fhir/conversation/?sha256=<digest>`` (an empty id: no conversation has one)."""
    if len(sender_id) > MAX_ID_IN_URL:
        return f"{PREFIX}{CASE_PREFIX}?{urlencode({'sha256': id_digest(sender_id)})}"
    return PREFIX + case_url(sender_id)


async def download_fhir(request: Request) -> Response:
    user = request.state.session.user
    if user.role not in ALLOWED_ROLES:
        return error_page(request, 403, "The FHIR handover is for nurses and admins.")
    sender_id: str | None = request.path_params["sender_id"]
    if not sender_id:  # a long id, by its SHA-256 (as console/web.py's LongIds does)
        digest = request.query_params.get("sha256", "")
        sender_id = await db(request, long_id_by_digest, digest)
        if sender_id is None:
            return error_page(request, 404, "There is no conversation with this id.")
    case = await db(request, cases.load_case, sender_id)
    if case is None:
        return error_page(request, 404, "There is no conversation with this id.")
    now = time.time()
    settings = request.app.state.settings
    follow = await db(
        request, followup.load_fresh, sender_id, settings.follow_up, settings.timezone
    )
    body = fhir.bundle(case, now, follow)
    level = fhir.triage_level(case)
    await db(
        request,
        audit.record,
        "export_fhir",
        username=user.username,
        user_id=user.id,
        sender_id=sender_id,
        detail={"level": level, "priority": fhir.task_priority(level)},
        ip=client_ip(request),
    )
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    return Response(
        fhir.dumps(body),
        media_type=fhir.MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="triage-case-{stamp}.fhir.json"'},
    )
