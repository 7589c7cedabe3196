"""The test mailbox of ``make run`` (console/mailbox.py and its block in scripts/run.sh): the
block itself is run by bash, starts the real SMTP sink, and the console's alert settings it
exports deliver a real alert into ``var/mailbox/`` as a .eml file. Without that block nothing
defaults to it: production needs explicit SMTP settings."""

from __future__ import annotations

import email
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console import notify
from console.config import REPO_ROOT, AlertSettings
from tests.console.test_notify import LEFT_AFTER, TZ, at_floor, free_port, no_patient_text

BEGIN, END = "# --- Test mailbox for alerts", "# --- end of the test mailbox block"


def run_sh_block() -> str:
    text = (REPO_ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    return text[text.index(BEGIN) : text.index(END)]


def run_block(cwd: Path, env: dict[str, str]) -> tuple[int | None, dict[str, str]]:
    """Run the block as run.sh does; returns (the mailbox's pid or None, CONSOLE_* exported)."""
    script = (
        "set -euo pipefail\n"
        "pids=()\n"
        f"{run_sh_block()}\n"
        'echo "PIDS=${pids[*]:-}"\n'
        "env | grep '^CONSOLE_' || true\n"
    )
    # a file, not a pipe: the mailbox left running keeps its end open
    log = cwd / "block.out"
    with log.open("w") as out_file:
        subprocess.run(
            ["bash", "-c", script],
            cwd=cwd,
            env={**env, "PY": sys.executable, "PYTHONPATH": str(REPO_ROOT)},
            stdout=out_file,
            stderr=subprocess.STDOUT,
            timeout=60,
            check=True,
            stdin=subprocess.DEVNULL,
        )
    out = log.read_text().splitlines()
    pids = next(line for line in out if line.startswith("PIDS=")).removeprefix("PIDS=")
    exported = dict(line.split("=", 1) for line in out if line.startswith("CONSOLE_"))
    return (int(pids) if pids else None), exported


def wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}


def test_make_run_delivers_alerts_to_the_local_mailbox(engine, write, tmp_path, monkeypatch):
    port = free_port()
    pid, exported = run_block(tmp_path, {**base_env(), "CONSOLE_MAILBOX_PORT": str(port)})
    assert pid is not None
    try:
        assert "--port" in Path(f"/proc/{pid}/cmdline").read_text()  # the mailbox itself
        wait_listening(port)
        assert exported["CONSOLE_SMTP_HOST"] == "127.0.0.1"
        assert exported["CONSOLE_SMTP_PORT"] == str(port)
        for name in list(os.environ):
            if name.startswith("CONSOLE_"):
                monkeypatch.delenv(name)
        for name, value in exported.items():
            monkeypatch.setenv(name, value)
        cfg = AlertSettings.from_env()  # what `python -m console serve` reads under make run
        assert cfg.channels == ("email",)

        now = time.time()
        write("mailbox-left", at_floor("emergency", now - LEFT_AFTER - 300))
        notify.run_once(engine, cfg, TZ, gap_timeout=0, now=now, left_after=LEFT_AFTER)

        folder = tmp_path / "var" / "mailbox"
        deadline = time.time() + 30
        files: list[Path] = []
        while not files and time.time() < deadline:
            files = sorted(folder.glob("*.eml"))
            time.sleep(0.1)
        [saved] = files
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert not list(folder.glob("*.part"))
        message = email.message_from_bytes(saved.read_bytes())
        assert message["Subject"] == "Emergency: a patient left the triage before its advice"
        assert message["Delivered-To"] == "nurses@localhost"
        assert message["From"] == "triage-console@localhost"
        body = message.get_payload(decode=True).decode()
        assert "http://localhost:8000/conversation/mailbox-left" in body
        no_patient_text(saved.read_text(encoding="utf-8"))
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):  # reap it: it is this test's grandchild, adopted by init
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.05)


def test_a_configured_smtp_host_is_left_alone(tmp_path):
    env = {**base_env(), "CONSOLE_SMTP_HOST": "mail.clinic.test", "CONSOLE_ALERT_TO": "a@b.test"}
    pid, exported = run_block(tmp_path, env)
    assert pid is None
    assert exported == {"CONSOLE_SMTP_HOST": "mail.clinic.test", "CONSOLE_ALERT_TO": "a@b.test"}
    assert not (tmp_path / "var").exists()


def test_without_make_run_no_email_goes_anywhere(monkeypatch):
    """Outside make run, nothing defaults to the test mailbox: alerts stay off until SMTP (or
    a webhook) is configured explicitly."""
    for name in list(os.environ):
        if name.startswith("CONSOLE_"):
            monkeypatch.delenv(name)
    assert AlertSettings.from_env().channels == ()
    monkeypatch.setenv("CONSOLE_SMTP_HOST", "127.0.0.1")
    with pytest.raises(ValueError, match="CONSOLE_ALERT_FROM and CONSOLE_ALERT_TO"):
        AlertSettings.from_env()


def test_the_mailbox_keeps_each_message_whole(tmp_path):
    from console import mailbox

    box = mailbox.SaveToFolder(tmp_path / "box")
    first = box.save("a@x.test", ["b@x.test"], b"Subject: one\r\n\r\nbody\r\n")
    second = box.save("a@x.test", ["b@x.test", "c@x.test"], b"Subject: two\r\n\r\nbody\r\n")
    assert first != second and first.suffix == ".eml"
    message = email.message_from_bytes(second.read_bytes())
    assert (message["Subject"], message["Delivered-To"]) == ("two", "b@x.test, c@x.test")
    assert message["Return-Path"] == "<a@x.test>"


def test_a_taken_port_is_said_plainly(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "console", "mailbox", "--port", str(port), "--dir", "box"],
            cwd=tmp_path,
            env={**base_env(), "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"mailbox: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "CONSOLE_MAILBOX_PORT" in done.stderr
