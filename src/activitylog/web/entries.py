"""One entry of the log as the page shows it: a table :class:`Row`, or the :class:`Detail`
of the side panel. Built from the event dict with :mod:`activitylog.web.presenters`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activitylog.chain import DELETION_ACTION
from activitylog.entry_check import EntryCheck
from activitylog.web.locations import LocationView, location_view
from activitylog.web.presenters import (
    Badge,
    DiffRow,
    FieldRow,
    LocalTime,
    Person,
    SubjectView,
    category_badge,
    device_text,
    diff_rows,
    event_badge,
    local_time,
    person,
    pretty_json,
    related_views,
    result_badge,
    sentence,
    snapshot_rows,
    subject_view,
)

SNAPSHOT_VERBS = {"created": "Record as created", "deleted": "Record as deleted"}
#: A deletion record's detail links this many of the entries it names (all are in Details).
DELETED_SHOWN = 50


@dataclass(frozen=True)
class Row:
    """A line of the table; ``seq`` is the entry's place in its workspace's chain (the
    "#" column)."""

    id: str
    seq: int | None
    actor: Person
    actor_text: str
    category: Badge
    event: Badge
    label: str
    description: str
    result: Badge
    ip: str
    time: LocalTime | None
    #: What the entry is about (the table shows its name when a search matched it).
    subject: SubjectView | None = None
    #: The workspace whose chain ``seq`` is in (shown when a view spans workspaces).
    workspace: str = ""
    #: Where the IP was (the IP's tooltip).
    location: LocationView | None = None


def present_row(event: Mapping[str, Any], tz: str) -> Row:
    return Row(
        id=str(event.get("id") or ""),
        seq=event.get("seq"),
        actor=person(event.get("actor")),
        actor_text=_actor_text(event),
        category=category_badge(event.get("category")),
        event=event_badge(event),
        label=str(event.get("label") or event.get("action") or ""),
        description=str(event.get("description") or sentence(event)),
        result=result_badge(event.get("result")),
        ip=str(event.get("ip") or ""),
        time=local_time(event.get("occurred_at"), tz),
        subject=subject_view(event.get("subject")),
        workspace=str(event.get("workspace") or ""),
        location=location_view(event),
    )


def _actor_text(event: Mapping[str, Any]) -> str:
    impersonator = event.get("impersonator")
    return f"as {person(event.get('actor')).name}" if impersonator else ""


@dataclass(frozen=True)
class IntegrityView:
    seq: int | None
    content_hash: str
    chain_hash: str
    content_ok: bool | None
    linked: bool | None
    checkpoint_seq: int | None
    signature_ok: bool | None
    verified: bool | None
    deleted: bool = False

    @property
    def status(self) -> str:
        """One line: what was checked and what it showed."""
        if self.verified is None:
            return "Not checked"
        if self.deleted:
            return (
                "Deleted: the content is erased; its hashes are kept and still verify"
                if self.verified
                else "Deleted, and its kept hashes do not verify"
            )
        if not self.content_ok:
            return "Content does not match its hash"
        if self.linked is False:
            return "Does not link to the previous entry"
        if self.signature_ok is False:
            return "The covering checkpoint's signature does not verify"
        if self.verified:
            return "Verified"
        return "Content matches its hash; the chain after it does not reach the head"


@dataclass(frozen=True)
class Detail:
    id: str
    deleted: bool
    sentence: str
    action: str
    label: str
    description: str
    category: Badge
    event: Badge
    result: Badge
    actor: Person
    impersonator: Person | None
    time: LocalTime | None
    received: LocalTime | None
    subject: SubjectView | None
    related: list[SubjectView]
    ip: str
    device: str
    user_agent: str
    changes: list[DiffRow]
    snapshot: list[FieldRow]
    snapshot_title: str
    details: str
    correlation: list[FieldRow]
    integrity: IntegrityView
    workspace: str
    deleted_text: str
    #: The id of the ``activity_log.deleted`` entry recording the deletion, if visible.
    deletion_record_id: str = ""
    #: A deletion record's: the first ids it names (each links to what is kept of it),
    #: and how many more it names.
    deleted_entries: tuple[str, ...] = ()
    deleted_more: int = 0
    #: ``workspace`` (the product's users) or ``platform`` (its staff).
    layer: str = ""
    #: The IP and where it was ("IP address and location"); None without an IP.
    location: LocationView | None = None


def present_detail(
    event: Mapping[str, Any],
    tz: str,
    check: EntryCheck | None = None,
    deletion: Mapping[str, Any] | None = None,
    link_base: str | None = None,
) -> Detail:
    """The side panel of ``event``; ``check`` is its integrity, ``deletion`` the record of
    its deletion (``ActivityLog.deletion_record``) when it was deleted; relative subject and
    related-record URLs resolve against ``link_base`` (the workspace's setting)."""
    verb = str(event.get("verb") or "")
    snapshot = event.get("snapshot") if isinstance(event.get("snapshot"), Mapping) else None
    deleted = bool(event.get("deleted_at"))
    correlation = [
        FieldRow(label, str(event[key]))
        for key, label in (
            ("id", "Event ID"),
            ("request_id", "Request ID"),
            ("session_id", "Session ID"),
            ("batch_id", "Batch ID"),
        )
        if event.get(key)
    ]
    named = _named_deletions(event)
    category, event_kind, result = (
        _deleted_badges(check)
        if deleted
        else (
            category_badge(event.get("category")),
            event_badge(event),
            result_badge(event.get("result")),
        )
    )
    return Detail(
        id=str(event.get("id") or ""),
        deleted=deleted,
        sentence=sentence(event),
        action=str(event.get("action") or ""),
        label=str(event.get("label") or ""),
        description=str(event.get("description") or ""),
        category=category,
        event=event_kind,
        result=result,
        actor=person(event.get("actor")),
        impersonator=person(event["impersonator"]) if event.get("impersonator") else None,
        time=local_time(event.get("occurred_at"), tz),
        received=local_time(event.get("received_at"), tz),
        subject=subject_view(event.get("subject"), link_base),
        related=related_views(event.get("related"), link_base),
        ip=str(event.get("ip") or ""),
        device=device_text(event.get("device")),
        user_agent=str(event.get("user_agent") or ""),
        changes=diff_rows(event.get("changes")),
        snapshot=snapshot_rows(snapshot),
        snapshot_title=SNAPSHOT_VERBS.get(verb, "Record"),
        details=pretty_json(event["details"]) if event.get("details") else "",
        correlation=correlation,
        integrity=_integrity(event, check),
        workspace=str(event.get("workspace") or ""),
        layer=str(event.get("layer") or ""),
        location=location_view(event),
        deleted_text=deleted_text(event, tz, deletion) if deleted else "",
        deletion_record_id=str((deletion or {}).get("id") or "") if deleted else "",
        deleted_entries=named[:DELETED_SHOWN],
        deleted_more=max(len(named) - DELETED_SHOWN, 0),
    )


def deleted_text(event: Mapping[str, Any], tz: str, deletion: Mapping[str, Any] | None) -> str:
    """Who deleted the entry (by name, from its deletion record), when and why: "Deleted
    by Ava Thompson (u_1) on May 4, 2026 at 14:03:21 (UTC). Reason: erasure request"."""
    by = str(event.get("deleted_by") or "")
    name = person((deletion or {}).get("actor")).name if deletion else ""
    who = f"{name} ({by})" if name and by and name != by else (name or by or "someone")
    when = local_time(event.get("deleted_at"), tz)
    moment = f" on {when.date} at {when.time} ({tz})" if when else ""
    return f"Deleted by {who}{moment}. Reason: {event.get('delete_reason') or 'none given'}"


def _named_deletions(event: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids a deletion record (``activity_log.deleted``) names; none for other entries."""
    details = event.get("details")
    if event.get("action") != DELETION_ACTION or not isinstance(details, Mapping):
        return ()
    ids = details.get("ids")
    return tuple(str(i) for i in ids) if isinstance(ids, list) else ()


def _deleted_badges(check: EntryCheck | None) -> tuple[Badge, Badge, Badge]:
    """A deleted entry's header: what it is now, and whether its kept hashes verify."""
    if check is None:
        kept = Badge("Hashes kept", "gray", "?")
    elif check.verified:
        kept = Badge("Hashes verify", "green", "✓")
    else:
        kept = Badge("Hashes do not verify", "red", "✕")
    return Badge("Deleted", "red"), Badge("Content erased", "gray"), kept


def _integrity(event: Mapping[str, Any], check: EntryCheck | None) -> IntegrityView:
    return IntegrityView(
        seq=event.get("seq"),
        content_hash=str(event.get("content_hash") or ""),
        chain_hash=str(event.get("chain_hash") or ""),
        content_ok=check.content_ok if check else None,
        linked=check.linked if check else None,
        checkpoint_seq=check.checkpoint_seq if check else None,
        signature_ok=check.signature_ok if check else None,
        verified=check.verified if check else None,
        deleted=bool(event.get("deleted_at")),
    )
