"""A web app over a seeded log, with a person for every role and API keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from starlette.testclient import TestClient

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings
from activitylog.web.app import create_app
from activitylog.web.state import AppState

PASSWORD = "correct horse battery"
#: email -> (user id, workspace, role); "" workspace for platform admins.
PEOPLE = {
    "ava.thompson@acme.example": ("u_ava", "acme", "owner"),
    "ben.ortiz@acme.example": ("u_ben", "acme", "admin"),
    "diego.alvarez@acme.example": ("u_diego", "acme", "member"),
    "ivan.petrov@acme.example": ("u_ivan", "acme", "viewer"),
    "jonas.weber@globex.example": ("u_jonas", "globex", "owner"),
    "sam.rivera@helpdesk.example": ("u_sam", "", "platform_admin"),
}
EMAIL_BY_ROLE = {role: email for email, (_, ws, role) in PEOPLE.items() if ws in ("", "acme")}


@dataclass
class World:
    app: FastAPI
    state: AppState
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None) -> TestClient:
        """A client signed in as the acme person with ``role`` (None: anonymous)."""
        client = TestClient(self.app, raise_server_exceptions=False)
        if role is not None:
            sign_in(client, EMAIL_BY_ROLE[role])
        return client

    def bearer(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the sign-in form carries a CSRF token"
    reply = client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text


def csrf_of(client: TestClient) -> str:
    page = client.get("/activity")
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match, "the page carries the session's CSRF token"
    return match.group(1)


def build_world(
    root: Path, events: int, db: str | None = None, accounts_db: str | None = None
) -> World:
    """The app over ``events`` seeded entries in ``db`` (default: SQLite under ``root``),
    its accounts in ``accounts_db`` (default: the same database)."""
    settings = Settings(
        db=db or f"sqlite:///{root / 'log.db'}",
        accounts_db=accounts_db,
        signing_key=root / "signing-key.pem",
        secret_key=root / "secret-key",
        checkpoint_every=50,
        followers=False,  # tests step followers themselves (and fuzzed streams go nowhere)
    )
    log = ActivityLog(settings.db, settings=settings)
    batch: list[dict[str, object]] = []
    for event in generate_events(events, days=30):
        batch.append(event)
        if len(batch) == 1000:
            log.record_many(batch)
            batch = []
    if batch:
        log.record_many(batch)
    app = create_app(settings, log=log)
    state: AppState = app.state.activitylog
    for email, (user_id, workspace, role) in PEOPLE.items():
        platform = role == "platform_admin"
        state.accounts.add_user(
            email,
            name=email.split("@")[0].replace(".", " ").title(),  # as the seed names them
            password=PASSWORD,
            user_id=user_id,
            workspace=None if platform else workspace,
            role=None if platform else role,
            platform_admin=platform,
        )
    # acme lets everyone see their own activity (seed 001); globex keeps the default, a log
    # for owners and admins only (seeds 002, 003).
    state.accounts.change_workspace_settings("acme", {"log_access": "own"}, by="setup")
    world = World(app, state)
    for name, workspace, scope in (
        ("acme_ingest", "acme", "ingest"),
        ("acme_read", "acme", "read"),
        ("globex_read", "globex", "read"),
        ("platform_ingest", None, "ingest"),
        ("platform_read", None, "read"),
    ):
        _key, secret = state.accounts.create_key(workspace=workspace, scope=scope, name=name)
        world.keys[name] = secret
    return world
