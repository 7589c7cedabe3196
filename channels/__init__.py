"""Rasa input channels with the safety net built in (configured in credentials.yml).

Rasa's stock REST and socket.io channels split a reply's text from its custom payload, log the
patient's text when processing fails, and send nothing at all when an action fails. Ours keep
the advice and its triage payload in one message, never log message text, and answer every
message: when the bot produced no reply (an action server that is down, an exception), the
patient still gets the fallback safety-netting advice from clinic.yml. What they check before a
message reaches Rasa is in guard.py and handling.py (docs/security.md).

This package is the first project code the Rasa server imports, so it installs the project's
changes to Rasa here, with the one explicit call (rasa_patches/ says what each is and why).
"""

import rasa_patches

rasa_patches.install()
