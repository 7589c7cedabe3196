"""The follow-up actions posted from the case view (console/followup.py does the work).

POST-redirect-GET back to the case with ``done=<code>``, like console/views_case.py; the CSRF
middleware has checked the token before these run.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console import followup
from console.web import case_url, client_ip, db, error_page, redirect


async def _act(request: Request, done: str, action) -> Response:
    sender_id = request.path_params["sender_id"]
    form = await request.form()
    user = request.state.session.user
    try:
        await db(request, lambda engine: action(engine, sender_id, user, form, client_ip(request)))
    except followup.FollowUpError as error:
        return error_page(request, 400, f"Could not save: {error}.")
    return redirect(case_url(sender_id) + f"?done={done}")


async def change_state(request: Request) -> Response:
    return await _act(
        request,
        "followup",
        lambda engine, sid, user, form, ip: followup.change_state(
            engine, sid, user, str(form.get("state", "")), ip
        ),
    )


async def assign_to_me(request: Request) -> Response:
    return await _act(
        request,
        "assigned",
        lambda engine, sid, user, form, ip: followup.assign_to_me(engine, sid, user, ip),
    )
