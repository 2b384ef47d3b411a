"""The helpdesk's tables (SQLAlchemy 2 declarative).

Every table is prefixed ``hd_`` because the example shares its database with the log
(``events``, ``users``, ``memberships`` … belong to activitylog). Times are naive UTC
``DateTime`` values: SQLite keeps no time zone, and the app compares them with its clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Workspace(Base):
    __tablename__ = "hd_workspaces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class WorkspaceSettings(Base):
    """One row per workspace: what its admins change on the settings page."""

    __tablename__ = "hd_workspace_settings"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: ``{"days": ["mon", …], "start": "09:00", "end": "17:00"}``
    business_hours: Mapped[dict[str, Any]]
    auto_close_days: Mapped[int] = mapped_column(default=7)
    #: What the mail provider sends with inbound email (``X-Inbound-Token``).
    inbound_token: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class User(Base):
    __tablename__ = "hd_users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(Base):
    """A user's role in a workspace: owner, admin, member or viewer."""

    __tablename__ = "hd_memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("hd_users.id"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="memberships")


class AppSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored.
    While a platform admin impersonates someone, ``acting_user_id`` is that person."""

    __tablename__ = "hd_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("hd_users.id"))
    workspace_id: Mapped[str | None] = mapped_column(ForeignKey("hd_workspaces.id"))
    acting_user_id: Mapped[str | None] = mapped_column(ForeignKey("hd_users.id"))
    impersonation_reason: Mapped[str | None] = mapped_column(String(200))
    impersonation_started_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Contact(Base):
    __tablename__ = "hd_contacts"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    #: Deleting a contact deletes its conversations (and their messages and notes).
    conversations: Mapped[list[Conversation]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="Conversation.id"
    )


class Conversation(Base):
    """A customer conversation: open, snoozed (until a time) or resolved."""

    __tablename__ = "hd_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("hd_contacts.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("hd_users.id"))
    snoozed_until: Mapped[datetime | None]
    #: When an agent last replied (what the inbox sorts "waiting on us" by).
    last_replied_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    contact: Mapped[Contact] = relationship(back_populates="conversations")
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Message.id"
    )
    notes: Mapped[list[Note]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Note.id"
    )


class Message(Base):
    """A message in a conversation: from the contact (``author_id`` None) or a reply."""

    __tablename__ = "hd_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("hd_conversations.id"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("hd_users.id"))
    channel: Mapped[str] = mapped_column(String(16), default="email")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Note(Base):
    """An internal note on a conversation, seen by the team only."""

    __tablename__ = "hd_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("hd_conversations.id"))
    author_id: Mapped[str] = mapped_column(ForeignKey("hd_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    conversation: Mapped[Conversation] = relationship(back_populates="notes")


team_members = Table(
    "hd_team_members",
    Base.metadata,
    Column("team_id", ForeignKey("hd_teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("hd_users.id"), primary_key=True),
)


class Team(Base):
    """A group of agents (many-to-many with users) led by one of them."""

    __tablename__ = "hd_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("hd_users.id"))
    auto_assign: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    members: Mapped[list[User]] = relationship(secondary=team_members, order_by=User.id)


class Broadcast(Base):
    """A message to many contacts: draft -> scheduled -> sent."""

    __tablename__ = "hd_broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(64), default="All customers")
    channel: Mapped[str] = mapped_column(String(16), default="email")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    scheduled_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(ForeignKey("hd_users.id"))
    created_at: Mapped[datetime]


class Webhook(Base):
    """An outgoing webhook; ``secret`` signs its deliveries and never shows in the log."""

    __tablename__ = "hd_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("hd_workspaces.id"))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
