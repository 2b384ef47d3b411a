"""The seed's cast and vocabulary: workspaces, users, names, user agents, action mixes,
description templates and the business-hours rhythm (data only, no generation)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


def _words(text: str, sep: str = "|") -> tuple[str, ...]:
    return tuple(text.split(sep))


# "First Last [role]"; the role defaults to member.
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

_FIRST = "Aaron Abby Adele Bruno Carla Dmitri Elena Felix Grace Hugo Iris Jamal Kenji Laura Marco"
_LAST = "Adams Baker Chen Diaz Evans Fox Garcia Hoffmann Ito Jensen Kowalski Lopez Moreau Novak"
_NAMES = tuple(f"{first} {last}" for first in _FIRST.split() for last in _LAST.split())
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
#: Home IPv6 prefixes of real broadband networks (Vodafone DE, Free FR, BT GB, Vodafone NL,
#: Telekom DE, Comcast US, Telenet BE, Orange FR), so the demo's IPv6 entries have a country.
_HOME_V6 = (
    "2a02:8108",
    "2a01:e0a",
    "2a00:23c5",
    "2a02:a210",
    "2003:e6",
    "2601:600",
    "2a02:1810",
    "2a01:cb00",
)
_FOREIGN_NETS = (5, 31, 45, 91, 103, 141, 185, 193, 212)
_Fields = tuple[tuple[str, tuple[Any, ...]], ...]
_Json = dict[str, Any]
_BOOLS = (True, False)
_STATUS: _Fields = (("status", ("lead", "customer", "churned")), ("priority", ("low", "high")))
_NOTE: _Fields = (("body", _NOTES),)
_WEBHOOK: _Fields = (("enabled", _BOOLS), ("events", ("conversation.*", "contact.*", "*")))
_TEAM: _Fields = (("auto_assign", _BOOLS), ("sla_minutes", (30, 60, 240)), ("max_open", (10, 40)))
_BROADCAST: _Fields = (("audience", ("All customers", "Trials")), ("channel", ("email", "app")))
_SETTINGS: _Fields = (
    ("timezone", ("America/New_York", "Europe/Berlin", "Australia/Sydney")),
    ("auto_close_days", (3, 7, 14, 30)),
    ("csat_enabled", _BOOLS),
    ("business_hours", ("09:00-17:00", "08:00-18:00", "24/7")),
)
#: Small pools: kind -> (id prefix, url prefix, names, fields an update changes).
_SMALL: dict[str, tuple[str, str, str, _Fields]] = {
    "team": ("t_", "/settings/teams/", "Tier 1|Tier 2|Billing|Onboarding|VIP Accounts", _TEAM),
    "broadcast": ("b_", "/broadcasts/", "Product news|Webinar|Maintenance|Spring sale", _BROADCAST),
    "api_key": ("ak_", "/settings/api/", "Zapier|Data warehouse sync|Mobile app|Status page", ()),
    "feature": ("f_", "/settings/features/", "AI summaries|SLA policies|Chatbot", ()),
    "segment": ("seg_", "/contacts?segment=", "All contacts|VIP customers|Churned", ()),
    "settings": ("set_", "/settings/", "Inbox settings|Chat settings|Help center", _SETTINGS),
}


def _mix(spec: str) -> dict[str, float]:
    pairs = spec.split()
    mix: dict[str, float] = {}
    for action, weight in zip(pairs[::2], pairs[1::2], strict=True):
        mix[action] = mix.get(action, 0.0) + float(weight)
    return mix


_AUTH = (
    "auth.signed_in 3 auth.signed_out 1.5 auth.sign_in_failed 1.4 auth.password_changed .1 "
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
#: Background jobs run around the clock; a weekday business hour weighs 10.
_JOBS_HOURLY = 0.3

#: Subject pool of an action (or of its first segment) when it is not named after it;
#: "self" is the actor's own user record.
_POOLS = {"auth": "self", "impersonation": "user", "billing": "workspace"}
_POOLS["contact.exported"] = "segment"
#: Description templates, formatted with (actor name, record label); "%.0s" drops a
#: label the wording does not need (the actor's own record, the activity log).
_TEXT = {
    "auth.signed_in": "%s signed in%.0s",
    "auth.signed_out": "%s signed out%.0s",
    "auth.sign_in_failed": "%s failed to sign in%.0s",
    "auth.password_changed": "%s changed their password%.0s",
    "auth.password_reset": "%s reset their password with an emailed link%.0s",
    "auth.mfa_enabled": "%s enabled two-factor authentication%.0s",
    "conversation.replied": "%s replied to conversation %s",
    "settings.updated": "%s updated %s",
    "activity_log.viewed": "%s viewed the activity log%.0s",
    "activity_log.exported": "%s exported the activity log%.0s",
    "impersonation.started": "%s started impersonating %s",
    "impersonation.ended": "%s stopped impersonating %s",
}
#: Actions whose details start with one key drawn from a few values.
_DETAILS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "conversation.snoozed": ("hours", (1, 4, 24, 72)),
    "conversation.replied": ("channel", ("email", "email", "chat", "whatsapp")),
    "auth.signed_in": ("method", ("password", "password", "password", "google", "saml_sso")),
    "auth.signed_out": ("reason", ("user", "user", "session_expired")),
    "auth.sign_in_failed": ("reason", ("bad_password", "bad_password", "mfa_failed")),
    "auth.mfa_enabled": ("method", ("totp", "webauthn")),
    "activity_log.viewed": ("filter", ("all", "all", "users", "webhooks", "auth")),
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
