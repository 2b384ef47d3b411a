"""``activitylog demo`` and ``activitylog serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.cli import main
from activitylog.demo import DEMO_PASSWORD


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "ACTIVITYLOG_SIGNING_KEY": str(tmp_path / "signing-key.pem"),
        "ACTIVITYLOG_SECRET_KEY": str(tmp_path / "secret-key"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_demo_seeds_once_and_prints_a_sign_in_per_role(tmp_path: Path, env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = CliRunner().invoke(main, ["demo", "--db", db, "--events", "1500", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "seeded 1,500 demo events" in first.output
    for role in ("owner", "admin", "member", "viewer", "platform_admin"):
        assert role in first.output
    again = CliRunner().invoke(main, ["demo", "--db", db, "--no-serve"])
    assert "using the events already" in again.output
    with ActivityLog(db) as log:
        assert log.total_events() == 1500
        owner = Accounts(log.store.engine).authenticate("ava.thompson@acme.example", DEMO_PASSWORD)
        assert owner.memberships == {"acme": "owner"}


def test_serve_answers_on_the_given_port(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'served.db'}"
    server = subprocess.Popen(
        [sys.executable, "-m", "activitylog", "serve", "--port", str(port), "--db", db],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/health")
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert reply.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/activity").status_code == 303
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert Path(tmp_path / "served.db").exists()
