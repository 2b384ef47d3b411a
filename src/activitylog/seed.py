"""Deterministic demo and benchmark events for a helpdesk SaaS.

Three workspaces of an "inbox" product (conversations, contacts, teams, notes,
broadcasts, webhooks, settings) with a fixed cast of users and platform staff.
:func:`generate_events` yields event dicts in the audit log's input shape, oldest
first, following a business-hours rhythm in each workspace's own UTC offset.

It feeds 10-million-event benchmarks, so records are built once per call into pools
padded to a power of two (indexed with one ``getrandbits``), each event is drawn with
one ``bisect`` over cumulative weights, and events shallow-copy the pooled dicts they
use (every value in them is immutable), so consumers may mutate what they receive.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    #: Hours east of UTC; the workspace's business hours follow it.
    utc_offset: int


@dataclass(frozen=True)
class SeedUser:
    id: str
    name: str
    email: str
    #: Workspace id; "" for platform staff.
    workspace: str
    #: "owner", "admin", "member", "viewer" or "platform_admin".
    role: str


WORKSPACES: tuple[Workspace, ...] = (
    Workspace("acme", "Acme Corp", -5),
    Workspace("globex", "Globex GmbH", 1),
    Workspace("initech", "Initech Pty Ltd", 10),
)


def _words(text: str, sep: str = "|") -> tuple[str, ...]:
    return tuple(text.split(sep))


# "First Last [role]" entries; the role defaults to member.
_ROSTER = {
    "acme": "Ava Thompson owner|Ben Ortiz admin|Chloe Nguyen admin|Diego Alvarez|Emma Schultz|"
    "Farah Khan|Gavin Brooks|Hana Sato|Ivan Petrov viewer",
    "globex": "Jonas Weber owner|Klara Fischer admin|Lukas Braun|Mia Wagner|Nico Rossi|"
    "Olivia Martin|Paul Dubois|Quinn Murphy viewer",
    "initech": "Ruby Walsh owner|Sean Kelly admin|Tara Singh admin|Umar Malik|Vera Costa|"
    "Will Turner|Xin Li|Yara Haddad viewer",
    "": "Sam Rivera platform_admin|Zoe Carter platform_admin",
}


def _cast() -> Iterator[SeedUser]:
    for ws, entries in _ROSTER.items():
        domain = f"{ws}.example" if ws else "helpdesk.example"
        for entry in _words(entries):
            first, last, role = (*entry.split(), "member")[:3]
            email = f"{first.lower()}.{last.lower()}@{domain}"
            yield SeedUser(f"u_{first.lower()}", f"{first} {last}", email, ws, role)


USERS: tuple[SeedUser, ...] = tuple(u for u in _cast() if u.workspace)
PLATFORM_ADMINS: tuple[SeedUser, ...] = tuple(u for u in _cast() if not u.workspace)

_FIRST = _words(
    "Aaron Abby Adele Bruno Carla Dmitri Elena Felix Grace Hugo Iris Jamal Kenji Laura Marco "
    "Nadia Omar Priya Rosa Stefan Tomas Uma Victor Wendy Yusuf Zara Leo Maya Oscar Lina",
    " ",
)
_LAST = _words(
    "Adams Baker Chen Diaz Evans Fox Garcia Hoffmann Ito Jensen Kowalski Lopez Moreau Novak "
    "Okafor Park Quist Reyes Silva Tanaka Ueda Vargas Wong Young Zimmer Berg Costa Dahl Ek Moss",
    " ",
)
_TOPICS = _words(
    "Refund for order {}|Cannot log in|Question about invoice {}|Shipping delay on order {}|"
    "Feature request: dark mode|Export times out|Password reset email not arriving|"
    "Upgrade to annual plan|Cancel subscription|API rate limit exceeded|Wrong item in order {}|"
    "Change billing address|SSO setup help|Duplicate charge on card|Bulk import failing"
)
_NOTES = _words(
    "Customer confirmed the fix works|Escalated to engineering|Called customer, left voicemail|"
    "Refund approved by billing|Waiting on carrier tracking update"
)
_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
)
_ATTACK_UAS = ("python-requests/2.31.0", "curl/8.4.0", *_UAS[:3])
_HOME_NETS = (24, 50, 68, 73, 81, 86, 92, 98, 109, 151, 176, 203)
_FOREIGN_NETS = (5, 31, 45, 91, 103, 141, 185, 193, 212)
_BOOLS = (True, False)
_TEAMS = "Tier 1 Support|Tier 2 Support|Billing|Onboarding|VIP Accounts|Night Shift"
_BROADCASTS = "Product update|Holiday opening hours|Webinar invite|Maintenance window"
_API_KEYS = "Zapier|Data warehouse sync|Mobile app|Status page|CRM bridge|Staging"
_FEATURES = "ai_summaries:AI summaries|sla_policies:SLA policies|chatbot:Chatbot|csat:CSAT surveys"
_Fields = tuple[tuple[str, tuple[Any, ...]], ...]
_TEAM: _Fields = (("auto_assign", _BOOLS), ("sla_minutes", (30, 60, 240)), ("max_open", (10, 40)))
_BROADCAST: _Fields = (("audience", ("All customers", "Trial users")), ("channel", ("email", "app")))
_WEBHOOK: _Fields = (("enabled", _BOOLS), ("events", ("conversation.*", "contact.*", "*")))
_STATUS: _Fields = (("status", ("lead", "customer", "churned")), ("priority", ("low", "high")))
_SETTINGS: dict[str, _Fields] = {
    "Inbox settings": (
        ("auto_close_days", (3, 7, 14, 30)),
        ("csat_enabled", _BOOLS),
        ("round_robin", _BOOLS),
        ("business_hours", ("09:00-17:00", "08:00-18:00", "24/7")),
    ),
    "Email channel": (("from_name", ("Support", "Help Team")), ("dkim_enabled", _BOOLS)),
    "Chat widget": (("color", ("#2563eb", "#16a34a")), ("greeting", ("Hi!", "How can we help?"))),
}


def _mix(spec: str) -> dict[str, float]:
    pairs = spec.split()
    mix: dict[str, float] = {}
    for action, weight in zip(pairs[::2], pairs[1::2], strict=True):
        mix[action] = mix.get(action, 0.0) + float(weight)
    return mix


_AUTH = (
    "auth.signed_in 3 auth.signed_out 1.5 auth.sign_in_failed 1.8 auth.password_changed .1 "
    "auth.password_reset .1 auth.mfa_enabled .08 "
)
_MEMBER = _AUTH + (
    "conversation.viewed 30 conversation.replied 18 conversation.assigned 7 "
    "conversation.resolved 9 conversation.reopened 1.5 conversation.snoozed 2.5 note.created 5 "
    "note.updated 1.2 note.deleted .4 contact.viewed 6 contact.updated 3 contact.created 1.5 "
    "contact.deleted .2 contact.merged .4 contact.exported .2 broadcast.created .2 "
    "activity_log.viewed .1"
)
_ADMIN = _AUTH + (
    "conversation.viewed 12 conversation.replied 6 conversation.assigned 8 conversation.resolved 3 "
    "conversation.reopened 1 conversation.snoozed 1 note.created 2 note.updated .5 note.deleted .3 "
    "contact.viewed 3 contact.updated 2 contact.created 1 contact.deleted .4 contact.merged .6 "
    "contact.exported .6 settings.updated 2.5 user.invited 1 user.role_changed .5 user.removed .3 "
    "team.created .2 team.member_added 1 team.member_removed .5 team.updated .5 "
    "webhook.created .3 webhook.updated .5 webhook.deleted .15 api_key.created .3 "
    "api_key.revoked .15 feature.enabled .2 feature.disabled .1 workspace.updated .3 "
    "broadcast.created 1.5 broadcast.scheduled 1.2 broadcast.sent .4 broadcast.deleted .3 "
    "activity_log.viewed 3 activity_log.exported .3"
)
_MIXES = {
    "owner": _mix(_ADMIN + " workspace.updated .5 workspace.ownership_transferred .01"),
    "admin": _mix(_ADMIN),
    "member": _mix(_MEMBER),
    "viewer": _mix(_AUTH + "conversation.viewed 40 contact.viewed 12"),
}
#: Relative activity of one user of each role.
_ACTIVITY = {"owner": 0.6, "admin": 1.0, "member": 1.4, "viewer": 0.5}
_JOBS = _mix(
    "contact.created 35 webhook.delivery_failed 20 broadcast.sent 8 conversation.resolved 15 "
    "conversation.reopened 12 contact.deleted 3 billing.invoice_paid 1"
)
#: Platform staff's own actions, as shares of a workspace's user events.
_STAFF = _mix("impersonation.started .0015 impersonation.ended .0015 workspace.plan_changed .0004")
#: What users are seen doing while a platform admin impersonates them (same scale).
_IMPERSONATED = _mix(
    "conversation.viewed .003 settings.updated .001 contact.updated .001 webhook.updated .0005"
)
#: Background jobs run around the clock; a business hour weighs 10 (see _hour_weight).
_JOBS_HOURLY = 0.3

#: Subject pool of an action (or of its first segment) when it is not named after it.
_POOLS = {"auth": "self", "impersonation": "user", "billing": "workspace"}
_POOLS["contact.exported"] = "segment"
#: Description templates, all formatted with (actor name, record label).
_TEXT = {
    "auth.signed_in": "%s signed in%s",
    "auth.signed_out": "%s signed out%s",
    "auth.sign_in_failed": "%s failed to sign in%s",
    "auth.password_changed": "%s changed their password%s",
    "auth.password_reset": "%s reset their password with an emailed link%s",
    "auth.mfa_enabled": "%s enabled two-factor authentication%s",
    "user.removed": "%s removed %s from the workspace",
    "settings.updated": "%s updated %s",
    "workspace.updated": "%s updated the settings of workspace %s",
    "contact.exported": "%s exported contacts: %s",
    "activity_log.viewed": "%s viewed the activity log%s",
    "activity_log.exported": "%s exported the activity log%s",
    "api_key.created": "%s created API key %s",
    "api_key.revoked": "%s revoked API key %s",
    "feature.enabled": "%s enabled %s",
    "feature.disabled": "%s disabled %s",
    "impersonation.started": "%s started impersonating %s",
    "impersonation.ended": "%s stopped impersonating %s",
}
#: Actions whose details hold one key drawn from a few values.
_DETAILS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "conversation.snoozed": ("hours", (1, 4, 24, 72)),
    "conversation.replied": ("channel", ("email", "email", "chat", "whatsapp")),
    "auth.signed_in": ("method", ("password", "password", "password", "google", "saml_sso")),
    "auth.signed_out": ("reason", ("user", "user", "session_expired")),
    "auth.sign_in_failed": ("reason", ("bad_password", "bad_password", "mfa_failed")),
    "auth.mfa_enabled": ("method", ("totp", "webauthn")),
    "api_key.revoked": ("last_used_days_ago", (0, 1, 3, 14, 90)),
    "impersonation.started": ("reason", ("Customer reported missing data", "Webhook setup")),
    "impersonation.ended": ("duration_minutes", (3, 12, 25, 40)),
}


def _hour_weight(hour_of_week: int) -> int:
    day, hour = divmod(hour_of_week, 24)
    if day >= 5:
        return 2 if 9 <= hour < 18 else 1
    if 8 <= hour < 18:
        return 8 if hour == 12 else 10
    return {7: 4, 18: 4, 19: 3, 20: 3}.get(hour, 1)


_HOUR_WEIGHTS = tuple(_hour_weight(h) for h in range(168))


class _Rec(NamedTuple):
    """A pooled record: subject ref, label for descriptions, snapshot, diffable fields."""

    ref: dict[str, Any]
    label: str
    snapshot: dict[str, Any]
    fields: _Fields = ()
    related: dict[str, Any] | None = None


def _rec(kind: str, rid: str, name: str, url: str, extra: Any = None, fields: _Fields = ()) -> _Rec:
    ref = {"type": kind, "id": rid, "name": name, "url": url + rid}
    return _Rec(ref, name, {"id": rid, "name": name, **(extra or {})}, fields)


def _user_rec(user: SeedUser, label: str) -> _Rec:
    snap = {"email": user.email, "role": user.role}
    return _rec("user", user.id, user.name, "/settings/team/", snap)._replace(label=label)


class _Person:
    """An actor: its ref, home devices, session token and own record (auth subjects)."""

    __slots__ = ("devices", "index", "rec", "ref", "token", "user")

    def __init__(self, user: SeedUser, index: int, rng: random.Random) -> None:
        self.user, self.index, self.rec = user, index, _user_rec(user, "")
        self.ref = {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
        self.ref["type"] = "user"
        self.token = f"{rng.getrandbits(32):08x}"
        homes = [(_ip(rng, _HOME_NETS), rng.choice(_UAS)) for _ in range(rng.randint(1, 3))]
        # Four slots, picked with getrandbits(2); the everyday device fills the spare ones.
        self.devices = homes[:1] * (5 - len(homes)) + homes[1:]


def _ip(rng: random.Random, nets: Sequence[int]) -> str:
    if nets is _HOME_NETS and rng.random() < 0.25:
        return f"2a02:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(12):x}"
    return f"{rng.choice(nets)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


Ev = dict[str, Any]
Builder = Callable[[Ev, _Person], None]
Extra = Callable[["_World", Ev, _Person, _Rec], None]
#: Stands for background jobs: events it builds carry no actor, session or device.
_SYSTEM = _Person(SeedUser("system", "System", "", "", "system"), -1, random.Random(0))


def _padded(recs: list[_Rec]) -> list[_Rec]:
    """``recs`` repeated up to a power-of-two length, so getrandbits can index it."""
    size = 1 << (len(recs) - 1).bit_length()
    return (recs * (size // len(recs) + 1))[:size]


class _World:
    """One workspace: its people, record pools and a builder per action."""

    def __init__(self, ws: Workspace, rng: random.Random, people: Sequence[_Person]) -> None:
        self.ws, self.rng, self.rand, self.bits = ws, rng, rng.random, rng.getrandbits
        self.people = [p for p in people if p.user.workspace == ws.id]
        self.staff = [p for p in people if not p.user.workspace]
        self.agents = [p for p in self.people if p.user.role in ("admin", "member")]
        self.admins = [p for p in self.people if p.user.role == "admin"]
        rand, pick = rng.random, self.pick
        contacts, convs, notes = [], [], []
        for i in range(1, 2049):
            name = f"{pick(_FIRST)} {pick(_LAST)}"
            email = f"{name.replace(' ', '.').lower()}{i % 97}@{pick(('gmail.com', 'gmx.de'))}"
            phone = f"+1 555 {int(rand() * 1e7):07d}"
            fields = (
                ("email", (email, email.replace("@", ".work@"))),
                ("phone", (phone, f"+44 20 7946 {i % 10000:04d}")),
                *_STATUS,
            )
            snap = {"email": email, "phone": phone, "status": "customer"}
            contacts.append(_rec("contact", f"c_{i}", name, "/contacts/", snap, fields))
        links = [{"type": "contact", "id": c.ref["id"], "name": c.label} for c in contacts]
        for number in range(1000, 5096):
            cid, name = f"cv_{number}", f"#{number} {pick(_TOPICS).format(number * 7 % 9000)}"
            ref = {"type": "conversation", "id": cid, "name": name, "url": "/inbox/" + cid}
            convs.append(_Rec(ref, f"#{number}", {}, (), pick(links)))
            if number % 4 == 0:  # one conversation in four has a note
                nid = f"n_{number}"
                snap = {"conversation_id": cid, "body": pick(_NOTES), "visibility": "internal"}
                note = _rec("note", nid, f"Note on #{number}", f"/inbox/{cid}#", snap)
                link = {"type": "conversation", "id": cid, "name": name}
                notes.append(note._replace(label=f"on #{number}", fields=(("body", _NOTES),)))
                notes[-1] = notes[-1]._replace(related=link)
        pools: dict[str, list[_Rec]] = {"contact": contacts, "conversation": convs, "note": notes}
        pools["team"] = [
            _rec("team", f"t_{i}", name, "/settings/teams/", {"sla_minutes": 60}, _TEAM)
            for i, name in enumerate(_words(_TEAMS), 1)
        ]
        pools["broadcast"] = [
            _rec("broadcast", f"b_{i}", f"{name} #{i}", "/broadcasts/", None, _BROADCAST)
            for i, name in enumerate(_words(_BROADCASTS) * 8, 1)
        ]
        pools["webhook"] = []
        for i, path in enumerate(("crm", "slack", "warehouse", "billing", "alerts"), 1):
            url = f"https://hooks.{ws.id}.example/{path}"
            fields = (*_WEBHOOK, ("url", (url, url.replace("hooks.", "hooks-v2."))))
            snap = {"url": url, "events": "conversation.*", "enabled": True}
            pools["webhook"].append(_rec("webhook", f"wh_{i}", url, "/settings/webhooks/", snap))
            pools["webhook"][-1] = pools["webhook"][-1]._replace(fields=fields)
        pools["api_key"] = [
            _rec("api_key", f"ak_{i}", name, "/settings/api/", {"prefix": f"ak_live_{i:02x}"})
            for i, name in enumerate(_words(_API_KEYS), 1)
        ]
        pools["feature"] = [
            _rec("feature", key, label, "/settings/features/")
            for key, label in (entry.split(":") for entry in _words(_FEATURES))
        ]
        pools["segment"] = [
            _rec("segment", f"seg_{i}", name, "/contacts?segment=")
            for i, name in enumerate(("All contacts", "VIP customers", "Churned last 30 days"))
        ]
        pools["settings"] = [
            _rec("settings", f"{ws.id}_{name.split()[0].lower()}", name, "/settings/", None, fs)
            for name, fs in _SETTINGS.items()
        ]
        ws_fields = (("name", (ws.name, ws.name.split()[0])), ("data_retention_days", (90, 365)))
        pools["workspace"] = [_rec("workspace", ws.id, ws.name, "/settings/", None, ws_fields)]
        pools["activity_log"] = [_rec("activity_log", ws.id, "", "/activity#")]
        members = [p.user for p in self.people if p.user.role in ("member", "viewer")]
        pools["user"] = [_user_rec(u, u.name) for u in members]
        self.pools = {kind: _padded(recs) for kind, recs in pools.items()}

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.rand() * len(seq))]

    def diff(self, fields: _Fields) -> dict[str, Any]:
        """Mostly one changed field, sometimes two or three; before != after."""
        rand, count = self.rand, len(fields)
        first = int(rand() * count)
        changes = {}
        for j in range(1 if rand() < 0.75 else min(count, 2 + int(rand() * 2))):
            name, values = fields[(first + j) % count]
            i = int(rand() * len(values))
            after = values[(i + 1 + int(rand() * (len(values) - 1))) % len(values)]
            changes[name] = {"before": values[i], "after": after}
        return changes

    def builder(self, action: str) -> Builder:
        kind, verb = action.split(".")
        pool = self.pools.get(_POOLS.get(action) or _POOLS.get(kind, kind))
        size_bits = (len(pool) - 1).bit_length() if pool else 0
        text = _TEXT.get(action) or f"%s {verb.replace('_', ' ')} {kind} %s"
        key, values = _DETAILS.get(action, ("", ()))
        extra = _EXTRAS.get(action)
        snapshot, changes = verb in ("created", "deleted", "removed"), verb == "updated"
        bits, rand = self.bits, self.rand

        def build(ev: Ev, p: _Person) -> None:
            rec = p.rec if pool is None else pool[bits(size_bits)]
            ev["action"] = action
            ev["subject"] = rec.ref.copy()
            if rec.related:
                ev["related"] = [rec.related.copy()]
            if snapshot:
                ev["snapshot"] = rec.snapshot.copy()
            elif changes:
                ev["changes"] = self.diff(rec.fields)
            if values:
                ev["details"] = {key: values[int(rand() * len(values))]}
            ev["description"] = text % (p.user.name, rec.label)
            if extra:
                extra(self, ev, p, rec)

        return build
