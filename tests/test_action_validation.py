"""The compiled action-response validation accepts and rejects exactly what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import channels  # noqa: F401  (installs the compiled validation)
from channels import action_validation

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "symptoms", "value": ["bleeding"]}],
     "responses": [{"text": "hi", "custom": {"triage": {"level": "urgent"}}}]},
]
INVALID = [
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "name": 5}], "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
]


def test_installed():
    assert RemoteAction._validate_action_result is action_validation.validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_accepts_what_rasa_accepts(result):
    action = RemoteAction("action_x", None)
    assert action_validation._original(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_rejects_what_rasa_rejects(result):
    action = RemoteAction("action_x", None)
    with pytest.raises(ValidationError):
        action_validation._original(action, result)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(result)
