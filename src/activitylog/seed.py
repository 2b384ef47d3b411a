"""Deterministic demo and benchmark events for a helpdesk SaaS.

Three workspaces of an "inbox" product (conversations, contacts, teams, notes,
broadcasts, webhooks, settings) with a fixed cast of users and platform staff.
:func:`generate_events` yields event dicts in the audit log's input shape, oldest
first, following a business-hours rhythm in each workspace's own UTC offset.

It feeds 10-million-event benchmarks, so records are built once per call into pools
padded to a power of two (picked with one ``getrandbits``), actions and streams are
picked by ``bisect`` over cumulative weights, and each event only shallow-copies
the pooled dicts it uses, so consumers may mutate what they receive.
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


# "First Last role" entries; the role defaults to member.
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
_NOTES = _words(
    "Customer confirmed the fix works|Escalated to engineering|Called customer, left voicemail|"
    "Refund approved by billing|Waiting on carrier tracking update"
)
_BOOLS = (True, False)
_SETTINGS = {
    "Inbox settings": (
        ("auto_close_days", (3, 7, 14, 30)),
        ("csat_enabled", _BOOLS),
        ("round_robin", _BOOLS),
        ("business_hours", ("09:00-17:00", "08:00-18:00", "24/7")),
    ),
    "Email channel": (
        ("from_name", ("Support", "Customer Care", "Help Team")),
        ("dkim_enabled", _BOOLS),
        ("reply_to", ("support@", "help@", "care@")),
    ),
    "Chat widget": (
        ("color", ("#2563eb", "#16a34a", "#db2777")),
        ("greeting", ("Hi! How can we help?", "Hello there", "Questions? Ask us")),
    ),
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
_POOLS = {
    "auth": "self",
    "impersonation": "user",
    "billing": "workspace",
    "contact.exported": "segment",
}
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


def _hour_weight(hour_of_week: int) -> int:
    day, hour = divmod(hour_of_week, 24)
    if day >= 5:
        return 2 if 9 <= hour < 18 else 1
    if 8 <= hour < 18:
        return 8 if hour == 12 else 10
    return {7: 4, 18: 4, 19: 3, 20: 3}.get(hour, 1)


_HOUR_WEIGHTS = tuple(_hour_weight(h) for h in range(168))


_Fields = tuple[tuple[str, tuple[Any, ...]], ...]


class _Rec(NamedTuple):
    """A pooled record: subject ref, label for descriptions, snapshot, diffable fields."""

    ref: dict[str, Any]
    label: str
    snapshot: dict[str, Any]
    fields: _Fields = ()
    related: dict[str, Any] | None = None


def _user_rec(user: SeedUser, label: str) -> _Rec:
    ref = {"type": "user", "id": user.id, "name": user.name, "url": f"/settings/team/{user.id}"}
    snap = {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
    return _Rec(ref, label, snap)


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


_HOME_NETS = (24, 50, 68, 73, 81, 86, 92, 98, 109, 151, 176, 203)
_FOREIGN_NETS = (5, 31, 45, 91, 103, 141, 185, 193, 212)


def _ip(rng: random.Random, nets: Sequence[int]) -> str:
    if nets is _HOME_NETS and rng.random() < 0.25:
        return f"2a02:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(12):x}"
    return f"{rng.choice(nets)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


Builder = Callable[[dict[str, Any], _Person], None]
Extra = Callable[["_World", dict[str, Any], _Person, _Rec], None]
_SYSTEM = _Person(SeedUser("system", "System", "", "", "system"), -1, random.Random(0))


def _padded(recs: list[_Rec]) -> list[_Rec]:
    """``recs`` repeated up to a power-of-two length, so getrandbits can index it."""
    size = 1 << (len(recs) - 1).bit_length()
    return (recs * size)[:size]


class _World:
    """One workspace: its people, record pools and (lazily) one builder per action."""

    def __init__(self, ws: Workspace, rng: random.Random, people: Sequence[_Person]) -> None:
        self.ws, self.rng, self.rand, self.bits = ws, rng, rng.random, rng.getrandbits
        self.people = [p for p in people if p.user.workspace == ws.id]
        self.staff = [p for p in people if not p.user.workspace]
        self.agents = [p for p in self.people if p.user.role in ("admin", "member")]
        self.admins = [p for p in self.people if p.user.role == "admin"]
        pick, pools = rng.choice, {}
        contacts = []
        for i in range(1, 2049):
            cid, name = f"c_{i}", f"{pick(_FIRST)} {pick(_LAST)}"
            email = f"{name.replace(' ', '.').lower()}{i % 97}@{pick(('gmail.com', 'gmx.de'))}"
            phone = f"+1 555 {rng.randrange(10**7):07d}"
            snap = {"id": cid, "name": name, "email": email, "phone": phone, "status": "customer"}
            fields = (
                ("email", (email, email.replace("@", ".work@"))),
                ("phone", (phone, f"+44 20 7946 {i % 10000:04d}")),
                ("status", ("lead", "customer", "churned", "vip")),
                ("priority", ("low", "normal", "high", "urgent")),
                ("name", (name, f"{name.split()[0]} {pick(_LAST)}")),
            )
            ref = {"type": "contact", "id": cid, "name": name, "url": f"/contacts/{cid}"}
            contacts.append(_Rec(ref, name, snap, fields))
        pools["contact"] = contacts
        convs, notes = [], []
        for number in range(1000, 5096):
            cid, contact = f"cv_{number}", pick(contacts)
            name = f"#{number} {pick(_TOPICS).format(rng.randrange(1000, 9999))}"
            ref = {"type": "conversation", "id": cid, "name": name, "url": f"/inbox/{cid}"}
            related = {"type": "contact", "id": contact.ref["id"], "name": contact.label}
            convs.append(_Rec(ref, f"#{number}", {}, (), related))
            nid, body = f"n_{number}", pick(_NOTES)
            ref = {"type": "note", "id": nid, "name": f"Note on #{number}"}
            ref["url"] = f"/inbox/{cid}#{nid}"
            snap = {"id": nid, "conversation_id": cid, "body": body, "visibility": "internal"}
            related = {"type": "conversation", "id": cid, "name": name}
            notes.append(_Rec(ref, f"on #{number}", snap, (("body", _NOTES),), related))
        pools["conversation"], pools["note"] = convs, notes
        pools["team"] = [
            self.rec("team", f"t_{i}", name, "/settings/teams/", {"sla_minutes": 60}, _TEAM)
            for i, name in enumerate(_words(_TEAMS), 1)
        ]
        pools["broadcast"] = [
            self.rec("broadcast", f"b_{i}", f"{name} #{i}", "/broadcasts/", {}, _BROADCAST)
            for i, name in enumerate(_words(_BROADCASTS) * 8, 1)
        ]
        pools["webhook"] = []
        for i, path in enumerate(("crm", "slack", "warehouse", "billing", "alerts"), 1):
            url = f"https://hooks.{ws.id}.example/{path}"
            fields = (*_WEBHOOK, ("url", (url, url.replace("hooks.", "hooks-v2."))))
            snap = {"url": url, "events": "conversation.*", "enabled": True}
            hook = self.rec("webhook", f"wh_{i}", url, "/settings/webhooks/", snap, fields)
            pools["webhook"].append(hook)
        pools["api_key"] = [
            self.rec("api_key", f"ak_{i}", name, "/settings/api/", {"prefix": f"ak_live_{i:02x}"})
            for i, name in enumerate(_words(_API_KEYS), 1)
        ]
        pools["feature"] = [
            self.rec("feature", key, label, "/settings/features/", {})
            for key, label in (entry.split(":") for entry in _words(_FEATURES))
        ]
        pools["segment"] = [
            self.rec("segment", f"seg_{i}", name, "/contacts?segment=", {})
            for i, name in enumerate(("All contacts", "VIP customers", "Churned last 30 days"))
        ]
        pools["settings"] = [
            self.rec("settings", f"{ws.id}_{name.split()[0].lower()}", name, "/settings/", {}, fs)
            for name, fs in _SETTINGS.items()
        ]
        ws_fields = (("name", (ws.name, ws.name.split()[0])), ("data_retention_days", (90, 365)))
        pools["workspace"] = [self.rec("workspace", ws.id, ws.name, "/settings/", {}, ws_fields)]
        pools["activity_log"] = [self.rec("activity_log", ws.id, "", "/activity", {})]
        members = [p.user for p in self.people if p.user.role in ("member", "viewer")]
        pools["user"] = [_user_rec(u, u.name) for u in members]
        self.pools = {kind: _padded(recs) for kind, recs in pools.items()}

    @staticmethod
    def rec(
        kind: str, rid: str, name: str, url: str, extra: dict[str, Any], fields: _Fields = ()
    ) -> _Rec:
        ref = {"type": kind, "id": rid, "name": name, "url": url + rid}
        return _Rec(ref, name, {"id": rid, "name": name, **extra}, fields)

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
        extra = _EXTRAS.get(action)
        snapshot, changes = verb in ("created", "deleted", "removed"), verb == "updated"
        bits = self.bits

        def build(ev: dict[str, Any], p: _Person) -> None:
            rec = p.rec if pool is None else pool[bits(size_bits)]
            ev["action"] = action
            ev["subject"] = rec.ref.copy()
            if rec.related:
                ev["related"] = [rec.related.copy()]
            if snapshot:
                ev["snapshot"] = rec.snapshot.copy()
            elif changes:
                ev["changes"] = self.diff(rec.fields)
            ev["description"] = text % (p.user.name, rec.label)
            if extra:
                extra(self, ev, p, rec)

        return build


_TEAMS = "Tier 1 Support|Tier 2 Support|Billing|Onboarding|VIP Accounts|Night Shift"
_TEAM = (("auto_assign", _BOOLS), ("sla_minutes", (30, 60, 240)), ("max_open", (10, 20, 40)))
_BROADCASTS = "Product update|Holiday opening hours|Webinar invite|Maintenance window"
_BROADCAST = (
    ("audience", ("All customers", "Trial users", "EMEA")),
    ("channel", ("email", "in_app")),
)
_WEBHOOK = (("enabled", _BOOLS), ("events", ("conversation.*", "contact.*", "*")))
_API_KEYS = "Zapier|Data warehouse sync|Mobile app|Status page|CRM bridge|Staging"
_FEATURES = (
    "ai_summaries:AI summaries|sla_policies:SLA policies|csat_surveys:CSAT surveys|chatbot:Chatbot"
)
_EXTRAS: dict[str, Extra] = {}


def _extra(*actions: str) -> Callable[[Extra], Extra]:
    """Registers the event-specific part (details, result, wording) of some actions."""

    def register(fn: Extra) -> Extra:
        _EXTRAS.update(dict.fromkeys(actions, fn))
        return fn

    return register


@_extra("conversation.assigned")
def _assigned(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    to = w.pick(w.agents).user
    ev["details"] = {"assignee_id": to.id}
    ev["description"] += f" to {to.name}"


@_extra("conversation.snoozed")
def _snoozed(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    ev["details"] = {"hours": w.pick((1, 4, 24, 72))}


@_extra("conversation.replied")
def _replied(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    ev["details"] = {"channel": w.pick(("email", "email", "chat", "whatsapp"))}
    if w.rand() < 0.05:
        ev["result"] = "warning"
        ev["details"]["delivery"] = "delayed"


@_extra("conversation.resolved", "conversation.reopened")
def _auto_status(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    if p is _SYSTEM:
        resolved = ev["action"] == "conversation.resolved"
        rule = "inactive_7_days" if resolved else "snooze_expired"
        ev["details"] = {"rule": rule}
        ev["description"] = f"Conversation {rec.label} was {ev['action'][13:]} by rule {rule}"


@_extra("auth.signed_in")
def _signed_in(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    method = w.pick(("password", "password", "password", "google", "saml_sso"))
    ev["details"] = {"method": method, "mfa": method == "password" and w.rand() < 0.6}
    if w.rand() < 0.12:
        ev["result"] = "warning"
        ev["ip"] = _ip(w.rng, _FOREIGN_NETS)
        ev["details"]["new_device"] = True
        ev["description"] += " from a new device"


@_extra("auth.sign_in_failed")
def _sign_in_failed(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    ev["result"] = "failure"
    del ev["session_id"]
    reason = w.pick(("bad_password", "bad_password", "bad_password", "mfa_failed"))
    ev["details"] = {"reason": reason, "attempted_email": p.user.email}
    if w.rand() < 0.4:
        ev["ip"], ev["user_agent"] = _ip(w.rng, _FOREIGN_NETS), w.pick(_ATTACK_UAS)
        ev["description"] = f"Failed sign-in for {p.user.email} from an unknown location"


@_extra("auth.signed_out", "auth.mfa_enabled")
def _auth_details(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    if ev["action"] == "auth.signed_out":
        ev["details"] = {"reason": w.pick(("user", "user", "session_expired"))}
    else:
        ev["details"] = {"method": w.pick(("totp", "webauthn"))}


@_extra("user.invited")
def _invited(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    email = f"{w.pick(_FIRST)}.{w.pick(_LAST)}@{w.ws.id}.example".lower()
    role = w.pick(("member", "member", "viewer", "admin"))
    ev["subject"] = {"type": "user", "id": f"u_{w.bits(40):010x}", "name": email}
    ev["details"] = {"role": role}
    ev["description"] = f"{p.user.name} invited {email} as {role}"
    if w.rand() < 0.04:
        ev["result"] = "failure"
        ev["details"]["error"] = "seat_limit_reached"


@_extra("user.role_changed")
def _role_changed(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    before = rec.snapshot["role"]
    after = w.pick([role for role in ("admin", "member", "viewer") if role != before])
    ev["changes"] = {"role": {"before": before, "after": after}}
    ev["description"] = f"{p.user.name} changed {rec.label}'s role from {before} to {after}"


@_extra("team.member_added", "team.member_removed")
def _team_member(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    member = w.pick(w.agents).user
    ev["related"] = [{"type": "user", "id": member.id, "name": member.name}]
    how = "added {} to" if ev["action"] == "team.member_added" else "removed {} from"
    ev["description"] = f"{p.user.name} {how.format(member.name)} team {rec.label}"


@_extra("contact.created", "contact.deleted")
def _contact_jobs(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    if p is not _SYSTEM:
        return
    day = f"{ev['occurred_at']:%Y%m%d}"
    if ev["action"] == "contact.deleted":
        ev["details"] = {"reason": "retention_policy", "job_id": f"job_purge_{day}"}
        ev["description"] = f"Retention policy deleted contact {rec.label}"
        return
    ev["details"] = {"source": "csv_import", "import_id": f"imp_{w.ws.id}_{day}"}
    ev["description"] = f"Scheduled import created contact {rec.label}"
    if w.rand() < 0.05:
        ev["result"] = "warning"
        ev["details"]["warning"] = "email already used by another contact"


@_extra("contact.merged")
def _merged(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    gone = w.pick(w.pools["contact"])
    ev["related"] = [{"type": "contact", "id": gone.ref["id"], "name": gone.label}]
    ev["details"] = {"merged_id": gone.ref["id"]}
    ev["description"] = f"{p.user.name} merged contact {gone.label} into {rec.label}"
    if w.rand() < 0.1:
        ev["result"] = "warning"
        ev["details"]["conflicts"] = ["phone"]


@_extra("contact.exported", "activity_log.exported")
def _exported(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    rows = 1 + int(w.rand() ** 2 * 20000)
    ev["details"] = {"format": w.pick(("csv", "csv", "xlsx", "json")), "rows": rows}
    ev["description"] += f" ({rows} rows)"


@_extra("activity_log.viewed")
def _log_viewed(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    category = w.pick((None, None, "users", "webhooks", "auth", "settings"))
    if category:
        ev["details"] = {"filters": {"category": category}}


@_extra("broadcast.scheduled")
def _scheduled(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    send_at = ev["occurred_at"] + timedelta(days=1 + int(w.rand() * 6))
    ev["details"] = {"send_at": send_at.replace(minute=0, second=0, microsecond=0).isoformat()}


@_extra("broadcast.sent")
def _sent(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    recipients = 200 + int(w.rand() * 20000)
    bounced = int(recipients * w.rand() * 0.04)
    ev["details"] = {"recipients": recipients, "bounced": bounced}
    if bounced > recipients * 0.03:
        ev["result"] = "warning"
    if p is _SYSTEM:
        ev["description"] = f"Scheduled broadcast {rec.label} was sent to {recipients} contacts"


@_extra("webhook.delivery_failed")
def _delivery_failed(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    status = w.pick((500, 502, 503, 504, 410, None))
    error = "timeout after 10s" if status is None else f"HTTP {status}"
    ev["result"] = "failure"
    ev["details"] = {
        "event": w.pick(("conversation.created", "conversation.resolved", "contact.updated")),
        "status_code": status,
        "error": error,
        "attempt": 1 + int(w.rand() * 5),
        "delivery_id": f"dlv_{w.bits(48):012x}",
    }
    ev["description"] = f"Webhook delivery to {rec.label} failed ({error})"


@_extra("api_key.revoked")
def _revoked(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    ev["details"] = {"last_used_days_ago": int(w.rand() * 120)}


@_extra("workspace.ownership_transferred")
def _transferred(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    heir = w.pick(w.admins).user
    ev["related"] = [{"type": "user", "id": heir.id, "name": heir.name}]
    ev["changes"] = {"owner_id": {"before": p.user.id, "after": heir.id}}
    ev["description"] = f"{p.user.name} transferred ownership of {rec.label} to {heir.name}"


@_extra("workspace.plan_changed")
def _plan_changed(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    before, after = w.rng.sample(("starter", "growth", "pro", "enterprise"), 2)
    ev["layer"] = "platform"
    ev["changes"] = {"plan": {"before": before, "after": after}}
    ev["details"] = {"ticket": f"SUP-{w.rng.randrange(1000, 9999)}"}
    ev["description"] = f"{p.user.name} changed the plan of {rec.label} from {before} to {after}"


@_extra("billing.invoice_paid")
def _invoice_paid(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    number = f"INV-{ev['occurred_at']:%Y%m}-{w.ws.id.upper()}"
    amount = w.pick((49.0, 199.0, 499.0, 1299.0))
    ev["layer"] = "platform"
    ev["subject"] = {"type": "invoice", "id": number.lower(), "name": number}
    ev["details"] = {"amount": amount, "currency": "USD", "method": "card"}
    ev["description"] = f"Invoice {number} of {rec.label} was paid ({amount:.2f} USD)"


@_extra("impersonation.started", "impersonation.ended")
def _impersonation(w: _World, ev: dict[str, Any], p: _Person, rec: _Rec) -> None:
    ev["layer"] = "platform"
    reason = w.pick(("Customer reported missing conversations", "Webhook setup help"))
    ev["details"] = {"reason": reason, "ticket": f"SUP-{w.rng.randrange(1000, 9999)}"}
    if ev["action"] == "impersonation.ended":
        ev["details"]["duration_minutes"] = 2 + int(w.rand() * 40)


#: (workspace id, entries, cumulative weights); an entry is (actor, impersonator, builder).
_Stream = tuple[str, list[tuple[_Person, _Person | None, Builder]], list[float]]


def _streams(world: _World) -> tuple[_Stream, _Stream]:
    """The workspace's user stream (platform staff included) and its background jobs."""
    weighted: list[tuple[_Person, _Person | None, str, float]] = []
    for p in world.people:
        mix = _MIXES[p.user.role]
        scale = _ACTIVITY[p.user.role] / sum(mix.values())
        weighted += [(p, None, action, w * scale) for action, w in mix.items()]
    total = sum(entry[3] for entry in weighted)
    for action, w in _STAFF.items():
        weighted += [(s, None, action, total * w / len(world.staff)) for s in world.staff]
    for action, w in _IMPERSONATED.items():
        share = total * w / len(world.staff) / len(world.people)
        weighted += [(p, s, action, share) for s in world.staff for p in world.people]
    jobs: list[tuple[_Person, _Person | None, str, float]]
    jobs = [(_SYSTEM, None, action, w) for action, w in _JOBS.items()]
    builders: dict[str, Builder] = {}

    def stream(entries: list[tuple[_Person, _Person | None, str, float]]) -> _Stream:
        for _, _, action, _ in entries:
            if action not in builders:
                builders[action] = world.builder(action)
        picks = [(p, s, builders[action]) for p, s, action, _ in entries]
        return world.ws.id, picks, list(accumulate(entry[3] for entry in entries))

    return stream(weighted), stream(jobs)


def generate_events(
    n: int, *, seed: int = 7, now: datetime | None = None, days: int = 90
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` demo events, oldest first, spread over the ``days`` days ending at ``now``.

    ``now`` defaults to the current UTC minute. The same arguments give the same events.
    """
    if n < 0 or days < 1:
        raise ValueError("n must be >= 0 and days >= 1")
    if now is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _generate(n, random.Random(seed), now.astimezone(UTC), days)


_HOUR_US = 3_600_000_000


def _generate(n: int, rng: random.Random, end: datetime, days: int) -> Iterator[dict[str, Any]]:
    people = [_Person(u, i, rng) for i, u in enumerate(USERS + PLATFORM_ADMINS)]
    worlds = [_World(ws, rng, people) for ws in WORKSPACES]
    streams = [s for w in worlds for s in _streams(w)]
    start = end - timedelta(days=days)
    # Hours are aligned to UTC hours so each maps to one local hour of every workspace;
    # the first and last are partial, with weights and offsets cut to [start, end].
    first = start.replace(minute=0, second=0, microsecond=0)
    first_hour_of_week = first.weekday() * 24 + first.hour
    hours = -(-(end - first) // timedelta(hours=1))
    windows, slot_weights = [], []
    for hour in range(hours):
        hour_start = first + timedelta(hours=hour)
        lo = max(0, (start - hour_start) // timedelta(microseconds=1))
        hi = min(_HOUR_US, (end - hour_start) // timedelta(microseconds=1))
        share = (hi - lo) / _HOUR_US
        weights = []
        for w in worlds:
            local = (first_hour_of_week + hour + w.ws.utc_offset) % 168
            size = len(w.people) / 8 * share
            weights += [size * _HOUR_WEIGHTS[local], size * _JOBS_HOURLY]
        windows.append((hour_start, lo, hi - lo))
        slot_weights.append(list(accumulate(weights)))
    # Deterministic apportionment of n over the hours: rounding the running total.
    totals = list(accumulate(weights[-1] for weights in slot_weights))
    rand, bits, td = rng.random, rng.getrandbits, timedelta
    sessions: list[str] = []
    done = 0
    for hour, ((hour_start, lo, span), cum) in enumerate(zip(windows, slot_weights, strict=True)):
        count = round(n * totals[hour] / totals[-1]) - done
        if count <= 0:
            continue
        done += count
        if not sessions or hour_start.hour == 0:
            sessions = [f"sess_{p.token}{hour_start:%y%m%d}" for p in people]
        offsets = sorted([lo + int(rand() * span) for _ in range(count)])
        hexes = rng.randbytes(8 * count).hex()
        ids = ["req_" + hexes[i : i + 16] for i in range(0, 16 * count, 16)]
        total = cum[-1]
        for offset, request_id in zip(offsets, ids, strict=True):
            ws_id, entries, ecum = streams[bisect(cum, rand() * total, 0, 5)]
            actor, impersonator, build = entries[bisect(ecum, rand() * ecum[-1], 0, len(ecum) - 1)]
            if actor is _SYSTEM:
                ev: dict[str, Any] = {
                    "workspace": ws_id,
                    "layer": "workspace",
                    "occurred_at": hour_start + td(0, 0, offset),
                    "result": "success",
                    "request_id": request_id,
                }
            else:
                # While impersonating, the platform admin's own browser makes the request.
                device = impersonator or actor
                ip, user_agent = device.devices[bits(2)]
                ev = {
                    "workspace": ws_id,
                    "layer": "workspace",
                    "occurred_at": hour_start + td(0, 0, offset),
                    "result": "success",
                    "request_id": request_id,
                    "actor": actor.ref.copy(),
                    "session_id": sessions[device.index],
                    "ip": ip,
                    "user_agent": user_agent,
                }
                if impersonator:
                    ev["impersonator"] = impersonator.ref.copy()
            build(ev, actor)
            yield ev
