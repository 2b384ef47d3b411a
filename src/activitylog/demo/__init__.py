"""The demo: a log filled from the seed's helpdesk story, a sign-in for every person in it
(one shared password), so each role's view of the Activity Log can be tried, 90 days
of retention in each workspace, and the alert rules run over the story."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

from activitylog.accounts import Accounts
from activitylog.accounts.workspaces import settings_event
from activitylog.client import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.demo.seed.cast import PLATFORM_ADMINS, USERS, WORKSPACES, SeedUser
from activitylog.events import SYSTEM_ACTOR
from activitylog.settings import Settings

DEMO_PASSWORD = "activitylog-demo"
DEFAULT_EVENTS = 30_000
BATCH = 1000
#: The accounts printed on start: one per role, in the first workspace.
SHOWN_ROLES = ("owner", "admin", "member", "viewer", "platform_admin")
#: The demo workspaces' retention: the helpdesk the demo models keeps audit logs 90 days.
RETENTION_DAYS = 90


@dataclass(frozen=True)
class DemoAccount:
    """A sign-in the demo offers (the sign-in page lists them in demo mode)."""

    email: str
    name: str
    role: str
    workspace: str
    password: str


def fill(
    log: ActivityLog, events: int = DEFAULT_EVENTS, on_progress: Callable[[int], None] | None = None
) -> int:
    """Seed ``events`` demo events when the log is empty; returns how many were added."""
    if log.total_events() > 0:
        return 0
    source = generate_events(events)
    added = 0
    while batch := list(islice(source, BATCH)):
        log.record_many(batch)
        added += len(batch)
        if on_progress:
            on_progress(len(batch))
    return added


def fill_from_helpdesk(
    log: ActivityLog,
    settings: Settings,
    *,
    events: int,
    days: int,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Fill an empty log by driving the example helpdesk app over the last ``days`` days
    (:mod:`activitylog.demo.driver`; the helpdesk's tables go into the log's database,
    ``settings`` are the log's: keys, durability).
    Returns how many events were added: 0 when the log already holds a helpdesk run."""
    from activitylog.demo.driver import drive, has_helpdesk
    from activitylog.errors import ConfigurationError

    if log.total_events() > 0:
        if has_helpdesk(log):
            return 0
        raise ConfigurationError(
            f"{log.url} already holds events that did not come from the helpdesk; "
            "give --from-helpdesk a database of its own (--db sqlite:///helpdesk-demo.db)"
        )
    report = drive(
        log.url,
        settings,
        events=events,
        days=days,
        password=DEMO_PASSWORD,
        on_progress=on_progress,
    )
    return report.events


def ensure_accounts(accounts: Accounts, password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """A sign-in for every seeded person (kept if present); returns one per role."""
    for person in (*USERS, *PLATFORM_ADMINS):
        if accounts.get_user(person.email) is None:
            _add(accounts, person, password)
    shown: list[DemoAccount] = []
    for role in SHOWN_ROLES:
        person = next(
            p for p in (*USERS, *PLATFORM_ADMINS) if p.role == role and p.workspace in ("", "acme")
        )
        workspace = person.workspace or "all"
        shown.append(DemoAccount(person.email, person.name, role, workspace, password))
    return shown


def ensure_retention(log: ActivityLog, days: int = RETENTION_DAYS) -> list[str]:
    """Give each demo workspace that never set a retention ``days`` of it, recorded in
    its log as any settings change (actor System); a retention an owner chose since is
    kept. Returns the workspaces changed."""
    accounts = log.accounts()
    chosen = accounts.setting_everywhere("retention_days")
    changed_in = []
    for workspace in (w.id for w in WORKSPACES if w.id not in chosen):
        _, changed = accounts.change_workspace_settings(
            workspace, {"retention_days": days}, by=str(SYSTEM_ACTOR["id"])
        )
        if changed:
            log.record(**settings_event(workspace, changed), actor=dict(SYSTEM_ACTOR))
            changed_in.append(workspace)
    return changed_in


def review_alerts(log: ActivityLog) -> int:
    """Run the alert rules over a demo log from its first entry, once, before the alerts
    follower has run (it starts at the end of a log: an existing log raises nothing about
    its past), so the Alerts page shows what the seeded story holds. Returns the alerts
    open; 0 without touching anything when the follower has run before."""
    from activitylog.alerts import Alerts
    from activitylog.alerts.follower import AlertFollower
    from activitylog.followers import Following
    from activitylog.followers.cursors import Cursors

    if Cursors(log.store.engine).load(AlertFollower.name) is not None:
        return 0
    follower = AlertFollower(log)
    follower.start = "beginning"
    Following(log).catch_up([follower])
    return Alerts(log).open_count(None)


def _add(accounts: Accounts, person: SeedUser, password: str) -> None:
    platform = person.role == "platform_admin"
    accounts.add_user(
        person.email,
        password=password,
        name=person.name,
        user_id=person.id,
        workspace=None if platform else person.workspace,
        role=None if platform else person.role,
        platform_admin=platform,
    )
