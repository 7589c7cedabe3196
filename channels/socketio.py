"""socket.io channel for the website widget: one bot_uttered per bot message, always a reply.

Rasa 3.6.21's own channel calls python-socketio's enter_room without await (Rasa issue 13027),
which breaks session persistence with python-socketio 5.10+. The lock file pins 5.9.0, and this
channel also awaits enter_room when it is a coroutine, so neither version loses bot messages.
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from .output import clean_user_text, combined, safety_net_message

logger = logging.getLogger(__name__)


class CombinedSocketIOOutput(OutputChannel):
    """Emits each bot message whole: text, quick replies and custom payload together."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str, room: str) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt
        self.room = room
        self.sent = 0

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        payload = combined(message)
        buttons = payload.pop("buttons", None)
        if buttons:
            payload["quick_replies"] = [
                {
                    "content_type": "text",
                    "title": b.get("title", ""),
                    "payload": b.get("payload", ""),
                }
                for b in buttons
            ]
        await self.sio.emit(self.bot_message_evt, payload, room=self.room)
        self.sent += 1

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class SafetyNetSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        return None  # replies go to the room of the conversation, see handle_message

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS is handled by Sanic (`rasa run --cors`), as in Rasa's own channel.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        webhook = SocketBlueprint(sio, self.socketio_path, "safety_net_socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Dict | None) -> bool:
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id or len(session_id) > 128:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not sender_id:
                    logger.warning("socket.io message without a session_id ignored")
                    return
                room = sender_id
            else:
                sender_id = room = sid
            output = CombinedSocketIOOutput(sio, self.bot_message_evt, room)
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            try:
                await on_new_message(
                    UserMessage(
                        clean_user_text(data.get("message")),
                        output,
                        sender_id,
                        input_channel=self.name(),
                        metadata=metadata if isinstance(metadata, dict) else {},
                    )
                )
            except Exception as error:
                logger.error("socket.io message processing failed: %s", type(error).__name__)
            if output.sent == 0:
                await output.send_response(sender_id, safety_net_message())

        return webhook
