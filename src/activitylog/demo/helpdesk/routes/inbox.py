"""The inbox: conversations with contacts, their replies and internal notes.

Each verb is its own endpoint (assign, resolve, reopen, snooze, reply), so the log can
name what happened rather than which columns moved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select

from activitylog.demo.helpdesk.auth import Principal, role_in
from activitylog.demo.helpdesk.deps import PAGE, Agent, App, Db, Signed, commit, owned
from activitylog.demo.helpdesk.models import Contact, Conversation, Message, Note, User

router = APIRouter(tags=["inbox"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Channel = Literal["email", "chat", "whatsapp"]
Status = Literal["open", "snoozed", "resolved"]


class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int
    subject: Subject
    body: Text
    channel: Channel = "email"


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: None unassigns.
    assignee_id: str | None


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: datetime


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Text
    channel: Channel = "email"


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Text


def conversation_json(conversation: Conversation, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": conversation.id,
        "contact_id": conversation.contact_id,
        "subject": conversation.subject,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "snoozed_until": _iso(conversation.snoozed_until),
        "last_replied_at": _iso(conversation.last_replied_at),
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
    }
    if full:
        out["messages"] = [message_json(m) for m in conversation.messages]
        out["notes"] = [note_json(n) for n in conversation.notes]
    return out


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "author_id": message.author_id,
        "channel": message.channel,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "conversation_id": note.conversation_id,
        "author_id": note.author_id,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


# -- conversations --------------------------------------------------------------------------
@router.get("/conversations")
def list_conversations(
    db: Db,
    principal: Signed,
    status: Annotated[Status | None, Query()] = None,
    assignee_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    query = select(Conversation).where(Conversation.workspace_id == principal.workspace)
    if status:
        query = query.where(Conversation.status == status)
    if assignee_id:
        query = query.where(Conversation.assignee_id == assignee_id)
    rows = db.scalars(query.order_by(Conversation.id.desc()).limit(PAGE))
    return [conversation_json(c) for c in rows]


@router.post("/conversations", status_code=201)
def start_conversation(body: ConversationIn, db: Db, app: App, principal: Agent) -> dict[str, Any]:
    """An agent starts a conversation with a contact (the first message is theirs)."""
    owned(db, Contact, body.contact_id, principal)
    now = app.clock()
    conversation = Conversation(
        workspace_id=principal.workspace,
        contact_id=body.contact_id,
        subject=body.subject,
        status="open",
        assignee_id=principal.user.id,
        created_at=now,
        updated_at=now,
    )
    conversation.messages.append(_message(principal, body.body, body.channel, now))
    db.add(conversation)
    commit(db)
    return conversation_json(conversation, full=True)


@router.get("/conversations/{conversation_id}")
def get_conversation(conversation_id: int, db: Db, principal: Signed) -> dict[str, Any]:
    return conversation_json(owned(db, Conversation, conversation_id, principal), full=True)


@router.post("/conversations/{conversation_id}/assign")
def assign(
    conversation_id: int, body: AssignIn, db: Db, app: App, principal: Agent
) -> dict[str, Any]:
    conversation = owned(db, Conversation, conversation_id, principal)
    if body.assignee_id is not None:
        assignee = db.get(User, body.assignee_id)
        if assignee is None or role_in(db, assignee, principal.workspace) not in _AGENT_ROLES:
            raise HTTPException(422, "the assignee is not an agent of this workspace")
    conversation.assignee_id = body.assignee_id
    return _saved(db, app.clock(), conversation)


@router.post("/conversations/{conversation_id}/resolve")
def resolve(conversation_id: int, db: Db, app: App, principal: Agent) -> dict[str, Any]:
    conversation = owned(db, Conversation, conversation_id, principal)
    if conversation.status == "resolved":
        raise HTTPException(409, "the conversation is resolved already")
    conversation.status, conversation.snoozed_until = "resolved", None
    return _saved(db, app.clock(), conversation)


@router.post("/conversations/{conversation_id}/reopen")
def reopen(conversation_id: int, db: Db, app: App, principal: Agent) -> dict[str, Any]:
    conversation = owned(db, Conversation, conversation_id, principal)
    if conversation.status == "open":
        raise HTTPException(409, "the conversation is open already")
    conversation.status, conversation.snoozed_until = "open", None
    return _saved(db, app.clock(), conversation)


@router.post("/conversations/{conversation_id}/snooze")
def snooze(
    conversation_id: int, body: SnoozeIn, db: Db, app: App, principal: Agent
) -> dict[str, Any]:
    conversation = owned(db, Conversation, conversation_id, principal)
    now = app.clock()
    until = _naive_utc(body.until)
    if until <= now:
        raise HTTPException(422, "snooze until a time in the future")
    if conversation.status == "resolved":
        raise HTTPException(409, "reopen the conversation before snoozing it")
    conversation.status, conversation.snoozed_until = "snoozed", until
    return _saved(db, now, conversation)


@router.post("/conversations/{conversation_id}/replies", status_code=201)
def reply(
    conversation_id: int, body: ReplyIn, db: Db, app: App, principal: Agent
) -> dict[str, Any]:
    """A reply to the contact (the conversation keeps its status)."""
    conversation = owned(db, Conversation, conversation_id, principal)
    now = app.clock()
    message = _message(principal, body.body, body.channel, now)
    conversation.messages.append(message)
    conversation.last_replied_at = conversation.updated_at = now
    commit(db)
    return message_json(message)


# -- notes ------------------------------------------------------------------------------------
@router.post("/conversations/{conversation_id}/notes", status_code=201)
def add_note(
    conversation_id: int, body: NoteIn, db: Db, app: App, principal: Agent
) -> dict[str, Any]:
    conversation = owned(db, Conversation, conversation_id, principal)
    now = app.clock()
    note = Note(
        workspace_id=principal.workspace,
        author_id=principal.user.id,
        body=body.body,
        created_at=now,
        updated_at=now,
    )
    conversation.notes.append(note)
    commit(db)
    return note_json(note)


@router.patch("/notes/{note_id}")
def edit_note(note_id: int, body: NoteIn, db: Db, app: App, principal: Agent) -> dict[str, Any]:
    note = _own_note(db, note_id, principal)
    if note.body != body.body:
        note.body, note.updated_at = body.body, app.clock()
    commit(db)
    return note_json(note)


@router.delete("/notes/{note_id}", status_code=204)
def delete_note(note_id: int, db: Db, principal: Agent) -> None:
    db.delete(_own_note(db, note_id, principal))
    commit(db)


_AGENT_ROLES = frozenset({"owner", "admin", "member"})


def _own_note(db: Db, note_id: int, principal: Principal) -> Note:
    note = owned(db, Note, note_id, principal)
    if note.author_id != principal.user.id and principal.role == "member":
        raise HTTPException(403, "members edit only their own notes")
    return note


def _message(principal: Principal, body: str, channel: str, now: datetime) -> Message:
    return Message(
        workspace_id=principal.workspace,
        author_id=principal.user.id,
        channel=channel,
        body=body,
        created_at=now,
    )


def _saved(db: Db, now: datetime, conversation: Conversation) -> dict[str, Any]:
    if db.is_modified(conversation):
        conversation.updated_at = now
    commit(db)
    return conversation_json(conversation)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
