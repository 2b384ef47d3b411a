"""``activitylog demo`` and ``activitylog serve``."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.cli import main
from activitylog.demo import DEMO_PASSWORD
from followers._support import wait_until_followed


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


# -- the followers' child process ---------------------------------------------------------
on_linux = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds child processes through /proc"
)


def _state_and_parent(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent's id from /proc, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, parent = stat.rpartition(")")[2].split()[:2]  # after "pid (comm)"
    return state, int(parent)


def _gone(pid: int) -> bool:
    found = _state_and_parent(pid)
    return found is None or found[0] == "Z"  # a zombie, left for init to reap


def _follower_children(pid: int) -> list[int]:
    """``pid``'s live children started by multiprocessing's spawn (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        known = _state_and_parent(int(entry.name)) if entry.name.isdigit() else None
        if known is None or known[1] != pid or known[0] == "Z":
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def _until(done: Callable[[], bool], seconds: float, failure: Callable[[], str]) -> None:
    """Poll ``done`` until it holds; fail with ``failure()`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, failure()
        time.sleep(0.05)


def _one_child(server: subprocess.Popen[bytes], seconds: float = 10) -> int:
    _until(
        lambda: len(_follower_children(server.pid)) == 1,
        seconds,
        lambda: f"serve has these follower processes: {_follower_children(server.pid)}",
    )
    return _follower_children(server.pid)[0]


def _serve(
    tmp_path: Path, env: dict[str, str], **settings: str
) -> tuple[subprocess.Popen[bytes], str, str]:
    """``activitylog serve`` on a free port with ``ACTIVITYLOG_<NAME>`` ``settings``, on a
    new SQLite log with an ingest key for acme: the server, its URL and the key."""
    db = f"sqlite:///{tmp_path / 'served.db'}"
    with ActivityLog(db) as log:
        _key, secret = Accounts(log.store.engine).create_key(workspace="acme", scope="ingest")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "activitylog", "serve", "--port", str(port), "--db", db],
        env={**os.environ, **env, **{f"ACTIVITYLOG_{k.upper()}": v for k, v in settings.items()}},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_for(port, server)
    return server, f"http://127.0.0.1:{port}", secret


def _record_and_follow(tmp_path: Path, url: str, secret: str, n: int) -> None:
    """Record ``n`` events through the server, and wait until its followers have them
    (read from the database: nothing here reads through the server)."""
    events = [{"workspace": "acme", "action": "contact.updated"}] * n
    headers = {"Authorization": f"Bearer {secret}"}
    reply = httpx.post(f"{url}/api/v1/events", json={"events": events}, headers=headers)
    assert reply.status_code == 201, reply.text
    with ActivityLog(f"sqlite:///{tmp_path / 'served.db'}") as log:
        wait_until_followed(log, n)


def _stop(server: subprocess.Popen[bytes]) -> str:
    """SIGTERM, and serve's log once it has exited."""
    server.terminate()
    return server.communicate(timeout=30)[1].decode()


@on_linux
@pytest.mark.slow
def test_serve_follows_in_a_child_process_and_stops_it_on_sigterm(
    tmp_path: Path, env: dict[str, str]
) -> None:
    server, url, secret = _serve(tmp_path, env)
    try:
        child = _one_child(server)
        _record_and_follow(tmp_path, url, secret, 20)
    finally:
        stderr = _stop(server)
    assert server.returncode == 0, stderr
    assert _gone(child)
    assert f"activitylog follow started (pid {child})" in stderr
    assert f"activitylog follow (pid {child}) exited with code 0" in stderr


@on_linux
@pytest.mark.slow
def test_serve_starts_its_child_again_when_it_is_killed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    server, url, secret = _serve(tmp_path, env)
    try:
        first = _one_child(server)
        os.kill(first, signal.SIGKILL)
        _until(
            lambda: _follower_children(server.pid) not in ([], [first]),
            10,
            lambda: "serve did not start its child again",
        )
        children = _follower_children(server.pid)
        _record_and_follow(tmp_path, url, secret, 10)
    finally:
        stderr = _stop(server)
    assert server.returncode == 0, stderr
    assert f"activitylog follow (pid {first}) was killed by SIGKILL" in stderr
    assert f"activitylog follow started (pid {children[0]})" in stderr


@on_linux
@pytest.mark.slow
def test_the_child_exits_by_itself_when_serve_is_killed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    server, _url, _secret = _serve(tmp_path, env)
    try:
        child = _one_child(server)
    finally:
        server.kill()
        server.communicate(timeout=30)
    _until(lambda: _gone(child), 5, lambda: "the child outlived serve")


@on_linux
@pytest.mark.slow
def test_follower_process_false_runs_them_in_threads_of_the_server(
    tmp_path: Path, env: dict[str, str]
) -> None:
    server, url, secret = _serve(tmp_path, env, follower_process="false")
    try:
        _record_and_follow(tmp_path, url, secret, 20)
        assert _follower_children(server.pid) == []
    finally:
        stderr = _stop(server)
    assert server.returncode == 0, stderr
    assert "activitylog follow" not in stderr


@on_linux
@pytest.mark.slow
@pytest.mark.clickhouse
def test_serve_on_chdb_runs_the_followers_in_its_own_process(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """chdb's directory is one process's: a follower child could never open the log (it
    would be refused, and started again, for ever); serve runs them itself."""
    db = f"chdb://{tmp_path / 'ch'}"
    create = ["keys", "create", "--workspace", "acme", "--scope", "ingest"]
    made = subprocess.run(
        [sys.executable, "-m", "activitylog", "--db", db, *create],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    secret = re.findall(r"alk_\S+", made.stdout)[-1]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "activitylog", "serve", "--port", str(port), "--db", db],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, server)
        events = [{"workspace": "acme", "action": "contact.updated"}] * 5
        reply = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/events",
            json={"events": events},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert reply.status_code == 201, reply.text
        side = tmp_path / "ch" / "activitylog.side.db"  # SQLite: readable beside the server

        def followed() -> bool:
            with sqlite3.connect(side) as conn:
                rows = conn.execute(
                    "SELECT seq FROM follower_cursors WHERE workspace = 'acme'"
                ).fetchall()
            return bool(rows) and min(seq for (seq,) in rows) == 5

        _until(followed, 30, lambda: "the followers did not follow the log")
        assert _follower_children(server.pid) == []
    finally:
        stderr = _stop(server)
    assert server.returncode == 0, stderr
    assert "activitylog follow" not in stderr


def test_serve_takes_follower_process_from_the_flag_over_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]
) -> None:
    from activitylog.cli import server

    ran: list[tuple[bool, bool]] = []
    monkeypatch.setattr(
        server, "_run", lambda s, log: ran.append((s.followers, s.follower_process))
    )
    db = f"sqlite:///{tmp_path / 'served.db'}"
    for args in ([], ["--no-follower-process"], ["--no-followers"]):
        assert CliRunner().invoke(main, ["serve", "--db", db, *args]).exit_code == 0
    monkeypatch.setenv("ACTIVITYLOG_FOLLOWER_PROCESS", "false")
    for args in ([], ["--follower-process"]):
        assert CliRunner().invoke(main, ["serve", "--db", db, *args]).exit_code == 0
    assert ran == [(True, True), (True, False), (False, True), (True, False), (True, True)]
