"""The action catalog: ``action`` -> category, verb, kind and a plain-English label.

``conversation.assigned`` -> inbox / assigned / write / "Assigned conversation".
The category comes from the action's first segment (``PREFIX_CATEGORIES``), the verb is
its last segment, the kind is ``auth`` for the auth category, ``read`` for reading verbs
and ``write`` otherwise. Known actions carry hand-written labels; others get one built
from the verb and the object ("Merged contact"). Applications extend or override both
tables with :meth:`Catalog.extend`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Kind = Literal["auth", "write", "read"]

CATEGORIES: tuple[str, ...] = (
    "auth",
    "users",
    "teams",
    "contacts",
    "inbox",
    "notes",
    "broadcasts",
    "webhooks",
    "settings",
    "workspace",
    "impersonation",
    "activity_log",
    "other",
)

PREFIX_CATEGORIES: Mapping[str, str] = {
    "auth": "auth",
    "session": "auth",
    "mfa": "auth",
    "password": "auth",
    "user": "users",
    "member": "users",
    "invitation": "users",
    "team": "teams",
    "contact": "contacts",
    "company": "contacts",
    "conversation": "inbox",
    "message": "inbox",
    "inbox": "inbox",
    "note": "notes",
    "broadcast": "broadcasts",
    "webhook": "webhooks",
    "settings": "settings",
    "setting": "settings",
    "workspace": "workspace",
    "api_key": "workspace",
    "billing": "workspace",
    "feature": "workspace",
    "impersonation": "impersonation",
    "activity_log": "activity_log",
}

READ_VERBS: frozenset[str] = frozenset(
    {"viewed", "exported", "downloaded", "searched", "listed", "read", "opened", "printed"}
)


@dataclass(frozen=True)
class ActionInfo:
    """What the catalog says about one action."""

    category: str
    verb: str
    kind: Kind
    label: str


#: Hand-written labels (and, where the rule would be wrong, kinds) for known actions.
KNOWN_ACTIONS: Mapping[str, tuple[str, Kind | None]] = {
    "auth.signed_in": ("Signed in", None),
    "auth.signed_out": ("Signed out", None),
    "auth.sign_in_failed": ("Failed sign-in", None),
    "auth.password_reset": ("Reset password", None),
    "auth.password_changed": ("Changed password", None),
    "auth.mfa_enabled": ("Enabled two-factor authentication", None),
    "auth.mfa_disabled": ("Disabled two-factor authentication", None),
    "auth.locked_out": ("Locked out after failed sign-ins", None),
    "user.invited": ("Invited user", None),
    "user.role_changed": ("Changed user role", None),
    "user.removed": ("Removed user", None),
    "team.member_added": ("Added team member", None),
    "team.member_removed": ("Removed team member", None),
    "conversation.assigned": ("Assigned conversation", None),
    "conversation.resolved": ("Resolved conversation", None),
    "conversation.reopened": ("Reopened conversation", None),
    "conversation.snoozed": ("Snoozed conversation", None),
    "conversation.replied": ("Replied to conversation", None),
    "broadcast.sent": ("Sent broadcast", None),
    "broadcast.scheduled": ("Scheduled broadcast", None),
    "webhook.delivery_failed": ("Webhook delivery failed", "write"),
    "settings.updated": ("Updated settings", None),
    "workspace.ownership_transferred": ("Transferred workspace ownership", None),
    "workspace.switched": ("Switched workspace", "auth"),
    "workspace.settings_updated": ("Changed workspace settings", None),
    "api_key.created": ("Created API key", None),
    "api_key.revoked": ("Revoked API key", None),
    "feature.enabled": ("Enabled feature", None),
    "feature.disabled": ("Disabled feature", None),
    "impersonation.started": ("Started impersonation", "auth"),
    "impersonation.ended": ("Ended impersonation", "auth"),
    "activity_log.viewed": ("Viewed activity log", None),
    "activity_log.exported": ("Exported activity log", None),
    "activity_log.deleted": ("Deleted activity log entries", "write"),
    "activity_log.purged": ("Purged activity log entries", "write"),
}


class Catalog:
    """Derives category, verb, kind and label for an action; immutable, cached."""

    def __init__(
        self,
        prefixes: Mapping[str, str] = PREFIX_CATEGORIES,
        actions: Mapping[str, tuple[str, Kind | None]] = KNOWN_ACTIONS,
        overrides: Mapping[str, ActionInfo] | None = None,
    ) -> None:
        self._prefixes = dict(prefixes)
        self._actions = dict(actions)
        self._overrides = dict(overrides or {})
        self.describe = lru_cache(maxsize=4096)(self._describe)

    def extend(
        self,
        *,
        prefixes: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        actions: Mapping[str, ActionInfo] | None = None,
    ) -> Catalog:
        """A new catalog with extra prefix -> category rules, labels, or whole entries."""
        new_actions = dict(self._actions)
        for action, label in (labels or {}).items():
            new_actions[action] = (label, self._actions.get(action, (label, None))[1])
        return Catalog(
            {**self._prefixes, **(prefixes or {})},
            new_actions,
            {**self._overrides, **(actions or {})},
        )

    @property
    def actions(self) -> frozenset[str]:
        """The actions this catalog describes by name (labels and whole entries)."""
        return frozenset(self._actions) | frozenset(self._overrides)

    @property
    def categories(self) -> tuple[str, ...]:
        extra = sorted(set(self._prefixes.values()) - set(CATEGORIES))
        return (*CATEGORIES[:-1], *extra, "other")

    def _describe(self, action: str) -> ActionInfo:
        if action in self._overrides:
            return self._overrides[action]
        parts = action.split(".")
        category = self._prefixes.get(parts[0], "other")
        verb = parts[-1]
        known = self._actions.get(action)
        kind: Kind
        if known and known[1]:
            kind = known[1]
        elif category == "auth":
            kind = "auth"
        elif verb in READ_VERBS:
            kind = "read"
        else:
            kind = "write"
        label = known[0] if known else _default_label(parts, category)
        return ActionInfo(category=category, verb=verb, kind=kind, label=label)


def _default_label(parts: list[str], category: str) -> str:
    verb = parts[-1].replace("_", " ")
    obj = " ".join(p.replace("_", " ") for p in parts[:-1] if p != "auth" or category != "auth")
    text = f"{verb} {obj}".strip() if obj else verb
    return text[:1].upper() + text[1:]


DEFAULT_CATALOG = Catalog()
