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

It also replaces ``EndpointConfig.request`` with one that sends a request **once more**, after
``RETRY_PAUSE_S``, when it failed in a way that says the action server never answered it: the
connection was refused, reset or closed before the response (an action server restarting or
killed, or a kept-open connection its server had just closed), or a proxy answered 502, 503 or
504 (HAProxy with no live action server for a moment: ``make cluster``). Without it one such
moment fails the patient's message (the channel answers with the safety net). Sending an action
call twice is safe: the project's actions compute events from the conversation they are sent
and change nothing else (actions/). A timeout is not retried (the patient has waited already),
nor is any other answer of the action server (a 400 rejection, a 500 error).

Installed by ``rasa_patches.install()`` (see rasa_patches/__init__.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Tuple

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, ClientResponseError, EndpointConfig

logger = logging.getLogger(__name__)

KEEPALIVE_S = 2.0
RETRY_PAUSE_S = 0.25
#: A proxy's answers meaning no server behind it could take the request.
PROXY_UNAVAILABLE = frozenset({502, 503, 504})

_original = EndpointConfig.session
_original_request = EndpointConfig.request
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


def _not_answered(error: Exception) -> bool:
    if isinstance(error, ClientResponseError):
        return error.status in PROXY_UNAVAILABLE
    return isinstance(error, aiohttp.ClientConnectionError) and not isinstance(
        error, aiohttp.ServerTimeoutError
    )


async def request_with_one_retry(endpoint: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    """Rasa's request, sent once more when the server never answered it (module docstring)."""
    try:
        return await _original_request(endpoint, *args, **kwargs)
    except Exception as error:
        if not _not_answered(error):
            raise
        logger.warning(
            "The action server did not answer (%s); sending the request once more.",
            type(error).__name__,
        )
    await asyncio.sleep(RETRY_PAUSE_S)
    return await _original_request(endpoint, *args, **kwargs)


def install() -> None:
    EndpointConfig.session = shared_session
    EndpointConfig.request = request_with_one_retry


def uninstall() -> None:
    EndpointConfig.session = _original
    EndpointConfig.request = _original_request
