"""Background work: send scheduled broadcasts, wake snoozed conversations, close quiet
ones. Run by a scheduler (every few minutes in production; by the demo's simulated clock
here), each workspace inside :func:`~activitylog.capture.context.system_job`, so what the
jobs change is recorded as done by the "Scheduler" system actor."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from activitylog.capture.context import system_job
from activitylog.demo.helpdesk.database import begin_writing
from activitylog.demo.helpdesk.deps import Helpdesk
from activitylog.demo.helpdesk.models import (
    Broadcast,
    Contact,
    Conversation,
    WorkspaceSettings,
)

ACTOR = "Scheduler"


def run_due(helpdesk: Helpdesk) -> int:
    """Do what is due in every workspace; returns how many records changed."""
    now = helpdesk.clock()
    with helpdesk.sessions() as db:
        workspaces = list(db.scalars(select(WorkspaceSettings)))
    changed = 0
    for settings in workspaces:
        with system_job(helpdesk.log, settings.workspace_id, name=ACTOR), helpdesk.sessions() as db:
            begin_writing(db)
            changed += _send_broadcasts(db, settings.workspace_id, now)
            changed += _wake_snoozed(db, settings.workspace_id, now)
            changed += _close_quiet(db, settings, now)
            db.commit()
    return changed


def _send_broadcasts(db: Session, workspace: str, now: datetime) -> int:
    due = list(
        db.scalars(
            select(Broadcast).where(
                Broadcast.workspace_id == workspace,
                Broadcast.status == "scheduled",
                Broadcast.scheduled_at <= now,
            )
        )
    )
    if due:
        recipients = db.scalar(
            select(func.count())
            .select_from(Contact)
            .where(Contact.workspace_id == workspace, Contact.email.is_not(None))
        )
        for broadcast in due:
            broadcast.status, broadcast.sent_at = "sent", now
            broadcast.recipients = recipients or 0
    return len(due)


def _wake_snoozed(db: Session, workspace: str, now: datetime) -> int:
    due = list(
        db.scalars(
            select(Conversation).where(
                Conversation.workspace_id == workspace,
                Conversation.status == "snoozed",
                Conversation.snoozed_until <= now,
            )
        )
    )
    for conversation in due:
        conversation.status, conversation.snoozed_until = "open", None
        conversation.updated_at = now
    return len(due)


def _close_quiet(db: Session, settings: WorkspaceSettings, now: datetime) -> int:
    """Resolve open conversations nobody touched for the workspace's auto-close days."""
    cutoff = now - timedelta(days=settings.auto_close_days)
    quiet = list(
        db.scalars(
            select(Conversation).where(
                Conversation.workspace_id == settings.workspace_id,
                Conversation.status == "open",
                Conversation.updated_at < cutoff,
            )
        )
    )
    for conversation in quiet:
        conversation.status, conversation.updated_at = "resolved", now
    return len(quiet)
