"""Rasa input channels with the safety net built in (configured in credentials.yml).

Rasa's stock REST and socket.io channels split a reply's text from its custom payload, log the
patient's text when processing fails, and send nothing at all when an action fails. Ours keep
the advice and its triage payload in one message, never log message text, and answer every
message: when the bot produced no reply (an action server that is down, an exception), the
patient still gets the fallback safety-netting advice from clinic.yml.

Being the first project code the Rasa server imports, this package also installs the two
changes to how Rasa calls the action server: the response schema compiled once
(action_validation) and a kept-open HTTP connection (action_http).
"""

from . import action_http, action_validation

action_validation.install()
action_http.install()
