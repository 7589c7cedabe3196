"""Login, logout and the health check: the only views reachable without a session."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from console import audit, auth, sessions, throttle
from console.web import client_ip, db, is_secure, redirect, render

LOGIN_CSRF_MAX_AGE = 3600


def safe_next(target: str | None) -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative ``//`` trick."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\r\n\\"):
        return "/"
    return target


def _set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int | None,
    path: str = "/",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )


def _login_form(
    request: Request, error: str = "", status_code: int = 200, username: str = ""
) -> Response:
    nonce = sessions.new_login_nonce()
    token = sessions.login_form_token(nonce, request.app.state.settings.secret_key)
    response = render(
        request,
        "login.html",
        {
            "login_token": token,
            "error": error,
            "username": username,
            "next": safe_next(request.query_params.get("next") or request.state.login_next),
        },
        status_code,
    )
    _set_cookie(response, request, sessions.LOGIN_CSRF_COOKIE, nonce, LOGIN_CSRF_MAX_AGE)
    return response


async def login_page(request: Request) -> Response:
    if request.state.session is not None:
        return redirect("/")
    request.state.login_next = None
    return _login_form(request)


async def login_submit(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", ""))[:255]
    password = str(form.get("password", ""))
    request.state.login_next = safe_next(str(form.get("next", "")))
    ip = client_ip(request)
    settings = request.app.state.settings
    result = await db(request, auth.authenticate, username, password, ip, settings)
    logged_name = auth.audit_name(username, result.known, settings.secret_key)
    if result.wait:
        await db(request, audit.record, "login_locked", username=logged_name, ip=ip)
        seconds = int(-(-result.wait // 1))
        when = f"{seconds} seconds" if seconds < 120 else f"{-(-seconds // 60)} minutes"
        response = _login_form(
            request,
            f"Too many failed attempts from here. Wait {when} and try again, "
            "or ask an admin to clear the delay.",
            429,
            username,
        )
        response.headers["retry-after"] = str(seconds)
        return response
    if result.user is None:
        await db(request, audit.record, "login_failed", username=logged_name, ip=ip)
        return _login_form(request, "Wrong username or password.", 401, username)
    old_cookie = request.cookies.get(sessions.SESSION_COOKIE)
    await db(request, sessions.delete, old_cookie, settings.secret_key)
    await db(request, sessions.prune, settings)  # housekeeping: dead sessions, old counters
    await db(request, throttle.prune, settings)
    cookie = await db(request, sessions.create, result.user, settings.secret_key)
    await db(
        request, audit.record, "login", username=result.user.username, user_id=result.user.id, ip=ip
    )
    response = redirect(request.state.login_next)
    # a browser-session cookie (gone when the browser closes, as on a shared ward PC); the
    # server ends it anyway after the idle and absolute time-outs
    _set_cookie(response, request, sessions.SESSION_COOKIE, cookie, None)
    response.delete_cookie(
        sessions.LOGIN_CSRF_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )
    return response


async def logout(request: Request) -> Response:
    session = request.state.session
    settings = request.app.state.settings
    await db(
        request, sessions.delete, request.cookies.get(sessions.SESSION_COOKIE), settings.secret_key
    )
    await db(
        request,
        audit.record,
        "logout",
        username=session.user.username,
        user_id=session.user.id,
        ip=client_ip(request),
    )
    response = redirect("/login")
    # the browser drops this site's cookies, storage and cached pages too (on HTTPS; a shared
    # ward PC keeps nothing of the session; ASVS 8.2.3)
    response.headers["clear-site-data"] = '"cache", "cookies", "storage"'
    response.delete_cookie(
        sessions.SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )
    return response


async def healthz(request: Request) -> Response:
    """For run scripts and monitoring: says nothing but that the process answers."""
    return PlainTextResponse("ok")
