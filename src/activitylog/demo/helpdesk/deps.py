"""FastAPI dependencies: the app's state, a database session per request, the signed-in
principal and role checks. Endpoints commit explicitly with :func:`commit`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol, TypeVar

import sqlalchemy.exc
from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from activitylog.capture.sqlalchemy import Tracker
from activitylog.client import ActivityLog
from activitylog.demo.helpdesk.auth import COOKIE, Passwords, Principal, principal_for
from activitylog.demo.helpdesk.database import begin_writing

#: The most rows a list endpoint returns (newest first).
PAGE = 50
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Roles allowed to change the workspace's configuration (teams, webhooks, settings …).
ADMINS = frozenset({"owner", "admin", "platform_admin"})
#: Roles allowed to work the inbox and contacts.
AGENTS = ADMINS | {"member"}


@dataclass(frozen=True)
class Helpdesk:
    """What every request needs: the log, the database, the clock (naive UTC)."""

    log: ActivityLog
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    secure_cookies: bool
    tracker: Tracker
    passwords: Passwords


def helpdesk(request: Request) -> Helpdesk:
    state: Helpdesk = request.app.state.helpdesk
    return state


def database(request: Request, app: Annotated[Helpdesk, Depends(helpdesk)]) -> Iterator[Session]:
    """A session for one request; what it did not commit is rolled back. A request that
    may write starts with the write lock (see :mod:`~activitylog.demo.helpdesk.database`)."""
    with app.sessions() as db:
        if request.method not in SAFE_METHODS:
            begin_writing(db)
        yield db


Db = Annotated[Session, Depends(database)]
App = Annotated[Helpdesk, Depends(helpdesk)]


def signed_in(request: Request, db: Db) -> Principal:
    principal = principal_for(db, request.cookies.get(COOKIE))
    if principal is None or principal.workspace is None:
        raise HTTPException(401, "sign in first")
    return principal


Signed = Annotated[Principal, Depends(signed_in)]


def _requiring(roles: frozenset[str]) -> Callable[[Principal], Principal]:
    def check(principal: Signed) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"needs one of the roles {', '.join(sorted(roles))}")
        return principal

    return check


Agent = Annotated[Principal, Depends(_requiring(AGENTS))]
Admin = Annotated[Principal, Depends(_requiring(ADMINS))]


def commit(db: Session) -> None:
    """Commit the request's changes; a broken constraint is a 409 and nothing is kept."""
    try:
        db.commit()
    except sqlalchemy.exc.IntegrityError:
        db.rollback()
        raise HTTPException(409, "conflicts with an existing record") from None


class _Owned(Protocol):
    @property
    def workspace_id(self) -> str: ...


Owned = TypeVar("Owned", bound=_Owned)


def owned(db: Session, model: type[Owned], record_id: object, principal: Principal) -> Owned:
    """The ``model`` row with ``record_id`` in the principal's workspace; else a 404
    (another workspace's records do not exist, as far as a request can tell)."""
    record = db.get(model, record_id)
    if record is None or record.workspace_id != principal.workspace:
        raise HTTPException(404, f"no such {model.__name__.lower()}")
    return record
