"""Outgoing webhooks: a URL, a signing secret, the events it wants, on or off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints
from sqlalchemy import select

from activitylog.demo.helpdesk.deps import Admin, App, Db, commit, owned
from activitylog.demo.helpdesk.models import Webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]
Topic = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    secret: Secret
    events: list[Topic] = Field(default_factory=lambda: ["*"], min_length=1, max_length=20)


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl | None = None
    secret: Secret | None = None
    events: list[Topic] | None = Field(default=None, min_length=1, max_length=20)
    enabled: bool | None = None


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """The secret is never sent back, only whether one is set."""
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "enabled": webhook.enabled,
        "has_secret": bool(webhook.secret),
    }


@router.get("")
def list_webhooks(db: Db, principal: Admin) -> list[dict[str, Any]]:
    rows = db.scalars(select(Webhook).where(Webhook.workspace_id == principal.workspace))
    return [webhook_json(w) for w in rows]


@router.post("", status_code=201)
def create_webhook(body: WebhookIn, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    webhook = Webhook(
        workspace_id=principal.workspace,
        url=str(body.url),
        secret=body.secret,
        events=sorted(set(body.events)),
        enabled=True,
        created_at=app.clock(),
    )
    db.add(webhook)
    commit(db)
    return webhook_json(webhook)


@router.patch("/{webhook_id}")
def update_webhook(webhook_id: int, body: WebhookPatch, db: Db, principal: Admin) -> dict[str, Any]:
    webhook = owned(db, Webhook, webhook_id, principal)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "url" in changes:
        changes["url"] = str(body.url)
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    for field, value in changes.items():
        setattr(webhook, field, value)
    commit(db)
    return webhook_json(webhook)


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: int, db: Db, principal: Admin) -> None:
    db.delete(owned(db, Webhook, webhook_id, principal))
    commit(db)
