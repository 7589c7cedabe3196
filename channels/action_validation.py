"""Validates action-server responses with a schema compiled once, not on every action call.

Rasa 3.6 checks every response of the action server with ``jsonschema.validate``, which first
re-validates the schema itself against its meta-schema. Profiling the bot (py-spy, see
docs/evaluation.md) showed that this took about 80% of the Rasa server's time per message,
because each message runs three or four custom actions. This replaces the method with one that
compiles the (constant) schema once and validates each response against it: the same checks,
the same ValidationError with the same message, without the repeated meta-schema check.

Imported by ``channels/__init__.py``, the first project code Rasa loads when it starts.
"""
from __future__ import annotations

from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_original = RemoteAction._validate_action_result


def _compiled_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would do on every call
    return cls(schema)


_VALIDATOR = _compiled_validator()


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _VALIDATOR.validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]
