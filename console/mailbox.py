"""A test mailbox for ``make run``: a small SMTP server on loopback that keeps every message
it receives as one ``.eml`` file in a folder (``var/mailbox/`` by default).

``scripts/run.sh`` starts it and points the console's alert settings at it when no
``CONSOLE_SMTP_HOST`` is set, so a new user sees the alert email arrive with no mail service.
It is a development tool: no TLS, no login, no relaying anywhere. A deployment sets its own
SMTP relay (docs/console.md, "Alerts"); ``python -m console serve`` alone never defaults to
this.

Files are named ``<UTC time>-<random>.eml`` (they sort by arrival) and written whole before
they appear (a temporary name, then a rename), readable by their owner only. The log names the
file, never its contents.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)

DEFAULT_PORT = 8025
DEFAULT_FOLDER = Path("var") / "mailbox"


def _clean(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable())[:500]


class SaveToFolder:
    """aiosmtpd handler: each message to its own file, with its envelope as the first headers."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        envelope = (
            f"Return-Path: <{_clean(mail_from)}>\r\nDelivered-To: {_clean(', '.join(rcpt_tos))}\r\n"
        ).encode()
        partial = path.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(envelope + content)
        os.replace(partial, path)
        return path

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        path = self.save(
            envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or b""
        )
        log.info("mailbox: message saved as %s", path)
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> Controller:
    """The running server (``.stop()`` it); its thread answers until then."""
    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


def serve(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Run until interrupted (Ctrl-C or SIGTERM ends the process)."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per connection
    try:
        controller = start(folder, host, port)
    except OSError as error:
        raise SystemExit(
            f"mailbox: cannot listen on {host}:{port} ({error.strerror or error}); under make "
            "run, set CONSOLE_MAILBOX_PORT to a free port, or CONSOLE_SMTP_HOST to a real relay"
        ) from None
    print(f"mailbox: SMTP on {host}:{port}, messages saved in {folder}/", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
