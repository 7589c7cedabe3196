"""The middlewares every request passes: proxy headers, headers, session gate, CSRF.

Why middleware and not a decorator per view: they deny by default. A route added later is
behind the login and the CSRF check without anyone remembering to protect it; only the
paths listed in ``PUBLIC_PATHS``/``PUBLIC_PREFIXES`` are reachable without a session (the
tests assert that list, and try every route of the app without a session).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qs, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.headers import SecurityHeaders as CommonSecurityHeaders
from console import sessions

PUBLIC_PATHS = frozenset({"/login", "/healthz"})
PUBLIC_PREFIXES = ("/static/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 64 * 1024

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


#: Requests that do not count as activity for the idle time-out: the queue's automatic poll
#: (else an open queue tab would keep a session alive for ever).
PASSIVE_PATHS = frozenset({"/queue/poll"})
FORWARDED_HEADERS = (b"x-forwarded-for", b"x-forwarded-proto", b"forwarded")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(value: str, networks) -> bool:
    address = _ip(value)
    return address is not None and any(address in network for network in networks)


class ProxyHeaders:
    """The client address and scheme, believing ``X-Forwarded-For``/``-Proto`` only from the
    proxies in ``CONSOLE_TRUSTED_PROXIES`` (none by default).

    The client is the right-most ``X-Forwarded-For`` address that is not itself a trusted
    proxy (entries further left are whatever the client chose to send). Also decides whether
    the response is for HTTPS (``scope["state"]["secure"]``: Secure cookies and HSTS), failing
    closed: HTTPS if the scheme says so; and also when unsure, that is when a trusted proxy
    sends no recognisable ``X-Forwarded-Proto``, or forwarding headers arrive from a peer that
    is not trusted (a proxy someone forgot to configure). ``CONSOLE_COOKIE_SECURE=1``/``0``
    overrides the decision. Replaces uvicorn's own proxy handling, which trusts loopback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        headers = Headers(scope=scope)
        peer = scope["client"][0] if scope.get("client") else ""
        scheme = scope.get("scheme", "http")
        unsure = False
        if peer and _trusted(peer, settings.trusted_proxies):
            hops = [h.strip() for h in ",".join(headers.getlist("x-forwarded-for")).split(",")]
            client = peer
            for hop in reversed([h for h in hops if h]):
                client = hop
                if not _trusted(hop, settings.trusted_proxies):
                    break
            if _ip(client) is not None:
                scope["client"] = (str(_ip(client)), 0)
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scheme = proto
            else:
                unsure = True
            scope["scheme"] = scheme
        elif any(k in FORWARDED_HEADERS for k, _ in scope["headers"]):
            unsure = True
        secure = scheme == "https" or unsure
        if settings.cookie_secure is not None:
            secure = settings.cookie_secure
        scope.setdefault("state", {})["secure"] = secure
        await self.app(scope, receive, send)


class RefuseNul:
    """A NUL character in the path or the query is refused (400): PostgreSQL cannot store or
    compare text with one, so it ended as a 500 (CSRFCheck does the same for form bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            await PlainTextResponse("NUL characters are not accepted.", 400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def console_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The console's headers beyond the common ones (common/headers.py): no caching of pages
    with health data, and HSTS when the request came over https (decided by ProxyHeaders)."""
    static = scope["path"].startswith(PUBLIC_PREFIXES)
    headers = [(b"cache-control", b"no-cache" if static else b"no-store")]
    if scope.get("state", {}).get("secure", True):
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def SecurityHeaders(app: ASGIApp) -> ASGIApp:  # noqa: N802 - used as a Starlette middleware class
    """CSP, no framing, no referrer to other sites, no sniffing, and no caching of pages with
    health data."""
    return CommonSecurityHeaders(
        app, CSP, referrer_policy="same-origin", extra=console_headers, drop=(b"server",)
    )


class SessionGate:
    """Loads the session; refuses every non-public path without one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        request = Request(scope)
        session = await run_in_threadpool(
            sessions.load,
            state.engine,
            request.cookies.get(sessions.SESSION_COOKIE),
            state.settings,
            scope["path"] not in PASSIVE_PATHS,
        )
        scope.setdefault("state", {})["session"] = session
        if session is not None or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        await self._refuse(request)(scope, receive, send)

    @staticmethod
    def _refuse(request: Request):
        accept = request.headers.get("accept", "")
        if request.method in ("GET", "HEAD") and "text/html" in accept:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        return PlainTextResponse("Log in first.", status_code=401)


class CSRFCheck:
    """Every state-changing request must be a form carrying the right token.

    The session's token for a logged-in user; for the login form (no session yet) the HMAC of
    the ``console_login_csrf`` cookie. A cross-site ``Origin`` is refused as well. The body is
    read here and handed on unchanged to the view.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _same_origin(headers):
            await PlainTextResponse("Cross-site request refused.", 403)(scope, receive, send)
            return
        if (
            headers.get("content-type", "").split(";")[0].strip()
            != "application/x-www-form-urlencoded"
        ):
            await PlainTextResponse("Forms only.", 415)(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                await PlainTextResponse("Form too large.", 413)(scope, receive, send)
                return
        if b"%00" in body or b"\x00" in body:
            await PlainTextResponse("NUL characters are not accepted.", 400)(scope, receive, send)
            return
        submitted = parse_qs(body.decode("utf-8", "replace")).get("csrf_token", [""])[0]
        if not self._token_ok(scope, submitted):
            await PlainTextResponse(
                "This form has expired or did not come from this site. Go back, reload the page "
                "and try again.",
                403,
            )(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _token_ok(scope: Scope, submitted: str) -> bool:
        settings = scope["app"].state.settings
        if scope["path"] == "/login":
            nonce = Request(scope).cookies.get(sessions.LOGIN_CSRF_COOKIE)
            return sessions.check_login_token(nonce, submitted, settings.secret_key)
        session = scope.get("state", {}).get("session")
        return session is not None and sessions.check_session_token(session, submitted)


def _same_origin(headers: Headers) -> bool:
    """No Origin (old browsers, curl) is allowed; the token still has to match."""
    origin = headers.get("origin")
    if not origin:
        return True
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()
