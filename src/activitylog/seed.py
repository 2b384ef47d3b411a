"""Deterministic demo and benchmark events for a helpdesk SaaS.

Three workspaces of an "inbox" product (conversations, contacts, teams, notes,
broadcasts, webhooks, settings) with a fixed cast of users and platform staff.
:func:`generate_events` yields event dicts in the audit log's input shape, in time
order, shaped by a business-hours rhythm in each workspace's own UTC offset.

It has to feed 10-million-event benchmarks, so the hot path avoids
``random.Random`` convenience methods (``choice``, ``randint``) in favour of
``random()`` indexing and ``bisect`` over precomputed cumulative weights, and all
names, ids and devices are drawn once per call from fixed pools.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


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

_ROSTER = """
acme owner Ava Thompson|acme admin Ben Ortiz|acme admin Chloe Nguyen|acme member Diego Alvarez
acme member Emma Schultz|acme member Farah Khan|acme member Gavin Brooks|acme member Hana Sato
acme viewer Ivan Petrov|globex owner Jonas Weber|globex admin Klara Fischer|globex member Lukas Braun
globex member Mia Wagner|globex member Nico Rossi|globex member Olivia Martin
globex member Paul Dubois|globex viewer Quinn Murphy|initech owner Ruby Walsh
initech admin Sean Kelly|initech admin Tara Singh|initech member Umar Malik
initech member Vera Costa|initech member Will Turner|initech member Xin Li
initech viewer Yara Haddad|- platform_admin Sam Rivera|- platform_admin Zoe Carter
"""


def _roster() -> tuple[SeedUser, ...]:
    users = []
    for line in _ROSTER.replace("\n", "|").split("|"):
        if not line:
            continue
        ws, role, first, last = line.split()
        domain = "helpdesk.example" if ws == "-" else f"{ws}.example"
        email = f"{first.lower()}.{last.lower()}@{domain}"
        users.append(SeedUser(f"u_{first.lower()}", f"{first} {last}", email, ws.strip("-"), role))
    return tuple(users)


USERS: tuple[SeedUser, ...] = tuple(u for u in _roster() if u.workspace)
PLATFORM_ADMINS: tuple[SeedUser, ...] = tuple(u for u in _roster() if not u.workspace)

_FIRST = (
    "Aaron Abby Adele Bruno Carla Dmitri Elena Felix Grace Hugo Iris Jamal Kenji Laura Marco "
    "Nadia Omar Priya Rosa Stefan Tomas Uma Victor Wendy Yusuf Zara Leo Maya Oscar Lina"
).split()
_LAST = (
    "Adams Baker Chen Diaz Evans Fox Garcia Hoffmann Ito Jensen Kowalski Lopez Moreau Novak "
    "Okafor Park Quist Reyes Silva Tanaka Ueda Vargas Wong Young Zimmer Berg Costa Dahl Ek Moss"
).split()
_TOPICS = (
    "Refund for order {}|Cannot log in|Question about invoice {}|Shipping delay on order {}|"
    "Feature request: dark mode|Export times out|Password reset email not arriving|"
    "Upgrade to annual plan|Cancel subscription|API rate limit exceeded|Wrong item in order {}|"
    "Change billing address|SSO setup help|Duplicate charge on card|Bulk import failing"
).split("|")
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
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
)
_SCRIPT_UA = "python-requests/2.31.0"
_TEAMS = "Tier 1 Support|Tier 2 Support|Billing|Onboarding|VIP Accounts|Night Shift".split("|")
_BROADCASTS = (
    "Product update|Holiday opening hours|Webinar invite|Scheduled maintenance|"
    "New pricing|Customer survey|Security notice|Release notes"
).split("|")
_API_KEYS = "Zapier|Data warehouse sync|Mobile app|Status page|CRM bridge|Staging".split("|")
_FEATURES = {
    "ai_summaries": "AI summaries",
    "sla_policies": "SLA policies",
    "csat_surveys": "CSAT surveys",
    "custom_domains": "Custom domains",
    "chatbot": "Chatbot",
}
_HOOK_EVENTS = ("conversation.created", "conversation.resolved", "contact.updated", "note.created")
_NOTES = (
    "Customer confirmed the fix works",
    "Escalated to engineering, see ticket",
    "Called customer, left voicemail",
    "Refund approved by billing",
    "Waiting on carrier tracking update",
)
_REASONS = ("Customer reported missing conversations", "Debug webhook setup", "Billing dispute")
_PLANS = ("starter", "growth", "pro", "enterprise")
_SETTINGS = (
    ("timezone", ("America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC")),
    ("business_hours", ("09:00-17:00", "08:00-18:00", "24/7")),
    ("auto_close_days", (3, 7, 14, 30)),
    ("csat_enabled", (True, False)),
    ("default_language", ("en", "de", "fr", "es")),
    ("round_robin", (True, False)),
)
_TEAM_FIELDS = (
    ("auto_assign", (True, False)),
    ("sla_minutes", (30, 60, 240, 480)),
    ("max_open_per_agent", (10, 20, 40)),
)


def _mix(spec: str) -> dict[str, float]:
    pairs = spec.split()
    mix: dict[str, float] = {}
    for action, weight in zip(pairs[::2], pairs[1::2], strict=True):
        mix[action] = mix.get(action, 0.0) + float(weight)
    return mix


_AUTH = (
    "auth.signed_in 3 auth.signed_out 1.5 auth.sign_in_failed 1.8 auth.password_changed .1 "
    "auth.password_reset .1 auth.mfa_enabled .06 "
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
_MIXES: dict[str, dict[str, float]] = {
    "owner": _mix(_ADMIN + " workspace.updated .5 workspace.ownership_transferred .01"),
    "admin": _mix(_ADMIN),
    "member": _mix(_MEMBER),
    "viewer": _mix(_AUTH + "conversation.viewed 40 contact.viewed 12 activity_log.viewed .2"),
}
#: Share of a workspace's events each role's users produce, per user.
_ACTIVITY = {"owner": 0.6, "admin": 1.0, "member": 1.4, "viewer": 0.5}
#: Background jobs: the builders read a missing actor as the System.
_SYSTEM = _mix(
    "contact.created 35 webhook.delivery_failed 20 broadcast.sent 8 conversation.resolved 15 "
    "conversation.reopened 12 contact.deleted 3 billing.invoice_paid 1"
)
#: Platform staff, as shares of a workspace's user events.
_STAFF = _mix("impersonation.started .0015 impersonation.ended .0015 workspace.plan_changed .0004")
#: What users are seen doing while a platform admin impersonates them.
_IMPERSONATED = _mix(
    "conversation.viewed .003 settings.updated .001 contact.updated .001 webhook.updated .0005"
)
#: Hourly weight of background jobs against a business hour's weight of 10.
_SYSTEM_HOURLY = 0.3
_PLATFORM_ACTIONS = frozenset(
    (
        "impersonation.started",
        "impersonation.ended",
        "workspace.plan_changed",
        "billing.invoice_paid",
    )
)


def _hour_weight(hour_of_week: int) -> int:
    day, hour = divmod(hour_of_week, 24)
    if day >= 5:
        return 2 if 9 <= hour < 18 else 1
    if 8 <= hour < 18:
        return 8 if hour == 12 else 10
    return {7: 4, 18: 4, 19: 3, 20: 3}.get(hour, 1)


_HOUR_WEIGHTS = tuple(_hour_weight(h) for h in range(168))


class _Person:
    """A user as an actor: reference dict, devices and a per-day session token."""

    __slots__ = ("devices", "index", "ref", "token", "user")

    def __init__(self, user: SeedUser, index: int, rng: random.Random) -> None:
        self.user = user
        self.index = index
        self.ref = {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
        self.ref["type"] = "user"
        self.token = f"{rng.getrandbits(32):08x}"
        homes = [(_home_ip(rng), rng.choice(_UAS)) for _ in range(rng.randint(1, 3))]
        # The first device is the everyday one, so it is repeated to weigh more.
        self.devices = [homes[0]] * 3 + homes[1:]


def _home_ip(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return f"2a02:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(12):x}"
    first = rng.choice((24, 50, 68, 73, 81, 86, 92, 98, 109, 151, 176, 203))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _foreign_ip(rng: random.Random) -> str:
    first = rng.choice((5, 31, 45, 91, 103, 141, 185, 193, 212))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


Builder = Callable[[dict[str, Any], _Person | None], None]
_Record = tuple[
    dict[str, Any], dict[str, Any], Sequence[tuple[str, Sequence[Any]]], list[dict[str, str]] | None
]


class _World:
    """One workspace's record pools and one builder per action it emits."""

    def __init__(self, ws: Workspace, rng: random.Random, people: Sequence[_Person]) -> None:
        self.ws = ws
        self.rng = rng
        self.rand = rng.random
        self.people = [p for p in people if p.user.workspace == ws.id]
        self.staff = [p for p in people if not p.user.workspace]
        self.staffable = [p for p in self.people if p.user.role != "owner"]
        pick = rng.choice
        self.contacts = []
        for i in range(2000):
            first, last = pick(_FIRST), pick(_LAST)
            email = f"{first}.{last}{i % 97}@{pick(('gmail.com', 'outlook.com', 'mail.com'))}"
            phone = f"+1 555 {rng.randrange(10**7):07d}"
            self.contacts.append((f"c_{i + 1}", f"{first} {last}", email.lower(), phone))
        self.convs = []
        for i in range(5000):
            number = 1000 + i
            title = pick(_TOPICS).format(rng.randrange(1000, 9999))
            self.convs.append((f"cv_{number}", f"#{number} {title}", number, rng.randrange(2000)))
        self.teams = [(f"t_{i + 1}", name) for i, name in enumerate(_TEAMS)]
        self.broadcasts = [(f"b_{i + 1}", f"{pick(_BROADCASTS)} {i + 1}") for i in range(80)]
        self.webhooks = [
            (f"wh_{i + 1}", f"https://hooks.{ws.id}.example/{name}")
            for i, name in enumerate(("crm", "slack", "warehouse", "billing", "alerts"))
        ]
        self.api_keys = [(f"ak_{i + 1}", name) for i, name in enumerate(_API_KEYS)]
        self.ws_ref = {"type": "workspace", "id": ws.id, "name": ws.name, "url": "/settings"}

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.rand() * len(seq))]

    def diff(self, options: Sequence[tuple[str, Sequence[Any]]]) -> dict[str, Any]:
        rng = self.rng
        fields = rng.sample(options, min(len(options), 1 + int(self.rand() ** 3 * 3)))
        return {f: dict(zip(("before", "after"), rng.sample(v, 2), strict=True)) for f, v in fields}

    def teammate(self, p: _Person | None) -> SeedUser:
        """Anyone but ``p`` and the owner: whom role changes and assignments target."""
        while True:
            q: _Person = self.pick(self.staffable)
            if q is not p:
                return q.user

    def builder(self, action: str) -> Builder:
        kind, verb = action.split(".")
        method: Builder | None = getattr(self, f"b_{kind}__{verb}", None)
        if method:
            return method
        if kind == "conversation":
            return self.conversation(verb)
        return self.record(kind, verb)

    def conversation(self, verb: str) -> Builder:
        action = f"conversation.{verb}"

        def build(ev: dict[str, Any], p: _Person | None) -> None:
            cid, name, number, ci = self.pick(self.convs)
            contact = self.contacts[ci]
            ev["action"] = action
            ev["subject"] = {
                "type": "conversation",
                "id": cid,
                "name": name,
                "url": f"/inbox/{cid}",
            }
            ev["related"] = [{"type": "contact", "id": contact[0], "name": contact[1]}]
            who = p.user.name if p else "System"
            text = f"{who} {verb} conversation #{number}"
            if verb == "assigned":
                to = self.teammate(None)
                text += f" to {to.name}"
                ev["details"] = {"assignee_id": to.id}
            elif verb == "snoozed":
                ev["details"] = {"hours": self.pick((1, 4, 24, 72))}
            elif verb == "replied":
                ev["details"] = {"channel": self.pick(("email", "chat", "email", "whatsapp"))}
                if self.rand() < 0.05:
                    ev["result"] = "warning"
                    ev["details"]["delivery"] = "delayed"
            elif p is None:
                why = "inactive for 7 days" if verb == "resolved" else "snooze expired"
                text = f"Conversation #{number} automatically {verb} ({why})"
            ev["description"] = text

        return build

    def record(self, kind: str, verb: str) -> Builder:
        """created/updated/deleted of a pooled record, with a snapshot or changes."""
        action = f"{kind}.{verb}"

        def build(ev: dict[str, Any], p: _Person | None) -> None:
            subject, snapshot, options, related = self.describe(kind)
            ev["action"] = action
            ev["subject"] = subject
            if verb == "updated":
                ev["changes"] = self.diff(options)
            else:
                ev["snapshot"] = snapshot
            if related:
                ev["related"] = related
            if p is None:
                text = self.system_record(ev, kind, verb)
            else:
                text = f"{p.user.name} {verb} {kind} {subject['name']}"
            ev["description"] = text

        return build

    def describe(self, kind: str) -> _Record:
        """A pooled record of ``kind``: subject ref, snapshot, fields to diff, related refs."""
        if kind == "contact":
            cid, name, email, phone = self.pick(self.contacts)
            new_email = email.replace("@", ".work@")
            snap = {"id": cid, "name": name, "email": email, "phone": phone, "status": "customer"}
            options = (
                ("email", (email, new_email)),
                ("phone", (phone, f"+44 20 {cid[2:]:0>4} 0199")),
                ("status", ("lead", "customer", "churned", "vip")),
                ("priority", ("low", "normal", "high", "urgent")),
                ("name", (name, f"{name.split()[0]} {self.pick(_LAST)}")),
            )
            ref = {"type": "contact", "id": cid, "name": name, "url": f"/contacts/{cid}"}
            return ref, snap, options, None
        if kind == "note":
            cid, name, number, _ = self.pick(self.convs)
            nid = f"n_{number}_{1 + int(self.rand() * 3)}"
            body = self.pick(_NOTES)
            url = f"/inbox/{cid}#{nid}"
            snap = {"id": nid, "conversation_id": cid, "body": body, "visibility": "internal"}
            ref = {"type": "note", "id": nid, "name": f"Note on {name}", "url": url}
            related = [{"type": "conversation", "id": cid, "name": name}]
            return ref, snap, (("body", _NOTES),), related
        if kind == "broadcast":
            bid, name = self.pick(self.broadcasts)
            audience = self.pick(("All customers", "Trial users", "VIP customers", "EMEA"))
            snap = {"id": bid, "name": name, "channel": "email", "audience": audience}
            ref = {"type": "broadcast", "id": bid, "name": name, "url": f"/broadcasts/{bid}"}
            return ref, snap, (), None
        if kind == "webhook":
            wid, url = self.pick(self.webhooks)
            snap = {"id": wid, "url": url, "events": list(_HOOK_EVENTS[:3]), "enabled": True}
            options = (
                ("enabled", (True, False)),
                ("url", (url, url.replace("hooks.", "hooks-v2."))),
                ("events", (list(_HOOK_EVENTS[:2]), list(_HOOK_EVENTS))),
            )
            ref = {"type": "webhook", "id": wid, "name": url, "url": f"/settings/webhooks/{wid}"}
            return ref, snap, options, None
        tid, name = self.pick(self.teams)
        snap = {"id": tid, "name": name, "auto_assign": True, "sla_minutes": 60}
        ref = {"type": "team", "id": tid, "name": name, "url": f"/settings/teams/{tid}"}
        return ref, snap, _TEAM_FIELDS, None

    def system_record(self, ev: dict[str, Any], kind: str, verb: str) -> str:
        day = f"{ev['occurred_at']:%Y%m%d}"
        if verb == "deleted":
            ev["details"] = {"reason": "retention_policy", "job_id": f"job_purge_{day}"}
            return f"Contact {ev['subject']['name']} deleted by the retention policy"
        ev["details"] = {"source": "csv_import", "import_id": f"imp_{self.ws.id}_{day}"}
        if self.rand() < 0.05:
            ev["result"] = "warning"
            ev["details"]["warning"] = "duplicate email merged into existing contact"
        return f"Nightly import created contact {ev['subject']['name']}"

    def user_ref(self, user: SeedUser) -> dict[str, Any]:
        return {
            "type": "user",
            "id": user.id,
            "name": user.name,
            "url": f"/settings/team/{user.id}",
        }

    def auth(self, ev: dict[str, Any], p: _Person, action: str, text: str) -> None:
        ev["action"] = action
        ev["subject"] = self.user_ref(p.user)
        ev["description"] = f"{p.user.name} {text}"

    def b_auth__signed_in(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        self.auth(ev, p, "auth.signed_in", "signed in")
        method = self.pick(("password", "password", "password", "google", "saml_sso"))
        ev["details"] = {"method": method, "mfa": method == "password" and self.rand() < 0.6}
        if self.rand() < 0.12:
            ev["result"] = "warning"
            ev["ip"] = _foreign_ip(self.rng)
            ev["details"]["new_device"] = True
            ev["description"] += " from a new device"

    def b_auth__signed_out(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        self.auth(ev, p, "auth.signed_out", "signed out")
        ev["details"] = {"reason": self.pick(("user", "user", "session_expired"))}

    def b_auth__sign_in_failed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        self.auth(ev, p, "auth.sign_in_failed", "failed to sign in")
        ev["result"] = "failure"
        reason = self.pick(("bad_password", "bad_password", "bad_password", "mfa_failed"))
        ev["details"] = {"reason": reason, "attempted_email": p.user.email}
        if self.rand() < 0.4:
            ev["ip"], ev["user_agent"] = _foreign_ip(self.rng), self.pick((_SCRIPT_UA, *_UAS))
            ev["description"] = f"Failed sign-in for {p.user.email} from an unknown location"

    def b_auth__password_changed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        self.auth(ev, p, "auth.password_changed", "changed their password")

    def b_auth__password_reset(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        self.auth(ev, p, "auth.password_reset", "reset their password via email link")
        ev["details"] = {"via": "email_link"}

    def b_auth__mfa_enabled(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        self.auth(ev, p, "auth.mfa_enabled", "enabled two-factor authentication")
        ev["details"] = {"method": self.pick(("totp", "webauthn"))}

    def b_user__invited(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        first, last = self.pick(_FIRST), self.pick(_LAST)
        email = f"{first}.{last}@{self.ws.id}.example".lower()
        ev["action"] = "user.invited"
        ev["subject"] = {"type": "user", "id": f"u_{self.rng.getrandbits(40):010x}", "name": email}
        ev["details"] = {"role": self.pick(("member", "member", "viewer", "admin"))}
        ev["description"] = f"{p.user.name} invited {email} as {ev['details']['role']}"
        if self.rand() < 0.04:
            ev["result"] = "failure"
            ev["details"]["error"] = "seat_limit_reached"

    def b_user__role_changed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        target = self.teammate(p)
        after = self.pick([r for r in ("admin", "member", "viewer") if r != target.role])
        ev["action"] = "user.role_changed"
        ev["subject"] = self.user_ref(target)
        ev["changes"] = {"role": {"before": target.role, "after": after}}
        text = f"{p.user.name} changed {target.name}'s role from {target.role} to {after}"
        ev["description"] = text

    def b_user__removed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        t = self.teammate(p)
        ev["action"] = "user.removed"
        ev["subject"] = self.user_ref(t)
        ev["snapshot"] = {"id": t.id, "name": t.name, "email": t.email, "role": t.role}
        ev["description"] = f"{p.user.name} removed {t.name} from {self.ws.name}"

    def team_member(self, ev: dict[str, Any], p: _Person | None, verb: str) -> None:
        assert p is not None
        tid, name = self.pick(self.teams)
        member = self.teammate(None)
        ev["action"] = f"team.member_{verb}"
        ev["subject"] = {"type": "team", "id": tid, "name": name, "url": f"/settings/teams/{tid}"}
        ev["related"] = [{"type": "user", "id": member.id, "name": member.name}]
        where = "to" if verb == "added" else "from"
        ev["description"] = f"{p.user.name} {verb} {member.name} {where} team {name}"

    def b_team__member_added(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.team_member(ev, p, "added")

    def b_team__member_removed(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.team_member(ev, p, "removed")

    def b_contact__viewed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        cid, name, _, _ = self.pick(self.contacts)
        ev["action"] = "contact.viewed"
        ev["subject"] = {"type": "contact", "id": cid, "name": name, "url": f"/contacts/{cid}"}
        ev["description"] = f"{p.user.name} viewed contact {name}"

    def b_contact__merged(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        keep, gone = self.pick(self.contacts), self.pick(self.contacts)
        ev["action"] = "contact.merged"
        ev["subject"] = {"type": "contact", "id": keep[0], "name": keep[1]}
        ev["subject"]["url"] = f"/contacts/{keep[0]}"
        ev["related"] = [{"type": "contact", "id": gone[0], "name": gone[1]}]
        ev["details"] = {"merged_id": gone[0], "kept_email": keep[2]}
        if self.rand() < 0.1:
            ev["result"] = "warning"
            ev["details"]["conflicts"] = ["phone"]
        ev["description"] = f"{p.user.name} merged contact {gone[1]} into {keep[1]}"

    def export(self, ev: dict[str, Any], p: _Person | None, action: str, what: str) -> None:
        assert p is not None
        rows = int(self.rand() ** 2 * 20000) + 1
        ev["action"] = action
        ev["details"] = {"format": self.pick(("csv", "csv", "xlsx")), "rows": rows}
        ev["description"] = f"{p.user.name} exported {rows} {what} rows"

    def b_contact__exported(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.export(ev, p, "contact.exported", "contact")
        segment = self.pick(("All contacts", "VIP customers", "Churned last 30 days"))
        ev["subject"] = {
            "type": "segment",
            "id": segment.lower().replace(" ", "_"),
            "name": segment,
        }

    def b_activity_log__exported(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.export(ev, p, "activity_log.exported", "activity log")
        ev["subject"] = {"type": "activity_log", "id": self.ws.id, "name": "Activity log"}

    def b_activity_log__viewed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        ev["action"] = "activity_log.viewed"
        ev["subject"] = {"type": "activity_log", "id": self.ws.id, "name": "Activity log"}
        category = self.pick((None, None, "users", "webhooks", "auth", "settings"))
        if category:
            ev["details"] = {"filters": {"category": category}}
        ev["description"] = f"{p.user.name} viewed the activity log"

    def broadcast(self, ev: dict[str, Any], p: _Person | None, verb: str) -> None:
        bid, name = self.pick(self.broadcasts)
        ev["action"] = f"broadcast.{verb}"
        ev["subject"] = {"type": "broadcast", "id": bid, "name": name, "url": f"/broadcasts/{bid}"}
        who = p.user.name if p else "System"
        ev["description"] = f"{who} {verb} broadcast {name}"

    def b_broadcast__scheduled(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.broadcast(ev, p, "scheduled")
        send_at = ev["occurred_at"] + timedelta(days=1 + int(self.rand() * 6))
        ev["details"] = {"send_at": send_at.replace(minute=0, second=0, microsecond=0).isoformat()}

    def b_broadcast__sent(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.broadcast(ev, p, "sent")
        recipients = 200 + int(self.rand() * 20000)
        bounced = int(recipients * self.rand() * 0.04)
        ev["details"] = {"recipients": recipients, "bounced": bounced, "scheduled": p is None}
        if bounced > recipients * 0.03:
            ev["result"] = "warning"

    def b_webhook__delivery_failed(self, ev: dict[str, Any], p: _Person | None) -> None:
        wid, url = self.pick(self.webhooks)
        status = self.pick((500, 502, 503, 504, 410, None))
        ev["action"] = "webhook.delivery_failed"
        ev["result"] = "failure"
        ev["subject"] = {
            "type": "webhook",
            "id": wid,
            "name": url,
            "url": f"/settings/webhooks/{wid}",
        }
        ev["details"] = {
            "event": self.pick(_HOOK_EVENTS),
            "status_code": status,
            "error": "timeout after 10s" if status is None else f"HTTP {status}",
            "attempt": 1 + int(self.rand() * 5),
            "delivery_id": f"dlv_{self.rng.getrandbits(48):012x}",
        }
        ev["description"] = f"Webhook delivery to {url} failed ({ev['details']['error']})"

    def b_settings__updated(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        ev["action"] = "settings.updated"
        ev["subject"] = {"type": "settings", "id": f"{self.ws.id}_inbox", "name": "Inbox settings"}
        ev["changes"] = changes = self.diff(_SETTINGS)
        ev["description"] = f"{p.user.name} updated inbox settings: {', '.join(changes)}"

    def b_workspace__updated(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        ev["action"] = "workspace.updated"
        ev["subject"] = dict(self.ws_ref)
        options = (("name", (self.ws.name, self.ws.name.split()[0])), *_SETTINGS[:2])
        ev["changes"] = self.diff(options)
        ev["description"] = f"{p.user.name} updated workspace {self.ws.name}"

    def b_workspace__ownership_transferred(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        heir = self.pick([q.user for q in self.people if q.user.role == "admin"])
        ev["action"] = "workspace.ownership_transferred"
        ev["subject"] = dict(self.ws_ref)
        ev["related"] = [{"type": "user", "id": heir.id, "name": heir.name}]
        ev["changes"] = {"owner_id": {"before": p.user.id, "after": heir.id}}
        ev["description"] = f"{p.user.name} transferred ownership of {self.ws.name} to {heir.name}"

    def b_workspace__plan_changed(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        before, after = self.rng.sample(_PLANS, 2)
        ev["action"] = "workspace.plan_changed"
        ev["subject"] = dict(self.ws_ref)
        ev["changes"] = {"plan": {"before": before, "after": after}}
        ev["details"] = {"ticket": f"SUP-{self.rng.randrange(1000, 9999)}"}
        ev["description"] = f"{p.user.name} changed {self.ws.name}'s plan from {before} to {after}"

    def b_billing__invoice_paid(self, ev: dict[str, Any], p: _Person | None) -> None:
        number = f"INV-{ev['occurred_at']:%Y%m}-{self.ws.id.upper()}"
        amount = self.pick((49.0, 199.0, 499.0, 1299.0))
        ev["action"] = "billing.invoice_paid"
        ev["subject"] = {"type": "invoice", "id": number.lower(), "name": number}
        ev["details"] = {"amount": amount, "currency": "USD", "method": "card"}
        ev["description"] = f"Invoice {number} paid ({amount:.2f} USD)"

    def b_api_key__created(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        kid, name = self.pick(self.api_keys)
        prefix = f"ak_live_{self.rng.getrandbits(16):04x}"
        ev["action"] = "api_key.created"
        ev["subject"] = {"type": "api_key", "id": kid, "name": name, "url": "/settings/api"}
        ev["snapshot"] = {"id": kid, "name": name, "prefix": prefix, "scopes": ["read", "write"]}
        ev["description"] = f"{p.user.name} created API key {name}"

    def b_api_key__revoked(self, ev: dict[str, Any], p: _Person | None) -> None:
        assert p is not None
        kid, name = self.pick(self.api_keys)
        ev["action"] = "api_key.revoked"
        ev["subject"] = {"type": "api_key", "id": kid, "name": name, "url": "/settings/api"}
        ev["details"] = {"last_used_days_ago": int(self.rand() * 120)}
        ev["description"] = f"{p.user.name} revoked API key {name}"

    def feature(self, ev: dict[str, Any], p: _Person | None, verb: str) -> None:
        assert p is not None
        key = self.pick(tuple(_FEATURES))
        ev["action"] = f"feature.{verb}"
        ev["subject"] = {"type": "feature", "id": key, "name": _FEATURES[key]}
        ev["description"] = f"{p.user.name} {verb} {_FEATURES[key]}"

    def b_feature__enabled(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.feature(ev, p, "enabled")

    def b_feature__disabled(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.feature(ev, p, "disabled")

    def impersonation(self, ev: dict[str, Any], p: _Person | None, verb: str) -> None:
        assert p is not None
        target = self.teammate(None)
        ev["action"] = f"impersonation.{verb}"
        ev["subject"] = self.user_ref(target)
        ev["details"] = {"reason": self.pick(_REASONS), "ticket": f"SUP-{target.id[2:]}-4821"}
        if verb == "ended":
            ev["details"]["duration_minutes"] = 2 + int(self.rand() * 40)
        ev["description"] = f"{p.user.name} {verb} impersonating {target.name}"

    def b_impersonation__started(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.impersonation(ev, p, "started")

    def b_impersonation__ended(self, ev: dict[str, Any], p: _Person | None) -> None:
        self.impersonation(ev, p, "ended")


#: (actor, impersonator, builder) plus cumulative weights for ``bisect``.
_Stream = tuple[list[tuple[_Person | None, _Person | None, Builder]], list[float]]


def _streams(world: _World) -> tuple[_Stream, _Stream]:
    """The workspace's user stream and its background-job stream."""
    build: dict[str, Builder] = {}
    people: list[tuple[_Person | None, _Person | None, str, float]] = []
    for p in world.people:
        mix = _MIXES[p.user.role]
        total = sum(mix.values())
        people += [(p, None, a, _ACTIVITY[p.user.role] * w / total) for a, w in mix.items()]
    user_total = sum(w for *_, w in people)
    staff = world.staff
    for a, w in _STAFF.items():
        people += [(s, None, a, user_total * w / len(staff)) for s in staff]
    for a, w in _IMPERSONATED.items():
        share = user_total * w / len(staff) / len(world.people)
        people += [(p, s, a, share) for s in staff for p in world.people]
    jobs = [(None, None, a, w) for a, w in _SYSTEM.items()]

    def stream(entries: list[tuple[_Person | None, _Person | None, str, float]]) -> _Stream:
        cum, acc = [], 0.0
        for *_, w in entries:
            acc += w
            cum.append(acc)
        for _, _, a, _ in entries:
            build.setdefault(a, world.builder(a))
        return [(p, s, build[a]) for p, s, a, _ in entries], cum

    return stream(people), stream(jobs)


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


def _generate(n: int, rng: random.Random, end: datetime, days: int) -> Iterator[dict[str, Any]]:
    people = [_Person(u, i, rng) for i, u in enumerate(USERS + PLATFORM_ADMINS)]
    worlds = [_World(ws, rng, people) for ws in WORKSPACES]
    streams = [(w, s) for w in worlds for s in _streams(w)]
    start = end - timedelta(days=days)
    # Each workspace's hour-of-week at the middle of the first slot, in its own offset.
    first_hours = []
    for w in worlds:
        local = start + timedelta(hours=w.ws.utc_offset, minutes=30)
        first_hours.append(local.weekday() * 24 + local.hour)
    sizes = [len(w.people) / 8 for w in worlds]
    slots = days * 24
    slot_weights = []
    for slot in range(slots):
        weights = []
        for first, size in zip(first_hours, sizes, strict=True):
            weights += [size * _HOUR_WEIGHTS[(first + slot) % 168], size * _SYSTEM_HOURLY]
        slot_weights.append(weights)
    # Integer apportionment of n over the hours by cumulative weight: exact, no randomness.
    cum_int, acc = [], 0
    for weights in slot_weights:
        acc += round(sum(weights) * 1000)
        cum_int.append(acc)
    rand, bits = rng.random, rng.getrandbits
    sessions: list[str] = []
    done = 0
    for slot, weights in enumerate(slot_weights):
        count = n * cum_int[slot] // acc - done
        if not count:
            continue
        done += count
        if not sessions or slot % 24 == 0:
            sessions = [f"sess_{p.token}{slot // 24:04x}" for p in people]
        slot_start = start + timedelta(hours=slot)
        cum, total = [], 0.0
        for weight in weights:
            total += weight
            cum.append(total)
        hi = len(cum) - 1
        for offset in sorted([int(rand() * 3_600_000_000) for _ in range(count)]):
            world, (entries, ecum) = streams[bisect(cum, rand() * total, 0, hi)]
            actor, impersonator, builder = entries[
                bisect(ecum, rand() * ecum[-1], 0, len(ecum) - 1)
            ]
            ev: dict[str, Any] = {
                "workspace": world.ws.id,
                "layer": "workspace",
                "occurred_at": slot_start + timedelta(microseconds=offset),
                "result": "success",
                "request_id": f"req_{bits(64):016x}",
            }
            if actor is not None:
                ev["actor"] = dict(actor.ref)
                # While impersonating, the platform admin's own browser does the request.
                device = actor
                if impersonator is not None:
                    ev["impersonator"] = dict(impersonator.ref)
                    device = impersonator
                ev["session_id"] = sessions[device.index]
                ev["ip"], ev["user_agent"] = device.devices[int(rand() * len(device.devices))]
            builder(ev, actor)
            if ev["action"] in _PLATFORM_ACTIONS:
                ev["layer"] = "platform"
            yield ev
