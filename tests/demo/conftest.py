"""The example helpdesk on a fresh database shared with its log, and a small cast."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from activitylog import ActivityLog
from activitylog.demo.helpdesk import close, create_app
from activitylog.demo.helpdesk.auth import Passwords
from activitylog.demo.helpdesk.deps import Helpdesk
from activitylog.demo.helpdesk.provisioning import add_member, add_user, add_workspace
from activitylog.settings import Settings

PASSWORD = "correct horse battery"
PROXY = ("10.0.0.2", 44_312)
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
#: (id, name, email, workspace, role); workspace None: a platform admin.
CAST = (
    ("u_ava", "Ava Thompson", "ava@acme.example", "acme", "owner"),
    ("u_ben", "Ben Ortiz", "ben@acme.example", "acme", "member"),
    ("u_ivan", "Ivan Petrov", "ivan@acme.example", "acme", "viewer"),
    ("u_jonas", "Jonas Weber", "jonas@globex.example", "globex", "owner"),
    ("u_sam", "Sam Rivera", "sam@helpdesk.example", None, "platform_admin"),
)


class Clock:
    """The app's clock (naive UTC), moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Desk:
    """The app, its log and clock, and its state (database sessions, tracker)."""

    app: FastAPI
    log: ActivityLog
    clock: Clock
    state: Helpdesk

    def browser(self, ip: str = "203.0.113.9", agent: str = FIREFOX) -> TestClient:
        """A browser behind the trusted proxy, from ``ip``."""
        return TestClient(
            self.app, client=PROXY, headers={"x-forwarded-for": ip, "user-agent": agent}
        )

    def signed_in(self, email: str, workspace: str = "acme", **browser: str) -> TestClient:
        client = self.browser(**browser)
        reply = client.post(
            "/auth/sign-in", json={"email": email, "password": PASSWORD, "workspace": workspace}
        )
        assert reply.status_code == 200, reply.text
        return client

    def events(self, workspace: str = "acme", **filters: Any) -> list[dict[str, Any]]:
        """The workspace's events, oldest first."""
        return list(self.log.export(workspace=workspace, order="time", **filters))

    def head(self, workspace: str = "acme") -> int:
        """The workspace's newest seq, to find what a request adds."""
        head = self.log.store.head(workspace)
        return head.seq if head else 0

    def since(self, seq: int, workspace: str = "acme") -> list[dict[str, Any]]:
        """The workspace's events after ``seq``, oldest first."""
        return [e for e in self.events(workspace) if e["seq"] > seq]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    settings = Settings(signing_key=tmp_path / "signing-key.pem", secret_key=tmp_path / "secret")
    log = ActivityLog(f"sqlite:///{tmp_path / 'helpdesk.db'}", settings=settings)
    clock = Clock()
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    app = create_app(log, trusted_proxies=["10.0.0.0/8"], clock=clock, passwords=passwords)
    state = app.state.helpdesk
    with state.sessions() as db:
        for workspace, name in (("acme", "Acme Corp"), ("globex", "Globex GmbH")):
            add_workspace(db, workspace, name, timezone="America/New_York", now=clock())
        for user_id, name, email, workspace, role in CAST:
            user = add_user(
                db,
                user_id=user_id,
                name=name,
                email=email,
                password_hash=passwords.hash(PASSWORD),
                now=clock(),
                platform_admin=workspace is None,
            )
            if workspace is not None:
                add_member(db, user, workspace, role, clock())
        db.commit()
    yield Desk(app, log, clock, state)
    close(app)
    log.close()
