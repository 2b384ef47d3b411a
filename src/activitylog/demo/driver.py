"""``activitylog demo --from-helpdesk``: a log filled by *using* the example helpdesk.

The seed's cast (three workspaces, ~25 people, two platform admins) signs in to the
helpdesk (:mod:`activitylog.demo.helpdesk`) and works its inbox over the past days
through the app's HTTP API, in process (``httpx.ASGITransport``), behind a simulated
reverse proxy that forwards each person's own IP and browser. Customers email in, a
scheduler sends broadcasts and wakes snoozed conversations, platform admins impersonate
people, someone tries passwords from abroad. Every event in the log was recorded by the
app's capture instrumentation while it handled those requests — none is written here.

Time is simulated: a :class:`SimulatedClock` moves from one step of the script to the
next, the app stamps its rows with it, and :class:`SimulatedTimeLog` gives each event
the clock's time as ``occurred_at`` (the capture APIs have no clock of their own).
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Connection, inspect, select

from activitylog.client import ActivityLog
from activitylog.demo.helpdesk import close, create_app
from activitylog.demo.helpdesk.auth import Passwords
from activitylog.demo.helpdesk.deps import Helpdesk
from activitylog.demo.helpdesk.jobs import run_due
from activitylog.demo.helpdesk.models import WorkspaceSettings
from activitylog.demo.helpdesk.provisioning import add_cast
from activitylog.demo.helpdesk.simulation import Script
from activitylog.demo.helpdesk.simulation_visits import Visit
from activitylog.demo.seed.cast import PLATFORM_ADMINS, USERS, WORKSPACES, SeedUser
from activitylog.settings import Settings

DEFAULT_EVENTS = 2_500
DEFAULT_DAYS = 14
#: The reverse proxy in front of the app: the TCP peer of every request.
PROXY = ("10.0.0.2", 44_312)
TRUSTED_PROXIES = ("10.0.0.0/8",)
#: Rough events per planned action, to turn ``events`` into a plan (measured; a run
#: lands within a few percent).
EVENTS_PER_ACTION = 2.0


class SimulatedClock:
    """The demo's "now": set to each step's time; every reading is a microsecond later
    than the one before, so events of one step keep their order."""

    def __init__(self, start: datetime) -> None:
        self._at = start
        self._ticks = 0

    def set(self, moment: datetime) -> None:
        self._at, self._ticks = moment, 0

    def now(self) -> datetime:
        """Aware UTC."""
        self._ticks += 1
        return self._at + timedelta(microseconds=self._ticks)

    def naive(self) -> datetime:
        """Naive UTC, as the helpdesk stores times."""
        return self.now().replace(tzinfo=None)


class SimulatedTimeLog(ActivityLog):
    """An :class:`ActivityLog` whose events happened at ``clock``'s time unless they say
    otherwise. Needed because neither ``log.context`` nor the capture has a clock hook."""

    def __init__(self, url: str, *, clock: SimulatedClock, settings: Settings) -> None:
        super().__init__(url, settings=settings)
        self.clock = clock

    def record(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("occurred_at", self.clock.now())
        return super().record(**fields)

    def record_many(
        self, events: Iterable[Mapping[str, Any]], *, connection: Connection | None = None
    ) -> list[dict[str, Any]]:
        stamped = [{"occurred_at": self.clock.now(), **event} for event in events]
        return super().record_many(stamped, connection=connection)


@dataclass
class Report:
    """What a run did: events recorded, requests made by status code, the time covered."""

    events: int = 0
    requests: dict[int, int] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None


def has_helpdesk(log: ActivityLog) -> bool:
    """Whether the log's database holds the helpdesk's tables (a run happened there)."""
    return inspect(log.store.engine).has_table(WorkspaceSettings.__tablename__)


def drive(
    url: str,
    settings: Settings,
    *,
    events: int = DEFAULT_EVENTS,
    days: int = DEFAULT_DAYS,
    password: str,
    seed: int = 7,
    on_progress: Callable[[int], None] | None = None,
) -> Report:
    """Create the helpdesk in the (empty) database at ``url`` — also the log's — with the
    cast as its users (password ``password``), then run about ``events`` events' worth of
    scripted use over the last ``days`` days. ``on_progress(n)`` after every few steps."""
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0)
    clock = SimulatedClock(start)
    log = SimulatedTimeLog(url, clock=clock, settings=settings)
    # Cheap argon2 parameters: the cast signs in hundreds of times, with a published password.
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    app = create_app(log, trusted_proxies=TRUSTED_PROXIES, clock=clock.naive, passwords=passwords)
    helpdesk: Helpdesk = app.state.helpdesk
    try:
        _provision(helpdesk, clock, password)
        with helpdesk.sessions() as db:
            tokens = {
                s.workspace_id: s.inbound_token for s in db.scalars(select(WorkspaceSettings))
            }
        rng = random.Random(seed)
        script = Script(app, tokens, password, rng, PROXY, clock.naive)
        plan = _plan(script, rng, start, end, events)
        report = Report(start=start, end=end)
        asyncio.run(_run(script, helpdesk, clock, plan, end, report, on_progress))
        report.requests = dict(sorted(script.statuses.items()))
        report.events = log.total_events()
        return report
    finally:
        close(app)
        log.close()


def _provision(helpdesk: Helpdesk, clock: SimulatedClock, password: str) -> None:
    """The workspaces and the cast, created by System at the start of the run."""
    with helpdesk.sessions() as db:
        add_cast(db, helpdesk.passwords, password, clock.naive())
        db.commit()


# -- the plan: who does what when ------------------------------------------------------
@dataclass(order=True)
class Step:
    """One thing happening at ``at``: a step of a visit, or a workspace's ``inbound``
    email or ``attack`` guess, or the hourly ``jobs``."""

    at: datetime
    order: int
    kind: str = field(compare=False)
    visit: Visit | None = field(compare=False, default=None)
    workspace: str = field(compare=False, default="")


#: Relative activity of one person of each role; customers' emails per agent action.
ACTIVITY = {"owner": 0.6, "admin": 1.0, "member": 1.4, "viewer": 0.4}
INBOUND_SHARE = 0.35
WEEKEND = 0.12


def _plan(
    script: Script, rng: random.Random, start: datetime, end: datetime, events: int
) -> list[Step]:
    """Every step of the run, as a heap by time."""
    steps: list[Step] = []
    order = iter(range(1 << 62))

    def add(at: datetime, kind: str, visit: Visit | None = None, workspace: str = "") -> None:
        if start <= at < end:
            steps.append(Step(at, next(order), kind, visit, workspace))

    def sitting(user: SeedUser, workspace: str, begin: datetime, kinds: list[str]) -> None:
        """Sign in, do ``kinds`` a few minutes apart, (usually) sign out."""
        visit = script.visit(user, workspace)
        at = begin
        add(at, "sign_in", visit)
        for kind in kinds:
            at += timedelta(minutes=min(rng.expovariate(1 / 6), 40), seconds=rng.uniform(5, 50))
            add(at, kind, visit)
        if rng.random() < 0.85 or kinds[-1] == "unimpersonate":
            add(at + timedelta(minutes=rng.uniform(1, 8)), "sign_out", visit)

    days = max(1, (end - start).days)
    weight = sum(ACTIVITY[u.role] for u in USERS) * days * (5 + 2 * WEEKEND) / 7
    per_weight = max(events, 50) / EVENTS_PER_ACTION / weight / (1 + INBOUND_SHARE)
    for ws in WORKSPACES:
        owner = next(u for u in USERS if u.workspace == ws.id and u.role == "owner")
        sitting(owner, ws.id, start + timedelta(hours=14 - ws.utc_offset), ["onboard"])
    for day in range(days + 1):
        midnight = start + timedelta(days=day)
        for hour in range(24):
            add(midnight + timedelta(hours=hour, minutes=5), "jobs")
        for ws in WORKSPACES:
            local = midnight - timedelta(hours=ws.utc_offset)
            factor = WEEKEND if (local + timedelta(hours=12)).weekday() >= 5 else 1.0
            total = 0
            for user in (u for u in USERS if u.workspace == ws.id):
                actions = _poisson(rng, ACTIVITY[user.role] * factor * per_weight)
                total += actions
                for begin, count in _sittings(rng, local, actions):
                    sitting(user, ws.id, begin, ["act"] * count)
            for _ in range(_poisson(rng, total * INBOUND_SHARE + 1)):
                add(local + timedelta(hours=rng.uniform(0, 24)), "inbound", workspace=ws.id)
            if rng.random() < 0.25:
                begin = local + timedelta(hours=rng.uniform(10, 16))
                kinds = ["impersonate", *["act"] * rng.randint(1, 3), "unimpersonate"]
                sitting(rng.choice(PLATFORM_ADMINS), ws.id, begin, kinds)
            if rng.random() < 0.15:
                begin = midnight + timedelta(hours=rng.uniform(0, 24))
                for attempt in range(rng.randint(4, 9)):
                    at = begin + timedelta(seconds=attempt * rng.uniform(2, 20))
                    add(at, "attack", workspace=ws.id)
    heapq.heapify(steps)
    return steps


def _sittings(
    rng: random.Random, local_midnight: datetime, actions: int
) -> list[tuple[datetime, int]]:
    """A day's actions split into a morning and maybe an afternoon at the desk."""
    if actions <= 0:
        return []
    morning = local_midnight + timedelta(hours=rng.gauss(9, 0.75))
    if actions < 6:
        return [(morning, actions)]
    afternoon = local_midnight + timedelta(hours=rng.gauss(14, 0.75))
    first = actions // 2
    return [(morning, first), (afternoon, actions - first)]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method, in chunks so large means do not underflow)."""
    count = 0
    while mean > 0:
        chunk, mean = min(mean, 30.0), mean - 30.0
        limit, product = pow(2.718281828459045, -chunk), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count


# -- running it ---------------------------------------------------------------------------
async def _run(
    script: Script,
    helpdesk: Helpdesk,
    clock: SimulatedClock,
    plan: list[Step],
    end: datetime,
    report: Report,
    on_progress: Callable[[int], None] | None,
) -> None:
    done = 0
    try:
        while plan:
            step = heapq.heappop(plan)
            if step.at >= end:
                break
            clock.set(step.at)
            if step.kind == "jobs":
                run_due(helpdesk)
            else:
                await script.run(step.kind, step.visit, step.workspace)
            done += 1
            if on_progress is not None and done % 25 == 0:
                total = helpdesk.log.total_events()
                on_progress(total - report.events)
                report.events = total
    finally:
        await script.aclose()


__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_EVENTS",
    "Report",
    "SimulatedClock",
    "SimulatedTimeLog",
    "drive",
    "has_helpdesk",
]
