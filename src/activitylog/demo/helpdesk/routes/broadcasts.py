"""Broadcasts: a message to many contacts, drafted, scheduled, then sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select

from activitylog.demo.helpdesk.deps import Admin, App, Db, Signed, commit, owned
from activitylog.demo.helpdesk.models import Broadcast, Contact

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Audience = Literal["All customers", "Trials", "VIP customers", "Churned"]
Channel = Literal["email", "app"]


class BroadcastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body
    audience: Audience = "All customers"
    channel: Channel = "email"


class BroadcastPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    audience: Audience | None = None
    channel: Channel | None = None


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime


def broadcast_json(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "id": broadcast.id,
        "title": broadcast.title,
        "audience": broadcast.audience,
        "channel": broadcast.channel,
        "status": broadcast.status,
        "scheduled_at": broadcast.scheduled_at.isoformat() if broadcast.scheduled_at else None,
        "sent_at": broadcast.sent_at.isoformat() if broadcast.sent_at else None,
        "recipients": broadcast.recipients,
    }


@router.get("")
def list_broadcasts(db: Db, principal: Signed) -> list[dict[str, Any]]:
    rows = db.scalars(select(Broadcast).where(Broadcast.workspace_id == principal.workspace))
    return [broadcast_json(b) for b in rows]


@router.post("", status_code=201)
def draft_broadcast(body: BroadcastIn, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    broadcast = Broadcast(
        workspace_id=principal.workspace,
        **body.model_dump(),
        status="draft",
        created_by=principal.user.id,
        created_at=app.clock(),
    )
    db.add(broadcast)
    commit(db)
    return broadcast_json(broadcast)


@router.patch("/{broadcast_id}")
def edit_broadcast(
    broadcast_id: int, body: BroadcastPatch, db: Db, principal: Admin
) -> dict[str, Any]:
    broadcast = _unsent(db, broadcast_id, principal)
    for field, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(broadcast, field, value)
    commit(db)
    return broadcast_json(broadcast)


@router.post("/{broadcast_id}/schedule")
def schedule_broadcast(
    broadcast_id: int, body: ScheduleIn, db: Db, app: App, principal: Admin
) -> dict[str, Any]:
    broadcast = _unsent(db, broadcast_id, principal)
    at = body.at.astimezone(UTC).replace(tzinfo=None) if body.at.tzinfo else body.at
    if at <= app.clock():
        raise HTTPException(422, "schedule for a time in the future")
    broadcast.status, broadcast.scheduled_at = "scheduled", at
    commit(db)
    return broadcast_json(broadcast)


@router.post("/{broadcast_id}/send")
def send_broadcast(broadcast_id: int, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    """Send now (a scheduled one too). Recipients: the workspace's contacts with an email."""
    broadcast = _unsent(db, broadcast_id, principal)
    recipients = db.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.workspace_id == principal.workspace, Contact.email.is_not(None))
    )
    broadcast.status, broadcast.sent_at = "sent", app.clock()
    broadcast.recipients = recipients or 0
    commit(db)
    return broadcast_json(broadcast)


@router.delete("/{broadcast_id}", status_code=204)
def delete_broadcast(broadcast_id: int, db: Db, principal: Admin) -> None:
    db.delete(_unsent(db, broadcast_id, principal))
    commit(db)


def _unsent(db: Db, broadcast_id: int, principal: Any) -> Broadcast:
    broadcast = owned(db, Broadcast, broadcast_id, principal)
    if broadcast.status == "sent":
        raise HTTPException(409, "the broadcast was sent already")
    return broadcast
