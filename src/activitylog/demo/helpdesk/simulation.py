"""Scripted people using the helpdesk through its HTTP API: the demo's source of realistic
activity.

A :class:`Script` runs one step at a time — sign in, do one thing their role does (by the
role's weights), sign out, impersonate, an inbound customer email, a password guessing
burst — picking what to act on from the app's own list endpoints. Who the people are,
their sessions and the requests they send: :mod:`.simulation_visits`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from activitylog.demo.helpdesk.simulation_visits import MAILBOXES, Visit, Visits
from activitylog.demo.seed.cast import _NAMES, _NOTES, _TOPICS

#: What each role does when at the desk, by weight.
MEMBER_MIX = {
    "view": 8.0,
    "reply": 18.0,
    "assign": 5.0,
    "resolve": 9.0,
    "reopen": 1.5,
    "snooze": 2.5,
    "note": 5.0,
    "edit_note": 1.0,
    "delete_note": 0.3,
    "create_contact": 1.5,
    "update_contact": 3.0,
    "delete_contact": 0.15,
    "start_conversation": 2.0,
}
ADMIN_MIX = {
    **{k: v / 2 for k, v in MEMBER_MIX.items()},
    "assign": 8.0,
    "settings": 1.5,
    "role_change": 0.5,
    "invite": 0.6,
    "remove_member": 0.3,
    "team_create": 0.2,
    "team_update": 0.5,
    "team_member_add": 1.0,
    "team_member_remove": 0.5,
    "webhook_create": 0.3,
    "webhook_toggle": 0.5,
    "webhook_rotate": 0.2,
    "webhook_delete": 0.15,
    "broadcast_draft": 1.2,
    "broadcast_edit": 0.4,
    "broadcast_schedule": 1.0,
    "broadcast_send": 0.4,
    "broadcast_delete": 0.2,
}
#: What platform admins are seen doing while they impersonate someone.
IMPERSONATED_MIX = {"view": 3.0, "update_contact": 1.0, "settings": 0.5, "webhook_toggle": 0.5}
MIXES = {"owner": ADMIN_MIX, "admin": ADMIN_MIX, "member": MEMBER_MIX, "viewer": {"view": 1.0}}
ADMIN_ROLES = frozenset({"owner", "admin"})

_REPLIES = (
    "Thanks for reaching out! I've looked into this and {fix}.",
    "Sorry for the trouble. {fix} — let me know if anything else comes up.",
    "Good news: {fix}. I'll keep this open for a day in case you need more help.",
    "Could you send a screenshot of what you see? Meanwhile {fix}.",
)
_FIXES = (
    "the refund is on its way (3-5 business days)",
    "your password reset link has been re-sent",
    "the invoice now shows your new billing address",
    "the export has been re-run and is in your inbox",
    "your account is upgraded to the annual plan",
    "the duplicate charge has been reversed",
)
_COMPANIES = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", None)
_TEAMS = ("Tier 1", "Tier 2", "Billing", "Onboarding", "VIP Accounts", "Night shift")
_BROADCASTS = ("Product news", "Webinar invite", "Scheduled maintenance", "Spring sale")
_AUDIENCES = ("All customers", "Trials", "VIP customers", "Churned")
_HOOKS = ("https://hooks.zapier.example/catch/", "https://crm.northwind.example/webhooks/")


@dataclass
class Script(Visits):
    """Runs the demo's steps against ``app``: the cast's :class:`Visits`, and what they do
    at the desk; ``statuses`` counts the replies by status."""

    _invited: dict[str, list[str]] = field(default_factory=dict)
    _notes: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    async def run(self, kind: str, visit: Visit | None, workspace: str) -> None:
        """One step: ``sign_in``, ``sign_out``, ``act``, ``onboard``, ``impersonate``,
        ``unimpersonate`` (of a visit), ``inbound`` or ``attack`` (of a workspace)."""
        if visit is None:
            await (self._inbound(workspace) if kind == "inbound" else self._attack(workspace))
            return
        step: Callable[[Visit], Awaitable[None]] = getattr(self, f"_{kind}")
        await step(visit)

    # -- what people do --------------------------------------------------------------------
    async def _act(self, visit: Visit) -> None:
        role = visit.acting["role"] if visit.acting else visit.person.user.role
        mix = IMPERSONATED_MIX if visit.acting else MIXES.get(role, {"view": 1.0})
        if role not in ADMIN_ROLES:
            mix = {k: v for k, v in mix.items() if k in MEMBER_MIX or k == "view"}
        action = self.rng.choices(list(mix), weights=list(mix.values()))[0]
        done: bool = await getattr(self, f"_do_{action}")(visit)
        if not done:
            await self._do_view(visit)

    async def _onboard(self, visit: Visit) -> None:
        """A new workspace's owner sets it up: hours, teams, a webhook, first contacts."""
        hours = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}
        await self._call(visit, "PATCH", "/settings", json={"business_hours": hours})
        members = await self._call(visit, "GET", "/members") or []
        agents = [m["id"] for m in members if m["role"] != "viewer"]
        for name in _TEAMS[:3]:
            crew = self.rng.sample(agents, k=min(len(agents), self.rng.randint(2, 4)))
            team = await self._call(
                visit, "POST", "/teams", json={"name": name, "lead_id": crew[0]}
            )
            for user_id in crew[1:] if team else []:
                await self._call(visit, "PUT", f"/teams/{team['id']}/members/{user_id}")
        await self._do_webhook_create(visit)
        for _ in range(3):
            await self._do_create_contact(visit)

    async def _do_view(self, visit: Visit) -> bool:
        path = self.rng.choice(("/conversations", "/contacts", "/teams", "/auth/me"))
        return await self._did(visit, "GET", path)

    async def _do_reply(self, visit: Visit) -> bool:
        conversation = await self._conversation(visit, "open")
        if conversation is None:
            return False
        body = self.rng.choice(_REPLIES).format(fix=self.rng.choice(_FIXES))
        channel = self.rng.choice(("email", "email", "chat", "whatsapp"))
        path = f"/conversations/{conversation['id']}/replies"
        return await self._did(visit, "POST", path, json={"body": body, "channel": channel})

    async def _do_assign(self, visit: Visit) -> bool:
        conversation = await self._conversation(visit, "open")
        members = await self._call(visit, "GET", "/members") or []
        agents = [
            m["id"]
            for m in members
            if m["role"] != "viewer" and m["id"] != (conversation or {}).get("assignee_id")
        ]
        if conversation is None or not agents:
            return False
        path = f"/conversations/{conversation['id']}/assign"
        return await self._did(visit, "POST", path, json={"assignee_id": self.rng.choice(agents)})

    async def _do_resolve(self, visit: Visit) -> bool:
        return await self._move(visit, "open", "resolve")

    async def _do_reopen(self, visit: Visit) -> bool:
        return await self._move(visit, "resolved", "reopen")

    async def _do_snooze(self, visit: Visit) -> bool:
        conversation = await self._conversation(visit, "open")
        if conversation is None:
            return False
        hours = self.rng.choice((1, 4, 24, 72))
        until = self.clock() + timedelta(hours=hours)
        path = f"/conversations/{conversation['id']}/snooze"
        return await self._did(visit, "POST", path, json={"until": until.isoformat()})

    async def _do_note(self, visit: Visit) -> bool:
        conversation = await self._conversation(visit, "open")
        if conversation is None:
            return False
        path = f"/conversations/{conversation['id']}/notes"
        note = await self._call(visit, "POST", path, json={"body": self.rng.choice(_NOTES)})
        if note is not None:
            self._notes.setdefault(visit.workspace, []).append((note["id"], note["author_id"]))
        return note is not None

    async def _do_edit_note(self, visit: Visit) -> bool:
        note = self._own_note(visit)
        if note is None:
            return False
        body = {"body": f"{self.rng.choice(_NOTES)} (updated)"}
        return await self._did(visit, "PATCH", f"/notes/{note[0]}", json=body)

    async def _do_delete_note(self, visit: Visit) -> bool:
        note = self._own_note(visit)
        if note is None:
            return False
        self._notes[visit.workspace].remove(note)
        return await self._did(visit, "DELETE", f"/notes/{note[0]}")

    async def _do_create_contact(self, visit: Visit) -> bool:
        name = self.rng.choice(_NAMES)
        first, last = name.lower().split()
        body: dict[str, Any] = {
            "name": name,
            "email": f"{first}.{last}{self.rng.randrange(1000)}@{self.rng.choice(MAILBOXES)}",
            "phone": f"+1 555 {self.rng.randrange(10**7):07d}",
            "company": self.rng.choice(_COMPANIES),
            "tags": self.rng.sample(
                ["vip", "trial", "enterprise", "churn-risk"], k=self.rng.randint(0, 2)
            ),
        }
        return await self._did(visit, "POST", "/contacts", json=body)

    async def _do_update_contact(self, visit: Visit) -> bool:
        contacts = await self._call(visit, "GET", "/contacts") or []
        if not contacts:
            return False
        contact = self.rng.choice(contacts)
        first, last = (
            contact["name"].lower().split()[:2] if " " in contact["name"] else ("jo", "doe")
        )
        changes = self.rng.choice(
            (
                {"email": f"{first}@{last}-{self.rng.randrange(100)}.example"},
                {"phone": f"+44 20 7946 {self.rng.randrange(10**4):04d}"},
                {"company": self.rng.choice(_COMPANIES)},
                {"tags": self.rng.sample(["vip", "trial", "enterprise", "churn-risk"], k=2)},
            )
        )
        return await self._did(visit, "PATCH", f"/contacts/{contact['id']}", json=changes)

    async def _do_delete_contact(self, visit: Visit) -> bool:
        contacts = await self._call(visit, "GET", "/contacts") or []
        if len(contacts) < 10:
            return False
        contact = self.rng.choice(contacts)
        return await self._did(visit, "DELETE", f"/contacts/{contact['id']}")

    async def _do_start_conversation(self, visit: Visit) -> bool:
        contacts = await self._call(visit, "GET", "/contacts") or []
        if not contacts:
            return False
        number = self.rng.randrange(1000, 9999)
        body = {
            "contact_id": self.rng.choice(contacts)["id"],
            "subject": self.rng.choice(_TOPICS).format(number),
            "body": "Following up on our call: " + self.rng.choice(_FIXES) + ".",
        }
        return await self._did(visit, "POST", "/conversations", json=body)

    async def _do_settings(self, visit: Visit) -> bool:
        weekdays = ["mon", "tue", "wed", "thu", "fri"]
        start, end = self.rng.choice(("08:00", "09:00")), self.rng.choice(("17:00", "18:00"))
        change = self.rng.choice(
            (
                {"auto_close_days": self.rng.choice((3, 7, 14, 30))},
                {"business_hours": {"days": weekdays, "start": start, "end": end}},
                {"business_hours": {"days": [*weekdays, "sat"], "start": start, "end": end}},
            )
        )
        return await self._did(visit, "PATCH", "/settings", json=change)

    async def _do_role_change(self, visit: Visit) -> bool:
        members = await self._call(visit, "GET", "/members") or []
        me = visit.person.user.id
        others = [m for m in members if m["id"] != me and m["role"] != "owner"]
        if not others:
            return False
        member = self.rng.choice(others)
        role = self.rng.choice([r for r in ("admin", "member", "viewer") if r != member["role"]])
        return await self._did(visit, "PATCH", f"/members/{member['id']}", json={"role": role})

    async def _do_invite(self, visit: Visit) -> bool:
        name = self.rng.choice(_NAMES)
        first, last = name.lower().split()
        email = f"{first}.{last}.{self.rng.randrange(100)}@{visit.workspace}.example"
        body = {
            "email": email,
            "name": name,
            "role": self.rng.choice(("member", "member", "viewer")),
        }
        invited = await self._call(visit, "POST", "/members", json=body)
        if invited is not None:
            self._invited.setdefault(visit.workspace, []).append(invited["id"])
        return invited is not None

    async def _do_remove_member(self, visit: Visit) -> bool:
        invited = self._invited.get(visit.workspace)
        if not invited:
            return False
        user_id = invited.pop(self.rng.randrange(len(invited)))
        return await self._did(visit, "DELETE", f"/members/{user_id}")

    async def _do_team_create(self, visit: Visit) -> bool:
        teams = {t["name"] for t in await self._call(visit, "GET", "/teams") or []}
        names = [n for n in _TEAMS if n not in teams]
        if not names:
            return False
        return await self._did(visit, "POST", "/teams", json={"name": names[0]})

    async def _do_team_update(self, visit: Visit) -> bool:
        team = await self._team(visit)
        if team is None:
            return False
        body = self.rng.choice(
            (
                {"auto_assign": not team["auto_assign"]},
                {"lead_id": self.rng.choice(team["members"]) if team["members"] else None},
            )
        )
        return await self._did(visit, "PATCH", f"/teams/{team['id']}", json=body)

    async def _do_team_member_add(self, visit: Visit) -> bool:
        team = await self._team(visit)
        members = await self._call(visit, "GET", "/members") or []
        outside = [
            m["id"]
            for m in members
            if team and m["id"] not in team["members"] and m["role"] != "viewer"
        ]
        if team is None or not outside:
            return False
        return await self._did(
            visit, "PUT", f"/teams/{team['id']}/members/{self.rng.choice(outside)}"
        )

    async def _do_team_member_remove(self, visit: Visit) -> bool:
        team = await self._team(visit)
        if team is None or len(team["members"]) < 3:
            return False
        user_id = self.rng.choice([m for m in team["members"] if m != team["lead_id"]])
        return await self._did(visit, "DELETE", f"/teams/{team['id']}/members/{user_id}")

    async def _do_webhook_create(self, visit: Visit) -> bool:
        body = {
            "url": self.rng.choice(_HOOKS) + secrets.token_hex(4),
            "secret": secrets.token_hex(16),
            "events": self.rng.choice((["*"], ["conversation.*"], ["contact.*", "conversation.*"])),
        }
        return await self._did(visit, "POST", "/webhooks", json=body)

    async def _do_webhook_toggle(self, visit: Visit) -> bool:
        hook = await self._webhook(visit)
        if hook is None:
            return False
        body = {"enabled": not hook["enabled"]}
        return await self._did(visit, "PATCH", f"/webhooks/{hook['id']}", json=body)

    async def _do_webhook_rotate(self, visit: Visit) -> bool:
        hook = await self._webhook(visit)
        if hook is None:
            return False
        return await self._did(
            visit, "PATCH", f"/webhooks/{hook['id']}", json={"secret": secrets.token_hex(16)}
        )

    async def _do_webhook_delete(self, visit: Visit) -> bool:
        hooks = await self._call(visit, "GET", "/webhooks") or []
        if len(hooks) < 2:
            return False
        return await self._did(visit, "DELETE", f"/webhooks/{self.rng.choice(hooks)['id']}")

    async def _do_broadcast_draft(self, visit: Visit) -> bool:
        body = {
            "title": self.rng.choice(_BROADCASTS),
            "body": "Hello! Here is what is new this month.",
            "audience": self.rng.choice(_AUDIENCES),
            "channel": self.rng.choice(("email", "app")),
        }
        return await self._did(visit, "POST", "/broadcasts", json=body)

    async def _do_broadcast_edit(self, visit: Visit) -> bool:
        draft = await self._broadcast(visit, "draft", "scheduled")
        if draft is None:
            return False
        return await self._did(
            visit,
            "PATCH",
            f"/broadcasts/{draft['id']}",
            json={"audience": self.rng.choice(_AUDIENCES)},
        )

    async def _do_broadcast_schedule(self, visit: Visit) -> bool:
        draft = await self._broadcast(visit, "draft")
        if draft is None:
            return False
        at = self.clock() + timedelta(hours=self.rng.randint(2, 48))
        return await self._did(
            visit, "POST", f"/broadcasts/{draft['id']}/schedule", json={"at": at.isoformat()}
        )

    async def _do_broadcast_send(self, visit: Visit) -> bool:
        draft = await self._broadcast(visit, "draft")
        if draft is None:
            return False
        return await self._did(visit, "POST", f"/broadcasts/{draft['id']}/send")

    async def _do_broadcast_delete(self, visit: Visit) -> bool:
        draft = await self._broadcast(visit, "draft")
        if draft is None:
            return False
        return await self._did(visit, "DELETE", f"/broadcasts/{draft['id']}")

    # -- what to act on --------------------------------------------------------------------
    async def _conversation(self, visit: Visit, status: str) -> dict[str, Any] | None:
        rows = await self._call(visit, "GET", "/conversations", params={"status": status}) or []
        return self.rng.choice(rows) if rows else None

    async def _move(self, visit: Visit, status: str, verb: str) -> bool:
        conversation = await self._conversation(visit, status)
        if conversation is None:
            return False
        return await self._did(visit, "POST", f"/conversations/{conversation['id']}/{verb}")

    async def _team(self, visit: Visit) -> dict[str, Any] | None:
        teams = await self._call(visit, "GET", "/teams") or []
        return self.rng.choice(teams) if teams else None

    async def _webhook(self, visit: Visit) -> dict[str, Any] | None:
        hooks = await self._call(visit, "GET", "/webhooks") or []
        return self.rng.choice(hooks) if hooks else None

    async def _broadcast(self, visit: Visit, *statuses: str) -> dict[str, Any] | None:
        rows = await self._call(visit, "GET", "/broadcasts") or []
        drafts = [b for b in rows if b["status"] in statuses]
        return self.rng.choice(drafts) if drafts else None

    def _own_note(self, visit: Visit) -> tuple[int, str] | None:
        acting = visit.acting["id"] if visit.acting else visit.person.user.id
        notes = [n for n in self._notes.get(visit.workspace, []) if n[1] == acting]
        return self.rng.choice(notes) if notes else None
