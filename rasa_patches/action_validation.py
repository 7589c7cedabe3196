"""Validates action-server responses with a schema compiled once, not on every action call.

Rasa 3.6 checks every response of the action server with ``jsonschema.validate``, which first
re-validates the schema itself against its meta-schema. Profiling the bot (py-spy, see
docs/evaluation.md) showed that this took about 80% of the Rasa server's time per message,
because each message runs three or four custom actions. This replaces the method with one that
compiles the (constant) schema once and validates each response against it: the same checks,
the same ValidationError with the same message, without the repeated meta-schema check. After
that fix the validation itself was still about a tenth of the server's time, because the
schema's ``oneOf`` tries every event type on every event; each event is now checked against its
own type's sub-schema only, which accepts and rejects the same responses (see the class).

Installed by ``rasa_patches.install()`` (see rasa_patches/__init__.py).
"""

from __future__ import annotations

from typing import Any, Dict

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_original = RemoteAction._validate_action_result


class _ResponseValidator:
    """Rasa's response schema, compiled once, with the events checked by their type.

    The schema says each event must match exactly one ("oneOf") of 23 sub-schemas, one per event
    type, each fixing ``event`` to its own constant. A plain validator therefore tries all 23 on
    every event. Since at most the sub-schema with the event's own constant can match, "exactly
    one matches" is the same as "that one matches": this checks each event against the common
    part and its own sub-schema only, and falls back to the full schema for anything else (no
    ``event`` string, an unknown type), so every rejection still comes from jsonschema.
    """

    def __init__(self, schema: Dict[str, Any]) -> None:
        cls = validator_for(schema)
        cls.check_schema(schema)  # once, as jsonschema.validate would do on every call
        self.full = cls(schema)
        items = schema["properties"]["events"]["items"]
        common = {k: v for k, v in items.items() if k != "oneOf"}
        self.common = cls(common)
        by_type: Dict[str, Any] = {}
        for sub in items["oneOf"]:
            name = sub["properties"]["event"]["const"]
            if name in by_type:  # not discriminated by type after all: never take the shortcut
                by_type = {}
                break
            by_type[name] = cls(sub)
        self.by_type = by_type
        rest = dict(schema, properties=dict(schema["properties"]))
        rest["properties"]["events"] = {
            k: v for k, v in schema["properties"]["events"].items() if k != "items"
        }
        self.rest = cls(rest)

    def validate(self, result: Any) -> None:
        events = result.get("events") if isinstance(result, dict) else None
        if not isinstance(events, list) or not self.by_type:
            self.full.validate(result)
            return
        self.rest.validate(result)
        for event in events:
            kind = event.get("event") if isinstance(event, dict) else None
            sub = self.by_type.get(kind) if isinstance(kind, str) else None
            if sub is None:
                self.full.validate(result)  # let jsonschema find and word the error
                return
            self.common.validate(event)
            sub.validate(event)


def _compiled_validator() -> Any:
    return _ResponseValidator(RemoteAction.action_response_format_spec())


_VALIDATOR = _compiled_validator()


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
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
    RemoteAction._validate_action_result = validate_action_result
