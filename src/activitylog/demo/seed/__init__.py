"""Deterministic demo and benchmark events for a helpdesk SaaS.

Three workspaces of an "inbox" product (conversations, contacts, teams, notes,
broadcasts, webhooks, settings), a fixed cast of users and two platform admins.
:func:`generate_events` yields events in the audit log's input shape, oldest first,
following a business-hours rhythm in each workspace's own UTC offset.

It feeds 10-million-event benchmarks: records are built once per process into pools
padded to a power of two (indexed with one ``getrandbits``), each event is drawn with
one ``bisect`` over cumulative weights, and events reuse the pooled dicts rather than
copying them (see :func:`generate_events`).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any, NamedTuple

from activitylog.demo.seed.cast import (
    _ACTIVITY,
    _ATTACK_UAS,
    _DETAILS,
    _FOREIGN_NETS,
    _HOME_NETS,
    _HOME_V6,
    _HOUR_WEIGHTS,
    _IMPERSONATED,
    _JOBS,
    _JOBS_HOURLY,
    _MIXES,
    _NAMES,
    _NOTE,
    _NOTES,
    _POOLS,
    _SMALL,
    _STAFF,
    _STATUS,
    _TEXT,
    _TOPICS,
    _UAS,
    _WEBHOOK,
    PLATFORM_ADMINS,
    USERS,
    WORKSPACES,
    SeedUser,
    Workspace,
    _Fields,
    _Json,
    _words,
)


class _Rec(NamedTuple):
    """A pooled record: subject ref, label for descriptions, snapshot, diffable fields."""

    ref: _Json
    label: str
    snapshot: _Json
    fields: _Fields = ()
    related: _Json | None = None


def _rec(
    kind: str, rid: str, name: str, url: str, snap: _Json | None = None, fields: _Fields = ()
) -> _Rec:
    ref = {"type": kind, "id": rid, "name": name, "url": url + rid}
    return _Rec(ref, name, {"id": rid, "name": name, **(snap or {})}, fields)


def _user_rec(user: SeedUser) -> _Rec:
    snap = {"email": user.email, "role": user.role}
    return _rec("user", user.id, user.name, "/settings/team/", snap)


class _Person:
    """An actor: its ref, home devices, session token and own record (auth subjects)."""

    __slots__ = ("devices", "index", "name", "rec", "ref", "token", "user")

    def __init__(self, user: SeedUser, index: int, rng: random.Random) -> None:
        self.user, self.name, self.index, self.rec = user, user.name, index, _user_rec(user)
        self.ref = {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
        self.ref["type"] = "user"
        self.token = f"{rng.getrandbits(32):08x}"
        homes = [(_ip(rng, _HOME_NETS), rng.choice(_UAS)) for _ in range(rng.randint(1, 3))]
        # Four slots, picked with getrandbits(2); the everyday device fills the spare ones.
        self.devices = homes[:1] * (5 - len(homes)) + homes[1:]


def _ip(rng: random.Random, nets: Sequence[int]) -> str:
    if nets is _HOME_NETS and rng.random() < 0.25:
        prefix = _HOME_V6[rng.getrandbits(16) % len(_HOME_V6)]
        return f"{prefix}:{rng.getrandbits(16):x}::{rng.getrandbits(12):x}"
    return f"{rng.choice(nets)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


_Builder = Callable[[_Json, _Person], None]
_Extra = Callable[["_World", _Json, _Person, _Rec], None]
#: Background jobs: their events carry no actor, session or device.
_SYSTEM = _Person(SeedUser("system", "System", "", "", "system"), -1, random.Random(0))


def _padded(recs: list[_Rec]) -> list[_Rec]:
    """``recs`` repeated up to a power-of-two length, so getrandbits can index it."""
    size = 1 << (len(recs) - 1).bit_length()
    return (recs * (size // len(recs) + 1))[:size]


@cache
def _pools(ws: Workspace) -> dict[str, list[_Rec]]:
    """The workspace's records by kind. The same for every seed (only the activity on
    them varies), so they are built once per process."""
    rand = random.Random(ws.id).random
    pools: dict[str, list[_Rec]] = {"contact": [], "conversation": [], "note": []}
    for i in range(1, 2049):
        name = _NAMES[int(rand() * len(_NAMES))]
        email = f"{name.replace(' ', '.').lower()}{i}@{'gmail.com' if i % 3 else 'gmx.de'}"
        phone, new_phone = f"+1 555 {int(rand() * 1e7):07d}", f"+44 20 7946 {i:04d}"
        contact = {"email": email, "phone": phone, "status": "customer"}
        first, last = name.lower().split()
        moved = (("email", (email, f"{first}@{last}.example")), ("phone", (phone, new_phone)))
        fields: _Fields = (*moved, *_STATUS)
        pools["contact"].append(_rec("contact", f"c_{i}", name, "/contacts/", contact, fields))
    links = [{"type": "contact", "id": c.ref["id"], "name": c.label} for c in pools["contact"]]
    for number in range(1000, 5096):
        cid = f"cv_{number}"
        name = f"#{number} {_TOPICS[int(rand() * len(_TOPICS))].format(number * 7 % 9000)}"
        ref = {"type": "conversation", "id": cid, "name": name, "url": "/inbox/" + cid}
        link = links[int(rand() * len(links))]
        pools["conversation"].append(_Rec(ref, f"#{number}", {}, related=link))
        if number % 4 == 0:  # one conversation in four has an internal note
            note = {"conversation_id": cid, "body": _NOTES[number % len(_NOTES)]}
            link = {"type": "conversation", "id": cid, "name": name}
            rec = _rec("note", f"n_{number}", f"Note on #{number}", "/notes/", note, _NOTE)
            pools["note"].append(rec._replace(label=f"on #{number}", related=link))
    for kind, (prefix, url, names, fields) in _SMALL.items():
        pools[kind] = [
            _rec(kind, f"{prefix}{i}", name, url, None, fields)
            for i, name in enumerate(_words(names), 1)
        ]
    pools["webhook"] = [
        _rec("webhook", f"wh_{i}", url, "/settings/webhooks/", {"url": url}, _WEBHOOK)
        for i, url in enumerate(f"https://{ws.id}.example/hooks/{i}" for i in range(5))
    ]
    renamed = (("name", (ws.name, ws.name.split()[0])), ("data_retention_days", (90, 365)))
    pools["workspace"] = [_rec("workspace", ws.id, ws.name, "/settings/", None, renamed)]
    pools["activity_log"] = [_rec("activity_log", ws.id, "Activity log", "/activity#")]
    members = [u for u in USERS if u.workspace == ws.id and u.role in ("member", "viewer")]
    pools["user"] = [_user_rec(u) for u in members]
    return {kind: _padded(recs) for kind, recs in pools.items()}


class _World:
    """One workspace in one run: its people, its pools and a builder per action."""

    def __init__(self, ws: Workspace, rng: random.Random, people: Sequence[_Person]) -> None:
        self.ws, self.rng, self.rand, self.bits = ws, rng, rng.random, rng.getrandbits
        self.people = [p for p in people if p.user.workspace == ws.id]
        self.staff = [p for p in people if not p.user.workspace]
        self.agents = [p for p in self.people if p.user.role in ("admin", "member")]
        self.admins = [p for p in self.people if p.user.role == "admin"]
        self.pools = _pools(ws)

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

    def builder(self, action: str) -> _Builder:
        kind, verb = action.split(".")
        pool = self.pools.get(_POOLS.get(action) or _POOLS.get(kind, kind))
        size_bits = (len(pool) - 1).bit_length() if pool else 0
        noun = (_POOLS.get(action) or kind).replace("_", " ")
        text = _TEXT.get(action) or f"%s {verb.replace('_', ' ')} {noun} %s"
        key, values = _DETAILS.get(action, ("", ()))
        extra = _EXTRAS.get(action)
        snapshot, changes = verb in ("created", "deleted", "removed"), verb == "updated"
        bits, rand = self.bits, self.rand

        def build(ev: _Json, p: _Person) -> None:
            rec = p.rec if pool is None else pool[bits(size_bits)]
            ev["action"] = action
            ev["subject"] = rec.ref
            if rec.related:
                ev["related"] = [rec.related]
            if snapshot:
                ev["snapshot"] = rec.snapshot
            elif changes:
                ev["changes"] = self.diff(rec.fields)
            if values:
                ev["details"] = {key: values[int(rand() * len(values))]}
            ev["description"] = text % (p.name, rec.label)
            if extra:
                extra(self, ev, p, rec)

        return build


_EXTRAS: dict[str, _Extra] = {}


def _extra(*actions: str) -> Callable[[_Extra], _Extra]:
    """Registers the event-specific part (details, result, wording) of some actions."""

    def register(fn: _Extra) -> _Extra:
        _EXTRAS.update(dict.fromkeys(actions, fn))
        return fn

    return register


@_extra("conversation.assigned", "conversation.replied")
@_extra("conversation.resolved", "conversation.reopened")
def _conversation(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    action = ev["action"]
    if action == "conversation.assigned":
        to = w.pick(w.agents).user
        ev["details"] = {"assignee_id": to.id}
        ev["description"] += f" to {to.name}"
    elif action == "conversation.replied":
        if w.rand() < 0.07:
            ev["result"] = "warning"
            ev["details"]["delivery"] = "delayed"
    elif p is _SYSTEM:
        rule = "inactive_7_days" if action == "conversation.resolved" else "snooze_expired"
        ev["details"] = {"rule": rule}
        ev["description"] = f"Conversation {rec.label} was {action[13:]} by rule {rule}"


@_extra("auth.signed_in", "auth.sign_in_failed")
def _sign_in(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    details = ev["details"]
    if ev["action"] == "auth.signed_in":
        details["mfa"] = details["method"] == "password" and w.rand() < 0.6
        if w.rand() < 0.15:
            ev["result"], ev["ip"] = "warning", _ip(w.rng, _FOREIGN_NETS)
            details["new_device"] = True
            ev["description"] += " from a new device"
        return
    ev["result"] = "failure"
    del ev["session_id"]
    details["attempted_email"] = p.user.email
    if w.rand() < 0.4:
        ev["ip"], ev["user_agent"] = _ip(w.rng, _FOREIGN_NETS), w.pick(_ATTACK_UAS)
        ev["description"] = f"Failed sign-in for {p.user.email} from an unknown location"


@_extra("user.invited")
def _invited(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    email = f"{w.pick(_NAMES).replace(' ', '.')}@{w.ws.id}.example".lower()
    role = w.pick(("member", "member", "viewer", "admin"))
    ev["subject"] = {"type": "user", "id": f"u_{w.bits(40):010x}", "name": email}
    ev["details"] = {"role": role}
    ev["description"] = f"{p.name} invited {email} as {role}"
    if w.rand() < 0.04:
        ev["result"] = "failure"
        ev["details"]["error"] = "seat_limit_reached"


@_extra("user.role_changed", "workspace.ownership_transferred")
def _role_changed(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    if ev["action"] == "user.role_changed":
        before = rec.snapshot["role"]
        after = w.pick([role for role in ("admin", "member", "viewer") if role != before])
        ev["changes"] = {"role": {"before": before, "after": after}}
        ev["description"] = f"{p.name} changed {rec.label}'s role from {before} to {after}"
        return
    heir = w.pick(w.admins).user
    ev["related"] = [{"type": "user", "id": heir.id, "name": heir.name}]
    ev["changes"] = {"owner_id": {"before": p.user.id, "after": heir.id}}
    ev["description"] = f"{p.name} transferred ownership of {rec.label} to {heir.name}"


@_extra("team.member_added", "team.member_removed")
def _team_member(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    member = w.pick(w.agents).user
    ev["related"] = [{"type": "user", "id": member.id, "name": member.name}]
    how = "added {} to" if ev["action"] == "team.member_added" else "removed {} from"
    ev["description"] = f"{p.name} {how.format(member.name)} team {rec.label}"


@_extra("contact.created", "contact.deleted", "contact.merged")
def _contact(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    action, day = ev["action"], f"{ev['occurred_at']:%Y%m%d}"
    if action == "contact.merged":
        gone = w.pick(w.pools["contact"])
        ev["related"] = [{"type": "contact", "id": gone.ref["id"], "name": gone.label}]
        ev["details"] = {"merged_id": gone.ref["id"]}
        ev["description"] = f"{p.name} merged contact {gone.label} into {rec.label}"
        if w.rand() < 0.1:
            ev["result"] = "warning"
            ev["details"]["conflicts"] = ["phone"]
    elif p is not _SYSTEM:
        return
    elif action == "contact.deleted":
        ev["details"] = {"reason": "retention_policy", "job_id": f"job_purge_{day}"}
        ev["description"] = f"Retention policy deleted contact {rec.label}"
    else:
        ev["details"] = {"source": "csv_import", "import_id": f"imp_{w.ws.id}_{day}"}
        ev["description"] = f"Scheduled import created contact {rec.label}"
        if w.rand() < 0.05:
            ev["result"] = "warning"
            ev["details"]["warning"] = "email already used by another contact"


@_extra("contact.exported", "activity_log.exported")
def _exported(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    rows = 1 + int(w.rand() ** 2 * 20000)
    ev["details"] = {"format": w.pick(("csv", "csv", "xlsx", "json")), "rows": rows}
    ev["description"] += f" ({rows} rows)"


@_extra("broadcast.scheduled", "broadcast.sent")
def _broadcast(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    if ev["action"] == "broadcast.scheduled":
        send_at = ev["occurred_at"] + timedelta(days=1 + int(w.rand() * 6))
        ev["details"] = {"send_at": f"{send_at:%Y-%m-%dT%H}:00:00Z"}
        return
    recipients = 200 + int(w.rand() * 20000)
    bounced = int(recipients * w.rand() * 0.04)
    ev["details"] = {"recipients": recipients, "bounced": bounced}
    if bounced > recipients * 0.03:
        ev["result"] = "warning"
    if p is _SYSTEM:
        ev["description"] = f"Scheduled broadcast {rec.label} was sent to {recipients} contacts"


@_extra("webhook.delivery_failed")
def _delivery_failed(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
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


@_extra("impersonation.started", "impersonation.ended")
@_extra("workspace.plan_changed", "billing.invoice_paid")
def _platform(w: _World, ev: _Json, p: _Person, rec: _Rec) -> None:
    ev["layer"] = "platform"
    if ev["action"] == "billing.invoice_paid":
        number = f"INV-{ev['occurred_at']:%Y%m}-{w.ws.id.upper()}"
        amount = w.pick((49.0, 199.0, 499.0, 1299.0))
        ev["subject"] = {"type": "invoice", "id": number.lower(), "name": number}
        ev["details"] = {"amount": amount, "currency": "USD", "method": "card"}
        ev["description"] = f"Invoice {number} of {rec.label} was paid ({amount:.2f} USD)"
        return
    ev.setdefault("details", {})["ticket"] = f"SUP-{1000 + int(w.rand() * 9000)}"
    if ev["action"] == "workspace.plan_changed":
        before, after = w.rng.sample(("starter", "growth", "pro", "enterprise"), 2)
        ev["changes"] = {"plan": {"before": before, "after": after}}
        ev["description"] = f"{p.name} changed the plan of {rec.label} to {after}"


#: (workspace id, actor, impersonator, builder).
_Entry = tuple[str, _Person, _Person | None, _Builder]
_Weighted = list[tuple[_Entry, float]]


def _streams(world: _World) -> tuple[_Weighted, _Weighted]:
    """The workspace's user events (platform staff's included) and its background jobs,
    each with weights summing to 1."""
    raw: list[tuple[_Person, _Person | None, str, float]] = []
    for p in world.people:
        mix = _MIXES[p.user.role]
        scale = _ACTIVITY[p.user.role] / sum(mix.values())
        raw += [(p, None, action, w * scale) for action, w in mix.items()]
    total = sum(entry[3] for entry in raw)
    for action, w in _STAFF.items():
        raw += [(s, None, action, total * w / len(world.staff)) for s in world.staff]
    for action, w in _IMPERSONATED.items():
        # Staff do, as a user, only what that user's role does.
        pairs = [(p, s) for s in world.staff for p in world.people if action in _MIXES[p.user.role]]
        raw += [(p, s, action, total * w / len(pairs)) for p, s in pairs]
    jobs: list[tuple[_Person, _Person | None, str, float]]
    jobs = [(_SYSTEM, None, action, w) for action, w in _JOBS.items()]
    builders: dict[str, _Builder] = {}

    def stream(entries: list[tuple[_Person, _Person | None, str, float]]) -> _Weighted:
        total = sum(entry[3] for entry in entries)
        for _, _, action, _ in entries:
            if action not in builders:
                builders[action] = world.builder(action)
        return [((world.ws.id, p, s, builders[a]), w / total) for p, s, a, w in entries]

    return stream(raw), stream(jobs)


def generate_events(
    n: int, *, seed: int = 7, now: datetime | None = None, days: int = 90
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` demo events, oldest first, spread over the ``days`` days ending at ``now``.

    ``now`` defaults to the current UTC minute; the same arguments give the same events.
    Each event is a new dict, but for speed its nested ``actor``, ``impersonator``,
    ``subject``, ``related`` items and ``snapshot`` are shared with other events: copy
    them before changing them.
    """
    if n < 0 or days < 1:
        raise ValueError("n must be >= 0 and days >= 1")
    if now is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _generate(n, random.Random(seed), now.astimezone(UTC), days)


_HOUR_US = 3_600_000_000
_MICROSECOND = timedelta(microseconds=1)


def _generate(n: int, rng: random.Random, end: datetime, days: int) -> Iterator[dict[str, Any]]:
    people = [_Person(u, i, rng) for i, u in enumerate(USERS + PLATFORM_ADMINS)]
    worlds = [_World(ws, rng, people) for ws in WORKSPACES]
    streams = [(len(w.people) / 8, *_streams(w)) for w in worlds]
    # Hours are aligned to UTC hours so each is one local hour of every workspace; the
    # first and last are partial, with weights and offsets cut to [end - days, end].
    start = end - timedelta(days=days)
    first = start.replace(minute=0, second=0, microsecond=0)
    lead, length = (start - first) // _MICROSECOND, (end - first) // _MICROSECOND
    first_hour_of_week = first.weekday() * 24 + first.hour
    # One merged table per combination of the workspaces' local hour weights.
    tables: dict[tuple[int, ...], tuple[list[_Entry], list[float]]] = {}
    hours = []
    for hour in range(-(-length // _HOUR_US)):
        lo, hi = lead if hour == 0 else 0, min(_HOUR_US, length - hour * _HOUR_US)
        how = first_hour_of_week + hour
        local = tuple(_HOUR_WEIGHTS[(how + w.ws.utc_offset) % 168] for w in worlds)
        if local not in tables:
            merged = [
                (entry, weight * size * scale)
                for (size, users, jobs), h in zip(streams, local, strict=True)
                for part, scale in ((users, h), (jobs, _JOBS_HOURLY))
                for entry, weight in part
            ]
            tables[local] = [e for e, _ in merged], list(accumulate(w for _, w in merged))
        table = tables[local]
        hours.append((hour, lo, hi - lo, table, table[1][-1] * (hi - lo) / _HOUR_US))
    # Deterministic apportionment of n over the hours: rounding the running total.
    totals = list(accumulate(hour[-1] for hour in hours))
    rand, bits, td, system = rng.random, rng.getrandbits, timedelta, _SYSTEM
    sessions: list[str] = []
    done = session_day = 0
    for (hour, lo, span, (entries, cum), _), running in zip(hours, totals, strict=True):
        count = round(n * running / totals[-1]) - done
        if not count:
            continue
        done += count
        hour_start = first + td(hours=hour)
        if not sessions or hour_start.toordinal() != session_day:
            session_day = hour_start.toordinal()
            sessions = [f"sess_{p.token}{hour_start:%y%m%d}" for p in people]
        total, last = cum[-1], len(cum) - 1
        offsets = sorted([lo + int(rand() * span) for _ in range(count)])
        hexes = rng.randbytes(8 * count).hex()
        ids = ["req_" + hexes[i : i + 16] for i in range(0, 16 * count, 16)]
        for offset, request_id in zip(offsets, ids, strict=True):
            ws_id, actor, impersonator, build = entries[bisect(cum, rand() * total, 0, last)]
            if actor is system:
                ev: _Json = {
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
                    "actor": actor.ref,
                    "session_id": sessions[device.index],
                    "ip": ip,
                    "user_agent": user_agent,
                }
                if impersonator:
                    ev["impersonator"] = impersonator.ref
            build(ev, actor)
            yield ev


__all__ = ["PLATFORM_ADMINS", "USERS", "WORKSPACES", "SeedUser", "Workspace", "generate_events"]
