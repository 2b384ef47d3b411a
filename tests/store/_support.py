"""Helpers shared by the store contract tests (no fixtures: those live in conftest.py)."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from activitylog import ActivityLog

#: A fixed "now" in the past (a Wednesday, 15:30 UTC): every test event is backfilled from it.
NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)

#: action -> (category, verb, kind, label) as the default catalog describes it.
ACTIONS: dict[str, tuple[str, str, str, str]] = {
    "auth.signed_in": ("auth", "signed_in", "auth", "Signed in"),
    "auth.sign_in_failed": ("auth", "sign_in_failed", "auth", "Failed sign-in"),
    "contact.updated": ("contacts", "updated", "write", "Updated contact"),
    "contact.viewed": ("contacts", "viewed", "read", "Viewed contact"),
    "conversation.assigned": ("inbox", "assigned", "write", "Assigned conversation"),
    "settings.updated": ("settings", "updated", "write", "Updated settings"),
    "note.created": ("notes", "created", "write", "Created note"),
    "note.exported": ("notes", "exported", "read", "Exported note"),
    "impersonation.started": ("impersonation", "started", "auth", "Started impersonation"),
    "billing.plan_changed": ("workspace", "plan_changed", "write", "Plan changed billing"),
}


def eid(n: int) -> str:
    """A deterministic event id (a UUID whose last three hex digits are ``n % 4096``)."""
    return f"00000000-0000-7000-8000-{n:012x}"


def iso(moment: datetime) -> str:
    """``moment`` as the store writes timestamps: RFC 3339 UTC with microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def user(user_id: str, name: str | None = None) -> dict[str, str]:
    return {"id": user_id, "name": name} if name else {"id": user_id}


def event(action: str = "contact.updated", **fields: Any) -> dict[str, Any]:
    """An input event (workspace ``acme`` unless given)."""
    return {"workspace": "acme", "action": action, **fields}


def search_text(e: Mapping[str, Any]) -> str:
    """What free-text search looks in, computed independently of the code under test."""
    subject = e.get("subject") or {}
    actor = e.get("actor") or {}
    parts = (
        ACTIONS[e["action"]][3],
        e["action"],
        e.get("description"),
        subject.get("type"),
        subject.get("name"),
        actor.get("name"),
        e.get("ip"),
    )
    return " | ".join(p for p in parts if p)


def word_list(text: str) -> list[str]:
    """``text``'s words as the search rule states them: runs of letters and digits,
    lowercased, accents dropped (written apart from the code under test)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c for c in folded if unicodedata.category(c) != "Mn").lower()
    out, word = [], ""
    for c in kept + " ":
        if c.isalnum():
            word += c
        elif word:
            out, word = [*out, word], ""
    return out


def finds(query: str, text: str) -> bool:
    """The search rule: the query's words next to each other and in order in ``text``'s
    words, the last one the beginning of a word."""
    q, t = word_list(query), word_list(text)
    if not q:
        return False
    *whole, last = q
    return any(
        t[i : i + len(whole)] == whole and t[i + len(whole)].startswith(last)
        for i in range(len(t) - len(whole))
    )


def by_time(events: Iterable[Mapping[str, Any]], *, newest_first: bool = True) -> list[str]:
    """Event ids ordered by occurred_at (ties cannot happen in the data sets used)."""
    return [e["id"] for e in sorted(events, key=lambda e: e["occurred_at"], reverse=newest_first)]


def ids(events: Iterable[Mapping[str, Any]]) -> list[str]:
    return [e["id"] for e in events]


def all_pages(log: ActivityLog, *, per_page: int = 100, **filters: Any) -> list[dict[str, Any]]:
    """Every event ``log.query`` returns for ``filters``, page after page."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        result = log.query(page=page, per_page=per_page, **filters)
        out.extend(result.items)
        if len(result.items) < per_page:
            assert result.total == len(out), "the page total disagrees with the pages"
            return out
        page += 1


def sql(log: ActivityLog, statement: str, **params: Any) -> list[Any]:
    """Run raw SQL on the log's own database (tampering, inspection); rows if any. What
    appends left to the indexer is indexed first, as a running indexer would have."""
    log.store.settle()
    with log.store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result.mappings()) if result.returns_rows else []


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seqs_by_workspace(stored: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for e in stored:
        out.setdefault(e["workspace"], []).append(e["seq"])
    return out
