"""An event as the Activity Log page shows it: badges, a plain-language sentence, diff
rows, device text and times in the viewer's zone.

Pure functions of the event dict (the shape :meth:`ActivityLog.get` returns); templates
read the dataclasses below and never reach into an event themselves. Only :func:`marked`
returns markup, and it escapes the text itself first; every other string is autoescaped
by the templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
from markupsafe import Markup, escape

from activitylog.chain import DELETION_ACTION
from activitylog.events import parse_time
from activitylog.search_words import spans, words
from activitylog.stats import initials
from activitylog.timeranges import zone

CATEGORY_LABELS: Mapping[str, str] = {
    "auth": "Authentication",
    "users": "Users",
    "teams": "Teams",
    "contacts": "Contacts",
    "inbox": "Inbox",
    "notes": "Notes",
    "broadcasts": "Broadcasts",
    "webhooks": "Webhooks",
    "settings": "Settings",
    "workspace": "Workspace",
    "impersonation": "Impersonation",
    "activity_log": "Activity log",
    "other": "Other",
}
#: Badge tone of each category (a CSS modifier: ``badge--indigo``).
CATEGORY_TONES: Mapping[str, str] = {
    "auth": "indigo",
    "users": "sky",
    "teams": "cyan",
    "contacts": "green",
    "inbox": "blue",
    "notes": "yellow",
    "broadcasts": "pink",
    "webhooks": "orange",
    "settings": "slate",
    "workspace": "violet",
    "impersonation": "red",
    "activity_log": "gray",
    "other": "gray",
}
VERB_LABELS: Mapping[str, str] = {
    "signed_in": "Signed in",
    "signed_out": "Signed out",
    "sign_in_failed": "Sign-in failed",
    "locked_out": "Locked out",
    "mfa_enabled": "MFA enabled",
    "mfa_disabled": "MFA disabled",
    "delivery_failed": "Delivery failed",
    "role_changed": "Role changed",
    "member_added": "Member added",
    "member_removed": "Member removed",
    "ownership_transferred": "Ownership transferred",
}
_GREEN_VERBS = frozenset({"created", "added", "invited", "enabled", "member_added", "resolved"})
_RED_VERBS = frozenset(
    {"deleted", "removed", "revoked", "disabled", "member_removed", "locked_out", "purged"}
)
RESULTS: Mapping[str, tuple[str, str, str]] = {
    # result -> (label, icon, tone)
    "success": ("Success", "✓", "green"),
    "warning": ("Warning", "!", "amber"),
    "failure": ("Failure", "✕", "red"),
}
#: Phrasings where "actor + label + subject" reads badly.
_PHRASES: Mapping[str, str] = {
    "user.role_changed": "{actor} changed the role of {subject}",
    "team.member_added": "{actor} added {related} to team {subject}",
    "team.member_removed": "{actor} removed {related} from team {subject}",
    "auth.locked_out": "{subject} was locked out after repeated failed sign-ins",
    "webhook.delivery_failed": "Webhook delivery to {subject} failed",
    "impersonation.started": "{actor} started impersonating {subject}",
    "impersonation.ended": "{actor} stopped impersonating {subject}",
    "workspace.ownership_transferred": "{actor} transferred ownership of {subject} to {related}",
}
LINK_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str
    icon: str = ""


@dataclass(frozen=True)
class LocalTime:
    """One instant: ``iso`` (UTC, for ``<time datetime>``) and texts in the viewer's zone."""

    iso: str
    date: str
    time: str
    full: str
    utc: str
    tz: str


@dataclass(frozen=True)
class DiffRow:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class FieldRow:
    field: str
    value: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str
    kind: str

    @property
    def title(self) -> str:
        """What a hover shows: email and role."""
        return " · ".join(p for p in (self.email, self.role) if p)

    @property
    def initials(self) -> str:
        return initials(self.name)


@dataclass(frozen=True)
class SubjectView:
    type: str
    id: str
    name: str
    url: str | None
    #: A relative or non-http URL, shown as text only.
    url_text: str


def category_label(category: str | None) -> str:
    if not category:
        return "—"
    return CATEGORY_LABELS.get(category) or _humanise(category)


def category_badge(category: str | None) -> Badge:
    return Badge(category_label(category), CATEGORY_TONES.get(category or "", "gray"))


def verb_label(verb: str | None) -> str:
    if not verb:
        return "—"
    return VERB_LABELS.get(verb) or _humanise(verb)


def event_badge(event: Mapping[str, Any]) -> Badge:
    """The Event column: the verb as text, toned by what it does."""
    verb = event.get("verb") or ""
    return Badge(verb_label(verb), _verb_tone(verb, event.get("kind"), event.get("result")))


def _verb_tone(verb: str, kind: str | None, result: str | None) -> str:
    if verb in _RED_VERBS or "failed" in verb or (result == "failure" and kind == "auth"):
        return "red"
    if verb in _GREEN_VERBS:
        return "green"
    if kind == "auth":
        return "violet"
    if kind == "read":
        return "gray"
    return "blue"


def result_badge(result: str | None) -> Badge:
    label, icon, tone = RESULTS.get(result or "", (_humanise(result or "unknown"), "?", "gray"))
    return Badge(label, tone, icon)


def person(party: Mapping[str, Any] | None) -> Person:
    """An actor or impersonator; absent = System."""
    if not party:
        return Person("System", "", "", "system")
    name = party.get("name") or party.get("email") or party.get("id") or "Unknown"
    return Person(
        str(name),
        str(party.get("email") or ""),
        str(party.get("role") or ""),
        str(party.get("type") or "user"),
    )


def actor_text(event: Mapping[str, Any]) -> str:
    """ "Sam Rivera as Ava Thompson" when impersonated, else the actor's name."""
    actor = person(event.get("actor")).name
    impersonator = event.get("impersonator")
    return f"{person(impersonator).name} as {actor}" if impersonator else actor


def subject_view(
    subject: Mapping[str, Any] | None, link_base: str | None = None
) -> SubjectView | None:
    """A subject or related record; its ``url`` a link as :func:`link_url` allows."""
    if not subject:
        return None
    url = str(subject.get("url") or "")
    return SubjectView(
        type=str(subject.get("type") or ""),
        id=str(subject.get("id") or ""),
        name=str(subject.get("name") or subject.get("id") or subject.get("type") or ""),
        url=link_url(url, link_base),
        url_text=url,
    )


def link_url(url: str | None, base: str | None = None) -> str | None:
    """``url`` when it may become a link (absolute http or https), else None; a relative
    ``url`` ("/contacts/c_9") resolves against ``base``, the workspace's ``link_base``, when
    it has one (one naming another host, "//host/x", never does)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if base and not parts.scheme and not parts.netloc:
        return link_url(urljoin(base, url))
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return url


def _entries(details: Any) -> str:
    """ "1 entry", "12 entries": how many a deletion record says it removed."""
    ids = details.get("ids") if isinstance(details, Mapping) else None
    count = len(ids) if isinstance(ids, list) else 0
    return f"{count:,} {'entry' if count == 1 else 'entries'}" if count else "entries"


def sentence(event: Mapping[str, Any]) -> str:
    """The action in plain language: "Ava Thompson updated contact Jane Doe"."""
    if event.get("deleted_at"):
        return "This entry was deleted"
    action = str(event.get("action") or "")
    actor = actor_text(event)
    subject = event.get("subject") or {}
    subject_name = str(subject.get("name") or subject.get("id") or "")
    related = [r.get("name") or r.get("id") for r in event.get("related") or [] if r]
    phrase = _PHRASES.get(action)
    if phrase and subject_name and ("{related}" not in phrase or related):
        return phrase.format(actor=actor, subject=subject_name, related=", ".join(related))
    if action == "auth.sign_in_failed" and person(event.get("actor")).kind == "system":
        return f"Failed sign-in for {subject_name}" if subject_name else "Failed sign-in"
    if action == DELETION_ACTION:
        return f"{actor} deleted {_entries(event.get('details'))} from the activity log"
    label = str(event.get("label") or verb_label(event.get("verb")) or action)
    text = label[:1].lower() + label[1:]
    if _shows_subject(event, subject_name, label):
        # "Updated settings" + "Inbox settings": the name already says what it is.
        noun = str(subject.get("type") or "").replace("_", " ").lower()
        if noun and text.lower().endswith(" " + noun) and noun in subject_name.lower():
            text = text[: -len(noun) - 1]
        text = f"{text} {subject_name}"
    return f"{actor} {text}"


def _shows_subject(event: Mapping[str, Any], name: str, label: str) -> bool:
    subject = event.get("subject") or {}
    if not name or name.lower() in label.lower():
        return False
    actor = event.get("actor") or {}
    return not (subject.get("id") and subject.get("id") == actor.get("id"))


def diff_rows(changes: Mapping[str, Any] | None) -> list[DiffRow]:
    """An update's changed fields, before and after (fields whose values match are left out)."""
    rows = []
    for name, change in (changes or {}).items():
        if not isinstance(change, Mapping):
            continue
        before, after = change.get("before"), change.get("after")
        if before == after and "before" in change and "after" in change:
            continue
        rows.append(DiffRow(str(name), format_value(before), format_value(after)))
    return rows


def snapshot_rows(snapshot: Mapping[str, Any] | None) -> list[FieldRow]:
    """Every value of a created or deleted record."""
    return [FieldRow(str(k), format_value(v)) for k, v in (snapshot or {}).items()]


def format_value(value: Any) -> str:
    """A field value as text: strings as they are, the rest as JSON, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return pretty_json(value) if isinstance(value, Mapping | list) else orjson.dumps(value).decode()


def pretty_json(value: Any) -> str:
    """Indented JSON (escaped by the template like any other text)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def device_text(device: Mapping[str, Any] | None) -> str:
    """ "Chrome 124 on Windows 10 · desktop"; empty without a device."""
    if not device:
        return ""
    browser, os_name = device.get("browser") or "", device.get("os") or ""
    known = [p for p in (browser, os_name) if p and p != "Other"]
    text = " on ".join(known)
    kind = device.get("device_type") or ""
    return f"{text} · {kind}" if text and kind else text or kind


def local_time(iso: str | None, tz: str) -> LocalTime | None:
    """``iso`` (UTC) shown in zone ``tz``: "May 4, 2026" / "14:03:21"."""
    if not iso:
        return None
    moment = parse_time(iso)
    local = moment.astimezone(zone(tz))
    utc = moment.astimezone(UTC)
    return LocalTime(
        iso=utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        date=f"{local:%b} {local.day}, {local.year}",
        time=f"{local:%H:%M:%S}",
        full=f"{local:%A}, {local:%B} {local.day}, {local.year} at {local:%H:%M:%S} ({tz})",
        utc=f"{utc:%Y-%m-%d %H:%M:%S.%f} UTC",
        tz=tz,
    )


def relative_time(iso: str | None, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 days ago"."""
    if not iso:
        return "never"
    seconds = ((now or datetime.now(UTC)) - parse_time(iso)).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            plural = "s" if unit == "day" and count != 1 else ""
            return f"{count} {unit}{plural} ago"
    return "just now"


def number(value: int | float | None) -> str:
    """Thousands separators: 1234 -> "1,234"."""
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def count_text(value: int | None, noun: str) -> str:
    """ "1 event", "2,345 events": the number and its noun, singular for exactly one."""
    return f"{number(value)} {noun if value == 1 else noun + 's'}"


def seq_text(seq: int | None) -> str:
    """An entry's place in its chain, written one way everywhere (table, panel, labels):
    "#1234", an identifier, so without thousands separators."""
    return "—" if seq is None else f"#{seq}"


def marked(text: str | None, term: str | None, *, wrap_after: str = "") -> Markup:
    """``text`` escaped, with each place the free-text search ``term`` matches (the words
    of :mod:`activitylog.search_words`) in ``<mark>``; a break opportunity (``<wbr>``)
    follows every character of ``wrap_after`` (":" lets an IPv6 address wrap)."""
    text = text or ""
    out: list[str] = []
    at = 0
    for start, end in _matches(text, term):
        out.append(_wrappable(text[at:start], wrap_after))
        out.append(f"<mark>{_wrappable(text[start:end], wrap_after)}</mark>")
        at = end
    out.append(_wrappable(text[at:], wrap_after))
    return Markup("".join(out))


def matches(text: str | None, term: str | None) -> bool:
    """Whether the search ``term`` matches ``text`` (as :func:`marked` marks it)."""
    return bool(_matches(text or "", term))


def _matches(text: str, term: str | None) -> list[tuple[int, int]]:
    return spans(words(term), text) if term and text else []


def _wrappable(text: str, wrap_after: str) -> str:
    escaped = str(escape(text))
    for char in wrap_after:
        escaped = escaped.replace(char, f"{char}<wbr>")
    return escaped


def related_views(
    related: Sequence[Mapping[str, Any]] | None, link_base: str | None = None
) -> list[SubjectView]:
    return [view for view in (subject_view(r, link_base) for r in related or []) if view]


def _humanise(name: str) -> str:
    text = name.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]
