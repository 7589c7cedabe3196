"""REST channel at /webhooks/rest/webhook: one JSON object per bot message, always a reply."""

from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from .output import CombinedCollectingOutputChannel, clean_user_text

logger = logging.getLogger(__name__)


class SafetyNetRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("safety_net_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json if isinstance(request.json, dict) else {}
            except Exception:  # malformed JSON
                body = {}
            sender_id = body.get("sender")
            if not isinstance(sender_id, str) or not sender_id.strip() or len(sender_id) > 128:
                return response.json(
                    {"error": "a 'sender' string (up to 128 characters) is required"}, status=400
                )
            collector = CombinedCollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        clean_user_text(body.get("message")),
                        collector,
                        sender_id,
                        input_channel=self.name(),
                        metadata=self.get_metadata(request),
                    )
                )
            except CancelledError:
                logger.error("REST message processing timed out (sender %s)", sender_id)
            except Exception as error:  # the patient still gets the safety net below
                logger.error("REST message processing failed: %s", type(error).__name__)
            return response.json(collector.with_safety_net(sender_id))

        return webhook
