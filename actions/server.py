"""The action server: rasa_sdk's own Sanic app, with a shared secret and quiet errors.

``python -m actions.server --port 5055`` replaces ``rasa run actions --actions actions``. It
builds the app with rasa_sdk's ``create_app`` (targets rasa_sdk 3.6: the same ``/health``,
``/actions`` and ``/webhook`` routes, the same executor, plugins, ``SANIC_HOST`` and worker
settings as ``rasa_sdk.endpoint.run``) and adds only what rasa_sdk 3.6 lacks:

- **A shared secret.** When ``ACTION_SERVER_TOKEN`` is set (``scripts/run.sh`` generates one
  per start; a multi-host deployment sets its own), every request but ``/health`` (the load
  balancer's check) must carry it in the ``X-Action-Server-Token`` header, compared in constant
  time; anything else gets 401 and the request is never read. The Rasa server sends the header
  from ``endpoints.yml`` (``action_endpoint.headers``). Unset or empty: no check, as before
  (the server then listens on loopback only, ``SANIC_HOST``).
- **Client errors are client errors.** rasa_sdk registers one handler for every exception,
  which answers 500 and logs a traceback even for an unknown path or a wrong method. Sanic's
  own errors (404, 405, 400 for a body that is not JSON) keep their status and log nothing.
- **No patient data in error bodies.** rasa_sdk's 500 body echoes the whole request (the
  tracker, with the patient's messages) back to the Rasa server, which can log it; ours says
  only that the action failed. The traceback is still logged, as rasa_sdk does.
- **Log lines bound to the conversation.** Each action call binds its ``sender_id`` for the
  request (common/log_context.py): the project's log lines while it runs end with
  ``conversation=<digest>``, never the message text.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
from typing import Any, List

from common.log_context import bind_conversation, get_logger
from common.quiet import quiet_third_party_warnings

# Before rasa_sdk's imports, which warn on import (sanic_cors's LooseVersion): common/quiet.py.
# In the server's own process only (`python -m actions.server`), not in a test importing this.
if __name__ == "__main__":
    quiet_third_party_warnings()

from rasa_sdk import utils  # noqa: E402
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME  # noqa: E402
from rasa_sdk.endpoint import create_app as create_sdk_app  # noqa: E402
from rasa_sdk.endpoint import create_argument_parser, create_ssl_context  # noqa: E402
from rasa_sdk.plugin import plugin_manager  # noqa: E402
from sanic import Sanic, response  # noqa: E402
from sanic.exceptions import SanicException  # noqa: E402
from sanic.request import Request  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402

logger = get_logger("actions.server")  # not "__main__" under python -m

TOKEN_ENV = "ACTION_SERVER_TOKEN"
TOKEN_HEADER = "X-Action-Server-Token"
#: Open without the secret: the health check a load balancer probes.
OPEN_PATHS = frozenset({"/health"})
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def require_token(app: Sanic, token: str) -> None:
    """Refuses (401) every request but ``OPEN_PATHS`` that lacks ``token`` in the header."""
    expected = token.encode()

    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if hmac.compare_digest(given, expected):
            return None
        logger.warning("Refused a request to %s without the action server token.", request.path)
        return response.json({"error": "unauthorized"}, status=401)

    app.register_middleware(check_token, "request")


def bind_conversations(app: Sanic) -> None:
    """Each request's log lines are about the conversation of its action call (``sender_id``
    in rasa_sdk's /webhook body), or about none. Sanic runs the request middleware and the
    handler in one task, and a kept-open connection reuses that task for its next request:
    every request binds, so none inherits its predecessor's conversation."""

    async def bind(request: Request) -> None:
        sender_id = None
        if request.method == "POST" and request.path == "/webhook":
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - rasa_sdk answers a bad body itself
                body = None
            if isinstance(body, dict):
                sender_id = body.get("sender_id")
        bind_conversation(sender_id)

    app.register_middleware(bind, "request")


def quiet_errors(app: Sanic) -> None:
    """Sanic's client errors keep their status, without a traceback; no body echoed on 500."""

    async def client_error(_request: Request, exception: SanicException) -> HTTPResponse:
        status = getattr(exception, "status_code", 500) or 500
        return response.json({"error": str(exception)}, status=status)

    async def server_error(request: Request, exception: Exception) -> HTTPResponse:
        logger.error("Exception in the action server on %s", request.path, exc_info=exception)
        return response.json({"error": "the action failed on the action server"}, status=500)

    # Sanic looks a handler up along the exception's MRO: SanicException (NotFound,
    # MethodNotSupported, InvalidUsage) wins over Exception, which replaces rasa_sdk's handler.
    app.error_handler.add(SanicException, client_error)
    app.error_handler.add(Exception, server_error)


def create_app(
    actions: str = "actions", cors_origins: Any = None, token: str | None = None
) -> Sanic:
    """rasa_sdk's app for ``actions``, with the token check (when ``token``) and quiet errors."""
    app = create_sdk_app(actions, cors_origins=cors_origins)
    quiet_errors(app)
    if token:
        require_token(app, token)
    bind_conversations(app)  # after the token check: a refused request's body is never read
    return app


def main(argv: List[str] | None = None) -> None:
    """As ``rasa run actions`` (rasa_sdk.__main__.main_from_args and endpoint.run), our app."""
    parser: argparse.ArgumentParser = create_argument_parser()
    args = parser.parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    logging.getLogger("actions").setLevel(args.loglevel or logging.INFO)

    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    token = os.environ.get(TOKEN_ENV) or None
    if not token and host not in LOOPBACK:
        logger.warning(
            "The action server listens on %s without %s: anyone who reaches the port can run "
            "actions (docs/deployment.md).",
            host,
            TOKEN_ENV,
        )
    app = create_app(args.actions or "actions", cors_origins=args.cors, token=token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info(
        "Action server on %s://%s:%s (token %s)",
        "https" if ssl_context else "http",
        host,
        args.port,
        "required" if token else "not set",
    )
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
