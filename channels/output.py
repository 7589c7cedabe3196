"""One output channel behaviour shared by the REST and socket.io channels."""

from __future__ import annotations

import functools
from typing import Any, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel

from triage import fallback_advice, load_clinic


@functools.lru_cache(maxsize=1)
def safety_net_text() -> str:
    return fallback_advice(load_clinic())


@functools.lru_cache(maxsize=1)
def clinic_contacts() -> Dict[str, str]:
    """The numbers the widget keeps on screen, from clinic.yml (the one place they are kept):
    sent with every session_confirm, so the embed tag's copies are only a first paint."""
    clinic = load_clinic()
    return {
        "emergency_number": clinic.emergency_number,
        "triage_phone": clinic.maternity_triage.phone,
        "triage_name": clinic.maternity_triage.name,
    }


def safety_net_message() -> Dict[str, Any]:
    """The reply sent when the bot could not answer: never leave a patient without advice."""
    return {"text": safety_net_text(), "custom": {"safety_net": True}}


def combined(message: Dict[str, Any]) -> Dict[str, Any]:
    """Text, buttons and custom payload of one bot message, kept together."""
    out: Dict[str, Any] = {}
    for key in ("text", "buttons", "quick_replies", "custom", "image", "attachment"):
        if message.get(key):
            out[key] = message[key]
    return out


class CombinedCollectingOutputChannel(CollectingOutputChannel):
    """Like Rasa's collector, but a message's text and custom payload stay one JSON object."""

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        await self._persist_message({"recipient_id": recipient_id, **combined(message)})

    def with_safety_net(self, recipient_id: str) -> List[Dict[str, Any]]:
        if not self.messages:
            self.messages.append({"recipient_id": recipient_id, **safety_net_message()})
        return self.messages
