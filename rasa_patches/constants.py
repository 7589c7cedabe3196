"""Two things Rasa 3.6 recomputes on every message although they never change: computed once.

- ``Event.resolve_by_type`` (the event class for a stored event's type name) walks every
  subclass of ``Event`` and asks ``inspect.isabstract`` of each, for every event it reads back:
  every stored event of the conversation on every message (the tracker store's load), and
  every event the action server returns. Now each type name's class is looked up once and kept;
  a name not found (a custom event class imported later, or an unknown name) still takes
  Rasa's own path, so it is resolved, defaulted or refused exactly as before.
- ``Domain.is_empty`` (asked by ``MessageProcessor.parse_message`` for every message) builds a
  new empty ``Domain`` from a dict to compare with; the empty domain's dict is now built once.
  The domain being checked is still turned into a dict each time, so the answer is Rasa's.

Found by profiling the Rasa server under load (``python -m eval.bench.cpu --profile``;
docs/decisions.md): together about 3% of its time. Installed by ``rasa_patches.install()``.
"""

from __future__ import annotations

from typing import Any, Dict, Type

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event

_original_resolve = Event.resolve_by_type
_original_is_empty = Domain.is_empty

_classes: Dict[str, Type[Event]] = {}
_empty: Dict[str, Any] = {}


def resolve_by_type(type_name: str, default: Type[Event] | None = None) -> Type[Event] | None:
    """``Event.resolve_by_type``, remembering each class it found (module docstring)."""
    found = _classes.get(type_name)
    if found is not None:
        return found
    try:
        found = _original_resolve(type_name, None)
    except ValueError:
        found = None
    if found is None:  # unknown name, or "topic": Rasa's own answer (a default or an error)
        return _original_resolve(type_name, default)
    _classes[type_name] = found
    return found


def is_empty(self: Domain) -> bool:
    """``Domain.is_empty`` with the empty domain's dict built once."""
    if not _empty:
        _empty["dict"] = Domain.empty().as_dict()
    return self.as_dict() == _empty["dict"]


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)
    Domain.is_empty = is_empty


def uninstall() -> None:
    Event.resolve_by_type = staticmethod(_original_resolve)
    Domain.is_empty = _original_is_empty
