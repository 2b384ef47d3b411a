"""Inbound email: the mail provider posts each customer email here. No one is signed in,
so what it creates is recorded as done by System."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select

from activitylog.demo.helpdesk.deps import App, Db, commit
from activitylog.demo.helpdesk.models import Contact, Conversation, Message, WorkspaceSettings

router = APIRouter(prefix="/inbound", tags=["inbound"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class InboundEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: Line
    from_email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    ]
    from_name: Line
    subject: Line
    body: Text
    #: A reply to a conversation (the helpdesk's reply-to address carries its id).
    conversation_id: int | None = None


@router.post("/email", status_code=201)
def receive_email(
    body: InboundEmail,
    db: Db,
    app: App,
    x_inbound_token: Annotated[str, Header(max_length=200)],
) -> dict[str, Any]:
    """File the email: a new contact when the sender is unknown, a new conversation unless
    it answers one (which reopens it when resolved or snoozed)."""
    settings = db.get(WorkspaceSettings, body.workspace)
    if settings is None or not hmac.compare_digest(settings.inbound_token, x_inbound_token):
        raise HTTPException(401, "unknown workspace or token")
    now = app.clock()
    email = body.from_email.lower()
    contact = db.scalar(
        select(Contact).where(
            Contact.workspace_id == body.workspace, func.lower(Contact.email) == email
        )
    )
    if contact is None:
        contact = Contact(
            workspace_id=body.workspace,
            name=body.from_name,
            email=email,
            tags=[],
            created_at=now,
            updated_at=now,
        )
        db.add(contact)
    conversation = db.get(Conversation, body.conversation_id) if body.conversation_id else None
    if conversation is not None and conversation.contact_id != contact.id:
        conversation = None  # not this sender's: start a new one
    if conversation is None:
        conversation = Conversation(
            workspace_id=body.workspace,
            contact=contact,
            subject=body.subject,
            status="open",
            created_at=now,
            updated_at=now,
        )
        db.add(conversation)
    elif conversation.status != "open":
        conversation.status, conversation.snoozed_until = "open", None
        conversation.updated_at = now
    conversation.messages.append(
        Message(workspace_id=body.workspace, channel="email", body=body.body, created_at=now)
    )
    commit(db)
    return {"contact_id": contact.id, "conversation_id": conversation.id}
