"""The ASGI application: ``create_app()`` wires the log, the accounts, the API, the pages
and the security headers. ``activitylog serve`` runs it with uvicorn::

    uvicorn --factory activitylog.web.app:create_app
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from activitylog import __version__
from activitylog.accounts.secret import load_or_create_secret
from activitylog.checkpointer import Checkpointer
from activitylog.client import ActivityLog
from activitylog.config import load_settings
from activitylog.delivery import Sender
from activitylog.exporter import Exporter
from activitylog.followers import FollowerRunner
from activitylog.purger import Purger
from activitylog.settings import Settings
from activitylog.web import (
    alert_channels_api,
    alerts_api,
    alerts_page,
    api,
    docs,
    errors,
    openapi,
    pages,
    security,
    signin,
    streams_api,
    workspace_settings,
)
from activitylog.web.audit import ReadAudit
from activitylog.web.head import HeadAsGet
from activitylog.web.state import AppState

if TYPE_CHECKING:
    from activitylog.demo import DemoAccount

STATIC = Path(__file__).parent / "static"
DESCRIPTION = """Send events, read them with every filter of the Activity Log page, export,
delete (owners) and verify integrity. Authenticate with `Authorization: Bearer <API key>`
(`activitylog keys create`) or a viewer token; the web page uses its session cookie."""


def create_app(
    settings: Settings | None = None,
    *,
    log: ActivityLog | None = None,
    demo_accounts: Sequence[DemoAccount] = (),
) -> FastAPI:
    """The application for ``settings`` (default: flags-free :func:`load_settings`); with
    ``demo_accounts`` (demo mode) the sign-in page lists them, passwords included."""
    settings = settings or load_settings()
    owned = log is None
    log = log or ActivityLog(settings.db, settings=settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer(log, settings.checkpoint_seconds)
        purger = Purger(log)  # hourly, by each workspace's retention
        checkpointer.start()
        purger.start()
        exporter = Exporter(log)  # each workspace's scheduled exports, as periods close
        exporter.start()
        followers = FollowerRunner(log) if settings.followers else None
        if followers is not None:  # alert rules, alert delivery, streams
            followers.start()
        sender = Sender(log) if settings.followers else None  # alerts' deliveries, retried
        if sender is not None:
            sender.start()
        try:
            yield
        finally:
            if sender is not None:
                sender.stop()
            if followers is not None:
                followers.stop()
            exporter.stop()
            purger.stop()
            checkpointer.stop()  # the last heads are kept (and witnessed) at shutdown
            if owned:  # a log handed in belongs to the caller
                log.close()

    app = FastAPI(
        lifespan=lifespan,
        title="activitylog",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.activitylog = AppState(
        settings=settings,
        log=log,
        accounts=log.accounts(),
        secret=load_or_create_secret(settings.secret_key),
        audit=ReadAudit(log),
        demo_accounts=tuple(demo_accounts),
    )
    security.install(app, settings)
    app.add_middleware(HeadAsGet)
    errors.install(app)
    app.mount(
        "/static/swagger",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger",
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(signin.router)
    app.include_router(workspace_settings.router)
    app.include_router(alert_channels_api.router)  # before /alerts/{alert_id}
    app.include_router(alerts_api.router)
    app.include_router(streams_api.router)
    app.include_router(pages.router)
    app.include_router(alerts_page.router)
    app.include_router(docs.router)
    openapi.install(app, log.catalog)
    return app
