"""One output channel behaviour shared by the REST and socket.io channels."""

from __future__ import annotations

import functools
from typing import Any, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel

from rasa_patches.session_start import disclaimer_text
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


def answers(messages: List[Dict[str, Any]]) -> bool:
    """True when the turn's messages answer the patient: not only the disclaimer that opens a
    conversation (rasa_patches/session_start.py, sent before her first message is read) and
    the safety net put in for a failure."""
    return any(
        m.get("text") != disclaimer_text() and not (m.get("custom") or {}).get("safety_net")
        for m in messages
    )


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
        """The turn's messages, with the safety net after them when none answers her (the
        action server failed, or nothing was sent but the disclaimer)."""
        if not answers(self.messages):
            self.messages.append({"recipient_id": recipient_id, **safety_net_message()})
        return self.messages
