"""The security headers of every HTML response, as one ASGI middleware for the nurse console
(console/app.py) and the demo clinic page (web/server.py).

Each app gives its own Content-Security-Policy; everything else is the same for both: no
framing, no sniffing, no camera, microphone or location, a separate browsing context group.
The console adds what only it needs through ``extra`` (HSTS when the request came over https,
``Cache-Control: no-store`` on pages with health data) and drops headers it must not leak.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Header = tuple[bytes, bytes]

COMMON: Sequence[Header] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(
        self,
        app: ASGIApp,
        csp: str,
        referrer_policy: str = "same-origin",
        extra: Callable[[Scope], Iterable[Header]] | None = None,
        drop: Iterable[bytes] = (),
    ) -> None:
        self.app = app
        self.fixed = [
            (b"content-security-policy", csp.encode()),
            (b"referrer-policy", referrer_policy.encode()),
            *COMMON,
        ]
        self.extra = extra
        self.drop = frozenset(name.lower() for name in drop)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [*self.fixed, *(self.extra(scope) if self.extra else ())]
        replaced = self.drop | {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
                message["headers"] = kept + added
            await send(message)

        await self.app(scope, receive, send_with_headers)
