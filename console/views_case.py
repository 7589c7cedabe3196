"""The case view and the review actions posted from it.

After an action the browser is redirected back (POST-redirect-GET) with ``done=<code>``;
the page shows a fixed message for that code, so nothing from the request is reflected.
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console import audit, cases, followup
from console.events import LEVELS, TRIAGE_QUESTIONS
from console.web import MAX_DB_INT, case_url, client_ip, db, error_page, redirect, render

DONE_MESSAGES = {
    "reviewed": "Marked as reviewed.",
    "note": "Note added.",
    "contact": "Recorded that the patient was contacted.",
    "flag_nlu": "Message flagged for the NLU training data.",
    "flag_triage": "Triage flagged as wrong.",
    "followup": "Follow-up state changed.",
    "assigned": "Follow-up assigned to you.",
}


async def case_page(request: Request) -> Response:
    sender_id = request.path_params["sender_id"]
    case = await db(request, cases.load_case, sender_id)
    if case is None:
        return error_page(request, 404, "There is no conversation with this id.")
    user = request.state.session.user
    await db(
        request,
        audit.record,
        "view_case",
        username=user.username,
        user_id=user.id,
        sender_id=sender_id,
        ip=client_ip(request),
    )
    done = request.query_params.get("done", "")
    settings = request.app.state.settings
    return render(
        request,
        "case.html",
        {
            "case": case,
            "levels": LEVELS,
            "done": DONE_MESSAGES.get(done, ""),
            "intents": await run_in_threadpool(request.app.state.intents),
            "left": case.left_before_end(time.time(), settings.left_after_minutes * 60),
            "TRIAGE_QUESTIONS": TRIAGE_QUESTIONS,
            "followup": await db(
                request, followup.load_fresh, sender_id, settings.follow_up, settings.timezone
            ),
            "followup_states": followup.STATES,
            "due_rule": request.app.state.settings.follow_up.describe,
            "now": time.time(),
        },
    )


def _form_int(form, name: str, what: str) -> int:
    """A positive id from a form, within the database's integer range (a larger one gave a 500)."""
    try:
        value = int(str(form.get(name, "")))
    except ValueError:
        raise cases.ActionError(f"missing {what}") from None
    if not 0 < value <= MAX_DB_INT:
        raise cases.ActionError(f"no such {what}")
    return value


def _event_id(form) -> int:
    return _form_int(form, "event_id", "message id")


async def _act(request: Request, done: str, action) -> Response:
    sender_id = request.path_params["sender_id"]
    form = await request.form()
    try:
        await db(
            request,
            lambda engine: action(
                engine, sender_id, request.state.session.user, form, client_ip(request)
            ),
        )
    except cases.ActionError as error:
        return error_page(request, 400, f"Could not save: {error}.")
    return redirect(case_url(sender_id) + f"?done={done}")


async def mark_reviewed(request: Request) -> Response:
    def action(engine, sender_id, user, form, ip):
        through = _form_int(form, "through_event_id", "review position")
        cases.mark_reviewed(engine, sender_id, user, through, ip)

    return await _act(request, "reviewed", action)


async def add_note(request: Request) -> Response:
    return await _act(
        request,
        "note",
        lambda engine, sid, user, form, ip: cases.add_note(
            engine, sid, user, str(form.get("body", "")), "note", ip
        ),
    )


async def patient_contacted(request: Request) -> Response:
    return await _act(
        request,
        "contact",
        lambda engine, sid, user, form, ip: cases.add_note(
            engine, sid, user, str(form.get("body", "")), "contact", ip
        ),
    )


async def flag_nlu(request: Request) -> Response:
    return await _act(
        request,
        "flag_nlu",
        lambda engine, sid, user, form, ip: cases.flag_nlu(
            engine,
            sid,
            user,
            _event_id(form),
            str(form.get("correct_intent", "")),
            str(form.get("comment", "")),
            ip,
        ),
    )


async def flag_triage(request: Request) -> Response:
    return await _act(
        request,
        "flag_triage",
        lambda engine, sid, user, form, ip: cases.flag_triage(
            engine,
            sid,
            user,
            _event_id(form),
            str(form.get("correct_level", "")),
            str(form.get("comment", "")),
            ip,
        ),
    )
