"""A patient is never left without safety advice, even when a component fails: here the action
server is down, so no custom action can run, and the channel still answers with the safety net.
The disclaimer that opens the conversation comes from the Rasa server itself
(rasa_patches/session_start.py), so it is sent too, and the safety net still follows it."""

from __future__ import annotations

import pytest

from eval.servers import start_bot
from triage import disclaimer, load_clinic

pytestmark = pytest.mark.e2e


def test_action_server_down_still_gives_the_safety_net(tmp_path):
    bot = start_bot(tmp_path, start_actions=False)
    try:
        clinic = load_clinic()
        for turn, message in enumerate(
            ("i have pressure in my vagina", "im bleeding heavily", "what is a cerclage")
        ):
            answer = bot.send("patient-while-actions-down", message)
            if turn == 0:
                opening = answer.pop(0)["text"]
                assert opening == disclaimer(clinic) and clinic.emergency_number in opening
            assert answer, message
            text = "\n".join(m.get("text") or "" for m in answer)
            assert clinic.emergency_number in text and clinic.maternity_triage.phone in text
            assert all(m.get("custom", {}).get("safety_net") for m in answer)
    finally:
        bot.stop()
