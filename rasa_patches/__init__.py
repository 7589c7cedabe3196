"""Changes to Rasa Open Source 3.6.21's own code, kept in one place and installed by one call.

Each module replaces the methods of one Rasa class and says why; each has a test that fails if
Rasa changes under it (tests/test_action_http.py, tests/test_action_validation.py,
tests/test_store_errors.py, tests/test_repeated_messages.py, tests/test_per_message_cost.py).
Written for Rasa 3.6.21 (the last open-source release, pinned in requirements.lock): check them
on any Rasa upgrade.

- ``action_validation``: ``RemoteAction._validate_action_result`` with the response schema
  compiled once and each event checked against its own type's sub-schema (Rasa re-checked the
  schema against its meta-schema on every action call: about 80% of the server's time).
- ``action_http``: ``EndpointConfig.session`` returning one kept-open aiohttp session per
  endpoint and event loop (Rasa opened and closed a connection for every action call), and
  ``EndpointConfig.request`` sending a call once more when the server never answered it.
- ``repeated_messages``: ``MessageProcessor.log_message`` answering a message sent again with
  its stored answer, checked in the same hold of the conversation's lock as the processing,
  and refusing a message to a conversation at its length cap, counted on the same load.
- ``graph_runner``: ``DaskGraphRunner.run`` calling the model's graph nodes in dependency
  order, without dask's scheduler (the same nodes, inputs and outputs; about 6% of the
  server's time was scheduling).
- ``constants``: ``Event.resolve_by_type`` and ``Domain.is_empty`` remembering what never
  changes (the event class of a type name, the empty domain) instead of recomputing it for
  every stored event and every message.
- ``store_errors``: ``FailSafeTrackerStore``'s ``retrieve``, ``retrieve_full_tracker`` and
  ``save`` raising the store's error again (Rasa turned a database outage into a new, empty
  conversation and saved it in memory; the channels now answer with the safety net).
- ``session_start``: ``ActionSessionStart.run`` sending the disclaimer before Rasa's own
  session events, so a new conversation needs no call to the action server before its first
  message is read (and gets the disclaimer even when the action server is down).

``install()`` is called once, by ``channels/__init__.py``: the channels are the first project
code the Rasa server imports (credentials.yml names them), so the patches are in place before
Rasa calls the action server for the first time. Not patches: the channels themselves, which
are Rasa's documented extension point (custom input channels).
"""

from __future__ import annotations

from . import (
    action_http,
    action_validation,
    constants,
    graph_runner,
    repeated_messages,
    session_start,
    store_errors,
)

RASA_VERSION = "3.6.21"


def install() -> None:
    """Install every patch; installing twice changes nothing."""
    action_validation.install()
    action_http.install()
    store_errors.install()
    repeated_messages.install()
    graph_runner.install()
    constants.install()
    session_start.install()
