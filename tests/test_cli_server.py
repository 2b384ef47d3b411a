"""``activitylog demo`` and ``activitylog serve``."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

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
        # the seeded events, each workspace's 90 days of retention (set once, recorded),
        # and the alerts the rules raised over the story (once)
        raised = log.count(events=["alert.raised"])
        assert raised > 0
        assert log.total_events() == 1500 + 3 + raised
        owner = Accounts(log.store.engine).authenticate("ava.thompson@acme.example", DEMO_PASSWORD)
        assert owner.memberships == {"acme": "owner"}


def test_demo_keeps_its_accounts_where_accounts_db_says(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    accounts_db = f"sqlite:///{tmp_path / 'accounts.db'}"
    args = ["demo", "--db", db, "--accounts-db", accounts_db, "--events", "100", "--no-serve"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    with Accounts.open(accounts_db) as accounts:
        owner = accounts.authenticate("ava.thompson@acme.example", DEMO_PASSWORD)
        assert owner.memberships == {"acme": "owner"}
        assert accounts.workspace_settings("acme").retention_days == 90
    with ActivityLog(db) as log, log.store.engine.connect() as conn:
        assert not inspect(conn).has_table("users")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health")
            return
        except httpx.TransportError:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def test_demo_lists_its_accounts_on_the_sign_in_page(tmp_path: Path, env: dict[str, str]) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "activitylog",
            "demo",
            "--db",
            db,
            "--events",
            "200",
            "--port",
            str(port),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, server, seconds=180)  # a sign-in per seeded person: argon2 hashes
        page = httpx.get(f"http://127.0.0.1:{port}/signin").text
        rows = re.findall(r"<tr><td>([a-z ]+)</td><td><code[^>]*>([^<]+)</code></td></tr>", page)
        assert [role for role, _ in rows] == [
            "owner", "admin", "member", "viewer", "platform admin"
        ]  # fmt: skip
        assert ("owner", "ava.thompson@acme.example") in rows
        assert f'Password for each: <code class="code">{DEMO_PASSWORD}</code>' in page
    finally:
        server.terminate()
        server.communicate(timeout=30)
    with ActivityLog(db) as log:
        accounts = Accounts(log.store.engine)
        for _, email in rows:  # every account listed signs in
            assert accounts.authenticate(email, DEMO_PASSWORD).email == email


def test_serve_answers_on_the_given_port(tmp_path: Path, env: dict[str, str]) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path / 'served.db'}"
    server = subprocess.Popen(
        [sys.executable, "-m", "activitylog", "serve", "--port", str(port), "--db", db],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, server)
        reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/health")
        assert reply.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/activity").status_code == 303
        assert "Demo accounts" not in httpx.get(f"http://127.0.0.1:{port}/signin").text
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert Path(tmp_path / "served.db").exists()
