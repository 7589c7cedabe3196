"""Every conversation opens with the disclaimer, sent by the Rasa server itself.

The disclaimer (``triage.advice.disclaimer``: what the helper is and is not, the emergency
number, the record kept) used to come from a custom ``action_session_start`` on the action
server: one more HTTP call with the tracker for every new conversation, on top of the first
message's own call. A burst of new conversations (the bench's 50 first messages at once) paid it
twice, and when the action server could not answer, Rasa logged the action with no events, so
the conversation got neither the disclaimer nor its ``session_started`` event.

Rasa runs its own ``ActionSessionStart`` when the domain lists no custom one (domain.yml does
not). Its ``run`` now returns the disclaimer as a bot message before Rasa's own events
(``session_started``, slots carried over when the domain asks, ``action_listen``): the events
the custom action returned, in the same order, and the processor sends the message to the
channel as it sent the action server's. The text comes from clinic.yml, read once per process,
as the channels' safety net is (channels/output.py). Installed by ``rasa_patches.install()``.
"""

from __future__ import annotations

import functools
from typing import Any, List

from rasa.core.actions import action as rasa_action
from rasa.shared.core.events import Event

from triage import load_clinic
from triage.advice import disclaimer

_original = rasa_action.ActionSessionStart.run


@functools.lru_cache(maxsize=1)
def disclaimer_text() -> str:
    """clinic.yml is read once per Rasa process (restart to apply edits), as by the actions."""
    return disclaimer(load_clinic())


async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    """``ActionSessionStart.run``: the disclaimer, then Rasa's own events (module docstring)."""
    events = await _original(self, output_channel, nlg, tracker, domain)
    return [rasa_action.create_bot_utterance({"text": disclaimer_text()}), *events]


def install() -> None:
    rasa_action.ActionSessionStart.run = run


def uninstall() -> None:
    rasa_action.ActionSessionStart.run = _original
