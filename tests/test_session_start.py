"""The disclaimer opens every conversation from the Rasa server itself
(rasa_patches/session_start.py): no action-server call for a new conversation."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from pathlib import Path

from rasa.core.actions import action as rasa_action
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import channels  # noqa: F401 - installs the patches, as the Rasa server does
from channels.idempotency import Attempt
from channels.output import CombinedCollectingOutputChannel, answers, safety_net_message
from rasa_patches import session_start
from triage import load_clinic

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
CLINIC = load_clinic()

#: Rasa 3.6.21's method the patch wraps: if Rasa changes it, read the patch again.
RASA_RUN_SHA256 = "c2e7c99a94ca57a5574af2ed0d009286839dd8cbf9803ada00bcb45550857633"


def test_installed_by_the_channels_package():
    assert rasa_action.ActionSessionStart.run is session_start.run


def test_rasas_method_is_the_one_the_patch_was_written_for():
    source = inspect.getsource(session_start._original)
    assert hashlib.sha256(source.encode()).hexdigest() == RASA_RUN_SHA256


def test_rasa_runs_its_own_session_start_not_the_action_servers():
    """The domain lists no custom action_session_start, so Rasa never calls out for it."""
    assert "action_session_start" not in DOMAIN.user_actions
    chosen = rasa_action.action_for_name_or_text(
        "action_session_start", DOMAIN, EndpointConfig("http://localhost:1/webhook")
    )
    assert isinstance(chosen, rasa_action.ActionSessionStart)
    assert not isinstance(chosen, rasa_action.RemoteAction)


def test_the_disclaimer_comes_first_then_rasas_own_session_events():
    tracker = DialogueStateTracker("patient", DOMAIN.slots)
    channel = CollectingOutputChannel()
    events = asyncio.run(
        rasa_action.ActionSessionStart().run(
            channel, TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN
        )
    )
    assert [type(e) for e in events] == [BotUttered, SessionStarted, ActionExecuted]
    text = events[0].text
    assert CLINIC.emergency_number in text and "diagnos" in text.lower()
    assert CLINIC.clinic_name in text and "record" in text
    assert events[-1].action_name == "action_listen"
    assert events[0].data.get("buttons") is None  # a plain message: no buttons, no payload


def test_the_disclaimer_alone_does_not_answer_her_so_the_safety_net_follows():
    """The disclaimer is sent before her first message is read: if nothing else answers it
    (the action server failed), the channels add the safety net (channels/output.py)."""
    opening = {"text": session_start.disclaimer_text()}
    reply = {"text": "Call the maternity triage line now."}
    net = safety_net_message()
    assert not answers([]) and not answers([opening]) and not answers([opening, net])
    assert answers([opening, reply]) and answers([reply])
    collector = CombinedCollectingOutputChannel()
    asyncio.run(collector.send_response("patient", opening))
    messages = collector.with_safety_net("patient")
    assert [m.get("text") for m in messages] == [opening["text"], net["text"]]
    assert messages[-1]["custom"] == {"safety_net": True}
    answered = CombinedCollectingOutputChannel()
    asyncio.run(answered.send_response("patient", opening))
    asyncio.run(answered.send_response("patient", reply))
    assert len(answered.with_safety_net("patient")) == 2  # answered: no safety net added


def test_a_repeat_of_a_turn_answered_only_by_the_disclaimer_is_processed_again():
    attempt = Attempt()
    attempt.record([{"text": session_start.disclaimer_text()}, safety_net_message()])
    assert attempt.answered is None
    attempt.record([{"text": session_start.disclaimer_text()}, {"text": "What is happening?"}])
    assert attempt.answered is not None
