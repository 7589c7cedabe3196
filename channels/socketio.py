"""socket.io channel for the website widget: one bot_uttered per bot message, always a reply.

A conversation belongs to the browser it was issued to. ``session_request`` with no id, or with
an id whose resume token does not match, starts a new conversation: the server issues the id
(``web-`` and 32 hex digits) with a resume token (an HMAC of the id, channels/guard.py) that the
widget keeps and presents to resume. A socket may send messages only into the conversation it
was confirmed for. Pages from other origins than the configured site (``RASA_CORS``) cannot
connect. Typed text is never read as a Rasa command; only a message the widget marks as a
button press (``"button": true``) may be one, and then only a valid one.

Rasa 3.6.21's own channel calls python-socketio's enter_room without await (Rasa issue 13027),
which breaks session persistence with python-socketio 5.10+. The lock file pins 5.9.0, and this
channel also awaits enter_room when it is a coroutine, so neither version loses bot messages.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from triage.clinic import check_live, load_clinic

from .guard import (
    MAX_BODY_BYTES,
    Rate,
    ResumeTokens,
    channel_secret,
    client_address,
    new_web_session_id,
    origin_allowed,
    trusted_proxies,
)
from .handling import Gate, Refusal, domain_terms, process
from .idempotency import Replies, message_id_problem
from .output import answers, clinic_contacts, combined, safety_net_message

logger = logging.getLogger(__name__)

CONVERSATION_RATE = Rate(burst=20, per_minute=60)
ADDRESS_RATE = Rate(burst=60, per_minute=240)


def socket_payload(message: Dict[str, Any]) -> Dict[str, Any]:
    """A bot message as the widget takes it: buttons become quick replies."""
    payload = combined(message)
    buttons = payload.pop("buttons", None)
    if buttons:
        payload["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
            for b in buttons
        ]
    return payload


class CombinedSocketIOOutput(OutputChannel):
    """Emits each bot message whole: text, quick replies and custom payload together."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str, room: str) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt
        self.room = room
        self.messages: List[Dict[str, Any]] = []

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Held until the turn is saved (see flush): Rasa saves the conversation after making
        its replies, and a reply the store does not know about is never sent."""
        self.messages.append(socket_payload(message))

    async def flush(self, processed: bool) -> None:
        """Emit the turn's replies, or, when processing failed, only the safety net; the safety
        net also follows replies that do not answer her (only the disclaimer)."""
        if not processed:
            self.messages = []
        if not answers(self.messages):
            self.messages.append(socket_payload(safety_net_message()))
        for payload in self.messages:
            await self.sio.emit(self.bot_message_evt, payload, room=self.room)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


def rasa_cors_origins(app: Any) -> List[str] | None:
    """The origins given to Rasa with ``--cors`` (Rasa configures sanic-cors with them in
    rasa.server.configure_cors), so one setting governs polling and WebSockets alike; None
    when the app has no CORS set-up."""
    resources = getattr(getattr(getattr(app, "ctx", None), "sanic_cors", None), "resources", None)
    for _pattern, options in resources or []:
        origins = options.get("origins")
        if isinstance(origins, str):
            return [origins]
        if origins is not None:
            return [str(o) for o in origins]
    return None


class SafetyNetSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> SafetyNetSocketIOInput:
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.gate = Gate.from_credentials(
            credentials, CONVERSATION_RATE, ADDRESS_RATE, channel="socketio"
        )
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate(CONVERSATION_RATE, ADDRESS_RATE, channel="socketio")
        self.trusted = trusted_proxies()
        self.replies = Replies()
        self.tokens: ResumeTokens | None = None
        # socket id -> (client address, the conversation it was confirmed for or None)
        self.clients: Dict[str, Dict[str, Any]] = {}
        self.app: Sanic | None = None

    def get_output_channel(self) -> OutputChannel | None:
        return None  # replies go to the room of the conversation, see handle_message

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS headers are Sanic's (`rasa run --cors`), as in Rasa's own channel; the Origin
        # check is ours, at connect. Packets are capped like REST bodies.
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=MAX_BODY_BYTES
        )
        webhook = SocketBlueprint(sio, self.socketio_path, "safety_net_socketio_webhook", __name__)
        self.sio = sio
        self.tokens = ResumeTokens(channel_secret())
        check_live(load_clinic())  # a live deployment never starts with the demo's numbers

        @webhook.listener("before_server_start")
        async def _keep_app(app: Sanic, _: Any) -> None:
            self.app = app

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Dict | None) -> bool:
            origins = rasa_cors_origins(self.app)
            if not origin_allowed(environ.get("HTTP_ORIGIN"), origins, environ.get("HTTP_HOST")):
                logger.warning("socket.io connection from an origin that is not allowed refused")
                return False
            request = environ.get("sanic.request")
            peer = getattr(request, "ip", "") or environ.get("REMOTE_ADDR", "")
            address = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted)
            self.clients[sid] = {"address": address, "session": None}
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            self.clients.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Dict | None) -> None:
            client = self.clients.get(sid)
            if client is None:
                return
            data = data if isinstance(data, dict) else {}
            assert self.tokens is not None
            session_id: str = data.get("session_id") or ""
            if not self.tokens.valid(session_id, data.get("resume_token")):
                session_id = new_web_session_id()
            previous = client["session"]
            if previous and previous != session_id:
                left = sio.leave_room(sid, previous)
                if inspect.isawaitable(left):
                    await left
            client["session"] = session_id
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit(
                "session_confirm",
                {
                    "session_id": session_id,
                    "resume_token": self.tokens.issue(session_id),
                    "clinic": clinic_contacts(),
                },
                room=sid,
            )

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            client = self.clients.get(sid)
            sender_id = client["session"] if client else None
            claimed = data.get("session_id")
            if client is None or sender_id is None or claimed not in (None, sender_id):
                logger.warning("socket.io message for a conversation the socket does not hold")
                await sio.emit(self.bot_message_evt, safety_net_message(), room=sid)
                return
            message_id = data.get("message_id")
            if message_id_problem(message_id):
                message_id = None
            room = sender_id if self.session_persistence else sid
            async with self.replies.once(sender_id, message_id) as attempt:
                if attempt.stored is not None:
                    if not attempt.waited:  # else it went to the conversation's room just now
                        for message in attempt.stored:
                            await sio.emit(self.bot_message_evt, socket_payload(message), room=sid)
                    return
                self.gate.share_buckets(self.app)
                refusal = await self.gate.admit(sender_id, client["address"], data.get("message"))
                if refusal is not None:
                    await sio.emit(self.bot_message_evt, refusal.message, room=sid)
                    return
                output = CombinedSocketIOOutput(sio, self.bot_message_evt, room)
                metadata = data.get(self.metadata_key)
                processed = await process(
                    on_new_message,
                    text=data.get("message"),
                    from_button=data.get("button") is True,
                    terms=domain_terms(self.app),
                    output=output,
                    sender_id=sender_id,
                    input_channel=self.name(),
                    metadata=metadata if isinstance(metadata, dict) else {},
                    message_id=message_id,
                    long_messages=self.gate.long_messages,
                    max_turns=self.gate.max_turns,
                )
                if isinstance(processed, Refusal):  # Rasa found the conversation at its cap
                    await sio.emit(self.bot_message_evt, processed.message, room=sid)
                    return
                await output.flush(processed)
                attempt.record(output.messages)

        return webhook
