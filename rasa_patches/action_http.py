"""Keeps the HTTP connection to the action server open between calls.

Rasa 3.6's ``EndpointConfig.request`` creates a new ``aiohttp.ClientSession`` for every request
and closes it afterwards, so each custom action (three or four per message here: the findings
extraction, the form's validation, the triage or the next question) opens and tears down a new
TCP connection to the action server. Profiling under load showed this connection set-up among
the larger costs of the Rasa server per message (docs/evaluation.md).

This replaces ``EndpointConfig.session`` with one that returns a shared session per endpoint
(URL, headers, auth) and event loop, wrapped so that Rasa's ``async with`` does not close it.
Requests, timeouts, headers and errors are unchanged. The pool's idle connections are dropped
after ``KEEPALIVE_S``, well before the action server (Sanic, keep-alive 5 s) closes its end,
so a request never lands on a connection the server is closing.

Installed by ``rasa_patches.install()`` (see rasa_patches/__init__.py).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Tuple

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

KEEPALIVE_S = 2.0

_original = EndpointConfig.session
_sessions: Dict[Tuple[Any, ...], aiohttp.ClientSession] = {}


class _Borrowed:
    """``async with`` over a shared session: gives it out, never closes it."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _key(endpoint: EndpointConfig, loop: asyncio.AbstractEventLoop) -> Tuple[Any, ...]:
    auth = endpoint.basic_auth or {}
    return (
        id(loop),
        endpoint.url,
        tuple(sorted((endpoint.headers or {}).items())),
        auth.get("username"),
        auth.get("password"),
    )


def shared_session(endpoint: EndpointConfig) -> Any:
    """The endpoint's shared session on the running loop, created on first use."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop yet: Rasa's own, one-off session
        return _original(endpoint)
    key = _key(endpoint, loop)
    session = _sessions.get(key)
    if session is None or session.closed or getattr(session, "_loop", loop) is not loop:
        auth = None
        if endpoint.basic_auth:
            auth = aiohttp.BasicAuth(
                endpoint.basic_auth["username"], endpoint.basic_auth["password"]
            )
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
        )
        _sessions[key] = session
    return _Borrowed(session)


def install() -> None:
    EndpointConfig.session = shared_session


def uninstall() -> None:
    EndpointConfig.session = _original
