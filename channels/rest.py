"""REST channel at /webhooks/rest/webhook: one JSON object per bot message, always a reply.

REST is the API for the clinic's integrations, its tests and the evaluation, which send button
payloads as text ("/deny"); such a command is accepted only when its intent and entities are in
the domain with short scalar values. Its conversation ids are the caller's own, in a narrow
alphabet that never takes the website chat's form. ``require_token: true`` in the credentials
makes every call present ``Authorization: Bearer $REST_TOKEN`` (refused when that is unset);
a deployment without integrations leaves the channel out of its credentials file.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from .guard import MAX_BODY_BYTES, Rate, client_address, rest_sender_problem, trusted_proxies
from .handling import Gate, Refusal, domain_terms, process
from .idempotency import Replies, message_id_problem
from .output import CombinedCollectingOutputChannel

logger = logging.getLogger(__name__)

CONVERSATION_RATE = Rate(burst=20, per_minute=60)
ADDRESS_RATE = Rate(burst=300, per_minute=1200)


def _refused(sender_id: str, refusal: Refusal) -> HTTPResponse:
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
    return response.json(
        [{"recipient_id": sender_id, **refusal.message}], status=refusal.status, headers=headers
    )


class SafetyNetRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> SafetyNetRestInput:
        return cls(credentials)

    def __init__(self, credentials: Dict[str, Any] | None = None) -> None:
        credentials = credentials or {}
        self.require_token = bool(credentials.get("require_token", False))
        self.gate = Gate.from_credentials(
            credentials, CONVERSATION_RATE, ADDRESS_RATE, channel="rest"
        )
        self.trusted = trusted_proxies()
        self.replies = Replies()

    def _authorised(self, request: Request) -> HTTPResponse | None:
        """None when the call may go on, else the refusal."""
        if not self.require_token:
            return None
        expected = os.environ.get("REST_TOKEN", "")
        if not expected:
            logger.error("REST requires a token but REST_TOKEN is not set: refusing every call")
            return response.json({"error": "this API is not configured"}, status=503)
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            return None
        return response.json({"error": "a valid bearer token is required"}, status=401)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("safety_net_rest_webhook", __name__)

        @webhook.listener("before_server_start")
        async def _cap_bodies(app: Any, _: Any) -> None:
            # Sanic parses up to 100 MB by default; nothing this server takes needs more than this.
            app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self._authorised(request)
            if refused is not None:
                return refused
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "the request body is too large"}, status=413)
            try:
                body = request.json if isinstance(request.json, dict) else {}
            except Exception:  # malformed JSON
                body = {}
            problem = rest_sender_problem(body.get("sender")) or message_id_problem(
                body.get("message_id")
            )
            if problem:
                return response.json({"error": problem}, status=400)
            sender_id: str = body["sender"]
            message_id = body.get("message_id")
            address = client_address(
                request.ip, request.headers.get("x-forwarded-for"), self.trusted
            )
            async with self.replies.once(sender_id, message_id) as attempt:
                if attempt.stored is not None:
                    return response.json(attempt.stored)
                self.gate.share_buckets(request.app)
                refusal = await self.gate.admit(sender_id, address, body.get("message"))
                if refusal is not None:
                    return _refused(sender_id, refusal)
                collector = CombinedCollectingOutputChannel()
                processed = await process(
                    on_new_message,
                    text=body.get("message"),
                    from_button=True,
                    terms=domain_terms(request.app),
                    output=collector,
                    sender_id=sender_id,
                    input_channel=self.name(),
                    metadata=self.get_metadata(request),
                    message_id=message_id,
                    long_messages=self.gate.long_messages,
                    max_turns=self.gate.max_turns,
                )
                if isinstance(processed, Refusal):  # Rasa found the conversation at its cap
                    return _refused(sender_id, processed)
                if not processed:
                    collector.messages.clear()  # replies the store does not know: not sent
                messages = collector.with_safety_net(sender_id)
                attempt.record(messages)
            return response.json(messages)

        return webhook
