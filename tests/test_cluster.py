"""make cluster's pieces that can be checked in a second: HAProxy accepts deploy/haproxy.cfg
with the cluster's settings, the configuration routes what docs/deployment.md says, and
make cluster-stop stops exactly the processes named by its pid files. The cluster itself (two
Rasa servers, 100 messages for one conversation at once through HAProxy) is measured by
``python -m eval cluster``: its start-up alone (two models) exceeds this suite's budget."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from eval.servers import ROOT

CONFIG = ROOT / "deploy" / "haproxy.cfg"


def cluster_env(tmp_path: Path) -> dict[str, str]:
    """The settings scripts/cluster_env.sh exports, read by sourcing it."""
    out = subprocess.run(
        ["bash", "-c", 'source scripts/common.sh && source scripts/cluster_env.sh && env -0'],
        cwd=ROOT,
        env={**os.environ, "CLUSTER_DIR": str(tmp_path)},
        capture_output=True,
        check=True,
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (setup)")
def test_haproxy_accepts_the_configuration(tmp_path):
    env = cluster_env(tmp_path)
    assert (env["BOT_PORT"], env["RASA_1_PORT"], env["RASA_2_PORT"]) == ("5005", "5006", "5007")
    assert (env["ACTIONS_PORT"], env["ACTIONS_1_PORT"], env["ACTIONS_2_PORT"]) == (
        "5055",
        "5056",
        "5057",
    )
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"
    assert env["POSTGRES_DB"] == "triage"
    check = subprocess.run(
        ["haproxy", "-c", "-f", str(CONFIG)], env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_configuration_routes_as_documented():
    text = CONFIG.read_text()
    blocks = {block.split()[0]: block for block in text.split("\nbackend ")[1:] if block.strip()}
    assert "balance roundrobin" in blocks["rasa_rest"]
    # socket.io: no cookie (a third-party cookie on the clinic's site), client-address hashing
    directives = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert "cookie" not in directives
    assert "balance source" in blocks["rasa_socketio"]
    assert "GET /health" in blocks["actions"] and "retry-on" in blocks["actions"]
    for name in ("rasa_rest", "rasa_socketio", "actions"):
        assert blocks[name].count(" check\n") == 2, name
    assert "fall 2" in text and "inter 1s" in text


def test_cluster_stop_stops_what_the_pid_files_name(tmp_path):
    ours = subprocess.Popen(["sleep", "60"], cwd=ROOT)
    elsewhere = subprocess.Popen(["sleep", "60"], cwd=tmp_path)  # not started from the repo
    try:
        (tmp_path / "rasa-1.pid").write_text(str(ours.pid))
        (tmp_path / "haproxy.pid").write_text(str(elsewhere.pid))
        (tmp_path / "cluster.env").write_text("export ACTION_SERVER_TOKEN=secret\n")
        started = time.monotonic()
        subprocess.run(
            [str(ROOT / "scripts" / "cluster_stop.sh")],
            env={**os.environ, "CLUSTER_DIR": str(tmp_path)},
            check=True,
            capture_output=True,
        )
        assert ours.wait(timeout=5) == -15  # SIGTERM
        assert elsewhere.poll() is None  # a recycled pid is left alone
        assert not list(tmp_path.glob("*.pid")) and not (tmp_path / "cluster.env").exists()
        assert time.monotonic() - started < 10
    finally:
        for proc in (ours, elsewhere):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_make_has_the_cluster_targets():
    makefile = (ROOT / "Makefile").read_text()
    assert "\ncluster:\n\tscripts/cluster.sh" in makefile
    assert "\ncluster-stop:\n\tscripts/cluster_stop.sh" in makefile
