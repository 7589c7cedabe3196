"""eval/cluster.py reads HAProxy's ``show stat`` once, for both the requests per server and the
servers' states (against a stand-in stats socket; the real HAProxy is in tests/test_cluster.py)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from eval.cluster import haproxy_servers, haproxy_stats, server_status

SHOW_STAT = (
    "# pxname,svname,qcur,stot,status,\n"
    "rasa_rest,FRONTEND,0,12,OPEN,\n"
    "rasa_rest,rasa-1,0,7,UP,\n"
    "rasa_rest,rasa-2,0,5,DOWN,\n"
    "rasa_rest,BACKEND,0,12,UP,\n"
    "\n"
)


def _serve(path: Path, times: int) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(2)

    def answer() -> None:
        with server:
            for _ in range(times):
                conn, _ = server.accept()
                with conn:
                    assert conn.recv(64) == b"show stat\n"
                    conn.sendall(SHOW_STAT.encode())

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_requests_and_states_per_server_from_one_reading(tmp_path):
    thread = _serve(tmp_path / "haproxy.sock", 2)
    assert haproxy_stats(tmp_path) == {"rasa_rest/rasa-1": 7, "rasa_rest/rasa-2": 5}
    assert server_status(tmp_path) == {"rasa_rest/rasa-1": "UP", "rasa_rest/rasa-2": "DOWN"}
    thread.join(timeout=5)


def test_the_rows_are_the_servers_only(tmp_path):
    thread = _serve(tmp_path / "haproxy.sock", 1)
    rows = haproxy_servers(tmp_path)
    thread.join(timeout=5)
    assert set(rows) == {"rasa_rest/rasa-1", "rasa_rest/rasa-2"}
    assert rows["rasa_rest/rasa-1"]["qcur"] == "0"
