"""The helpdesk's FastAPI app factory.

    from activitylog import ActivityLog
    from activitylog.demo.helpdesk import create_app

    log = ActivityLog("sqlite:///helpdesk.db")
    app = create_app(log, trusted_proxies=["10.0.0.0/8"])   # the log's database, by default

The app creates its tables (``hd_*``) when missing. ``clock`` (naive UTC) stamps the app's
own rows: the demo runs the app in simulated time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from activitylog.capture.asgi import ActivityLogMiddleware
from activitylog.client import ActivityLog
from activitylog.demo.helpdesk import database
from activitylog.demo.helpdesk.auth import Passwords
from activitylog.demo.helpdesk.deps import Helpdesk
from activitylog.demo.helpdesk.instrumentation import identifier, start_tracking
from activitylog.demo.helpdesk.models import Base
from activitylog.demo.helpdesk.routes import (
    broadcasts,
    contacts,
    inbound,
    inbox,
    sessions,
    settings,
    teams,
    webhooks,
)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_app(
    log: ActivityLog,
    *,
    database_url: str | None = None,
    trusted_proxies: Iterable[str] = (),
    clock: Callable[[], datetime] = utc_now,
    secure_cookies: bool = False,
    passwords: Passwords | None = None,
) -> FastAPI:
    """The helpdesk on ``database_url`` (default: the log's own database, so changes and
    their events commit together), recording into ``log``. ``trusted_proxies``: the
    reverse proxies whose ``X-Forwarded-For`` names the client. Call :func:`close` (or run
    the app's lifespan) to stop recording and release the database. ``passwords``: the
    hasher (default argon2id's standard cost)."""
    engine = database.create(database_url or log.url)
    Base.metadata.create_all(engine)
    db_sessions = sessionmaker(engine, expire_on_commit=False)
    state = Helpdesk(
        log=log,
        sessions=db_sessions,
        clock=clock,
        secure_cookies=secure_cookies,
        tracker=start_tracking(log, db_sessions),
        passwords=passwords or Passwords(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            close(app)

    app = FastAPI(title="Helpdesk (activitylog example)", lifespan=lifespan)
    app.state.helpdesk = state
    for module in (
        sessions,
        contacts,
        inbox,
        inbound,
        teams,
        broadcasts,
        webhooks,
        settings,
    ):
        app.include_router(module.router)
    app.add_middleware(
        ActivityLogMiddleware,
        log=log,
        identify=identifier(db_sessions),
        trusted_proxies=list(trusted_proxies),
    )
    return app


def close(app: FastAPI) -> None:
    """Stop recording and close the app's database connections (the log stays open)."""
    state: Helpdesk = app.state.helpdesk
    state.tracker.stop()
    engine = state.sessions.kw.get("bind")
    if engine is not None:
        engine.dispose()
