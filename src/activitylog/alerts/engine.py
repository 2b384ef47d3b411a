"""One batch of a workspace's entries through its enabled rules: what to raise, what to
extend, and the rules' state to keep (:class:`Outcome`), then all of it written with the
``alert.*`` entries in the caller's transaction (:func:`apply`).

Bursts: a finding whose rule and key (an account, an IP, a person) have an open or
acknowledged alert whose last entry is within the rule's window extends that alert;
otherwise it raises a new one. Counting rules (``failed_sign_in_burst``, custom rules)
raise once at least ``threshold`` matching entries of one key fall within the window
(looking back from each entry's time); the entries that made it are the alert's.

Reading happens before the write transaction (:meth:`Engine.evaluate`); only this
follower writes the rules' state, and alert rows are updated only if nobody changed them
meanwhile (else the batch is tried again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from activitylog.access import Visibility
from activitylog.alerts import rulebook
from activitylog.alerts.checks import (
    EntryChecks,
    Finding,
    actor_key,
    actor_name,
    failed_sign_in_keys,
    is_sign_in,
    sign_in_values,
)
from activitylog.alerts.custom import CustomMatcher
from activitylog.alerts.model import Alert, RuleState
from activitylog.alerts.recording import alert_entry, alert_id
from activitylog.alerts.rules import SIGN_INS, ignored
from activitylog.alerts.schema import alert_hits, alert_sign_ins, alerts
from activitylog.errors import Conflict
from activitylog.events import to_micros
from activitylog.query import Filters
from activitylog.store.base import now_us

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.followers import Batch

DAY_US = 86_400 * 1_000_000
MINUTE_US = 60 * 1_000_000
NEW_SIGN_IN_RULES = {
    "ip": "new_ip_sign_in",
    "country": "new_country_sign_in",
    "device": "new_device_sign_in",
}
_CHUNK = 500


@dataclass
class Outcome:
    """What a batch changes: alerts raised (with their entries), alerts extended (before,
    after, the entries added), counted entries to keep, sign-in history to keep."""

    raised: dict[str, Alert] = field(default_factory=dict)
    extended: dict[str, tuple[Alert, Alert, list[str]]] = field(default_factory=dict)
    hits: list[dict[str, Any]] = field(default_factory=list)
    cutoffs: dict[str, int] = field(default_factory=dict)  # rule -> drop hits before this
    sign_ins: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.raised or self.extended or self.hits or self.sign_ins)


class Engine:
    """Evaluates batches of one log's entries."""

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self.engine = log.store.engine

    def evaluate(self, batch: Batch) -> Outcome:
        with self.engine.connect() as conn:
            states = {s.name: s for s in rulebook.load(conn, batch.workspace) if s.enabled}
            if not states:
                return Outcome()
            return _Evaluation(self.log, conn, batch, states).run()


_Found = tuple[dict[str, Any], int, list[tuple[Finding, bool]]]


class _Evaluation:
    def __init__(
        self, log: ActivityLog, conn: Connection, batch: Batch, states: dict[str, RuleState]
    ) -> None:
        self.log, self.conn, self.batch, self.states = log, conn, batch, states
        self.workspace = batch.workspace
        self.now = now_us()
        self.out = Outcome()
        self.checks = EntryChecks(states)
        self.custom = {
            s.name: CustomMatcher(self.workspace, s.filters or {})
            for s in states.values()
            if s.custom
        }
        #: (rule, key) -> its latest alert: extended while open or acknowledged
        self.latest: dict[tuple[str, str], Alert] = {}
        #: rule -> entries in its alerts (under any key): not counted towards a new one
        self.taken: dict[str, set[str]] = defaultdict(set)
        self.windows: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self.history: dict[str, dict[tuple[str, str], int]] = {}  # actor -> (kind, value)

    def run(self) -> Outcome:
        entries = [
            (entry, body, to_micros(entry["occurred_at"]))
            for entry, body in zip(self.batch.entries, self.batch.bodies, strict=True)
            if not ignored(entry["action"])
        ]
        found = [
            (entry, occurred, self._findings(entry, body, occurred))
            for entry, body, occurred in entries
        ]
        self._load_state(found)
        for entry, occurred, findings in found:
            covered: set[str] = set()  # rules that raised or extended for this entry
            for finding, counted in findings:
                if finding.rule in covered and finding.rule == "failed_sign_in_burst":
                    if counted:
                        self._count(finding, entry, occurred)
                    continue
                if self._act(finding, counted, entry, occurred):
                    covered.add(finding.rule)
        return self.out

    # -- what each entry shows ------------------------------------------------------------
    def _findings(
        self, entry: dict[str, Any], body: bytes, occurred: int
    ) -> list[tuple[Finding, bool]]:
        found = [(f, False) for f in self.checks.findings(entry, occurred)]
        if "failed_sign_in_burst" in self.states:
            found += [
                (Finding("failed_sign_in_burst", key, who), True)
                for key, who in failed_sign_in_keys(entry)
            ]
        for name, matcher in self.custom.items():
            if matcher.matches(body):
                per = self.states[name].per
                key = actor_key(entry) if per == "actor" else f"ip:{entry.get('ip') or ''}"
                if per is None:
                    key = ""
                elif per == "ip" and not entry.get("ip"):
                    continue
                who = actor_name(entry) if per == "actor" else f"IP {entry.get('ip')}"
                found.append((Finding(name, key, who if per else ""), True))
        if is_sign_in(entry) and any(r in self.states for r in NEW_SIGN_IN_RULES.values()):
            found.append((Finding("_sign_in", actor_key(entry), ""), False))
        return found

    # -- state read before deciding -------------------------------------------------------
    def _load_state(self, found: list[_Found]) -> None:
        keys: dict[str, set[str]] = defaultdict(set)
        first: dict[str, int] = {}
        counts: set[str] = set()
        actors: dict[str, int] = {}
        for entry, occurred, findings in found:
            for finding, counted in findings:
                if finding.rule == "_sign_in":
                    actors.setdefault(str(entry["actor"]["id"]), occurred)
                    continue
                keys[finding.rule].add(finding.key)
                first[finding.rule] = min(first.get(finding.rule, occurred), occurred)
                if counted:
                    counts.add(finding.rule)
        for rule, rule_keys in keys.items():
            since = first[rule] - self._window(rule)
            for chunk in _chunks(sorted(rule_keys)):
                rows = self.conn.execute(
                    select(alerts)
                    .where(
                        alerts.c.workspace == self.workspace,
                        alerts.c.rule == rule,
                        alerts.c.key.in_(chunk),
                        alerts.c.last_event_us >= since,
                    )
                    .order_by(alerts.c.last_event_us)
                ).mappings()
                for row in rows:  # the latest alert of each key stays
                    alert = Alert.from_row(row)
                    self.latest[(rule, alert.key)] = alert
                    self.taken[rule].update(alert.event_ids)
            if rule in counts:
                for chunk in _chunks(sorted(rule_keys)):
                    hits = self.conn.execute(
                        select(alert_hits.c.key, alert_hits.c.occurred_us, alert_hits.c.event_id)
                        .where(
                            alert_hits.c.workspace == self.workspace,
                            alert_hits.c.rule == rule,
                            alert_hits.c.key.in_(chunk),
                            alert_hits.c.occurred_us > since,
                        )
                        .order_by(alert_hits.c.occurred_us)
                    )
                    for hit in hits:
                        window = self.windows.setdefault((rule, str(hit.key)), [])
                        window.append((int(hit.occurred_us), str(hit.event_id)))
        if actors:
            self._load_history(actors)

    def _load_history(self, actors: Mapping[str, int]) -> None:
        for chunk in _chunks(sorted(actors)):
            rows = self.conn.execute(
                select(alert_sign_ins).where(
                    alert_sign_ins.c.workspace == self.workspace,
                    alert_sign_ins.c.actor_id.in_(chunk),
                )
            ).mappings()
            for row in rows:
                history = self.history.setdefault(row["actor_id"], {})
                history[(row["kind"], row["value"])] = row["last_us"]
        for actor, first in actors.items():
            if actor not in self.history:
                self.history[actor] = self._seed(actor, first)

    def _seed(self, actor: str, until_us: int) -> dict[tuple[str, str], int]:
        """A person met for the first time: their sign-ins before ``until_us`` within the
        longest look-back, from the log itself."""
        days = max(
            int(self.states[rule].params.get("lookback_days", 90))
            for rule in NEW_SIGN_IN_RULES.values()
            if rule in self.states
        )
        filters = Filters(
            since=_moment(until_us - days * DAY_US),
            until=_moment(until_us),
            actions=tuple(SIGN_INS),
            results=("success",),
        )
        history: dict[tuple[str, str], int] = {}
        visibility = Visibility(self.workspace, actor, "all")
        for entry in self.log.store.iter_events(visibility, filters, "time"):
            occurred = to_micros(entry["occurred_at"])
            for kind, (value, _) in sign_in_values(entry).items():
                history[(kind, value)] = max(history.get((kind, value), 0), occurred)
            history[("any", "")] = max(history.get(("any", ""), 0), occurred)
        for (kind, value), last in history.items():
            self.out.sign_ins[(actor, kind, value)] = last
        return history

    # -- deciding -------------------------------------------------------------------------
    def _window(self, rule: str) -> int:
        return self.states[rule].window * MINUTE_US

    def _count(self, finding: Finding, entry: dict[str, Any], occurred: int) -> list[str]:
        """Keep a counted entry; the ids within the window that ends with it."""
        window = self.windows.setdefault((finding.rule, finding.key), [])
        window.append((occurred, str(entry["id"])))
        window.sort()
        start = occurred - self._window(finding.rule)
        window[:] = [(t, i) for t, i in window if t > start]
        self.out.hits.append(
            {
                "workspace": self.workspace,
                "rule": finding.rule,
                "key": finding.key,
                "event_id": str(entry["id"]),
                "occurred_us": occurred,
            }
        )
        cutoff = self.out.cutoffs.get(finding.rule)
        self.out.cutoffs[finding.rule] = max(cutoff or start, start)
        taken = self.taken[finding.rule]
        return [i for t, i in window if t <= occurred and i not in taken]

    def _act(self, finding: Finding, counted: bool, entry: dict[str, Any], occurred: int) -> bool:
        if finding.rule == "_sign_in":
            for real in self._sign_in(entry, occurred):
                self._raise_or_extend(real, [str(entry["id"])], occurred)
            return False
        ids = [str(entry["id"])]
        if counted:
            ids = self._count(finding, entry, occurred)
            if self._extend(finding, str(entry["id"]), occurred):
                return True
            threshold = self.states[finding.rule].threshold or 1
            if len(ids) < threshold:
                return False
            finding = replace(finding, text=self._burst_text(finding, len(ids)))
            self._raise(finding, ids, occurred)
            return True
        return self._raise_or_extend(finding, ids, occurred)

    def _burst_text(self, finding: Finding, count: int) -> str:
        minutes = self.states[finding.rule].window
        if finding.rule == "failed_sign_in_burst":
            return f"{count} failed sign-ins for {finding.text} within {minutes} minutes."
        who = f" by {finding.text}" if finding.text else ""
        return f"{count} entries matched rule {finding.rule}{who} within {minutes} minutes."

    def _sign_in(self, entry: dict[str, Any], occurred: int) -> list[Finding]:
        actor = str(entry["actor"]["id"])
        history = self.history.setdefault(actor, {})
        found = []
        for kind, (value, shown) in sign_in_values(entry).items():
            rule = NEW_SIGN_IN_RULES[kind]
            if rule in self.states:
                since = occurred - int(self.states[rule].params["lookback_days"]) * DAY_US
                baseline = history.get(("any", ""), 0) > since
                if baseline and history.get((kind, value), 0) <= since:
                    name = actor_name(entry)
                    what = {"ip": "an IP address", "country": "a country", "device": "a device"}
                    text = f"{name} signed in from {what[kind]} not seen for them: {shown}."
                    found.append(Finding(rule, actor_key(entry), text))
            self._remember(actor, kind, value, occurred)
        self._remember(actor, "any", "", occurred)
        return found

    def _remember(self, actor: str, kind: str, value: str, occurred: int) -> None:
        history = self.history.setdefault(actor, {})
        last = max(history.get((kind, value), 0), occurred)
        history[(kind, value)] = last
        self.out.sign_ins[(actor, kind, value[:200])] = last

    def _raise_or_extend(self, finding: Finding, ids: list[str], occurred: int) -> bool:
        if not self._extend(finding, ids[-1], occurred):
            self._raise(finding, ids, occurred)
        return True

    def _extend(self, finding: Finding, event_id: str, occurred: int) -> bool:
        active = self.latest.get((finding.rule, finding.key))
        if (
            active is None
            or active.status == "resolved"
            or (
                not finding.lasting
                and abs(occurred - active.last_event_us) > self._window(finding.rule)
            )
        ):
            return False
        if event_id in active.event_ids:
            return True
        after = replace(
            active,
            event_ids=(*active.event_ids, event_id),
            last_event_us=max(active.last_event_us, occurred),
            updated_us=self.now,
        )
        self.latest[(finding.rule, finding.key)] = after
        self.taken[finding.rule].add(event_id)
        if active.id in self.out.raised:
            self.out.raised[active.id] = after
        else:
            before, _, added = self.out.extended.get(active.id, (active, active, []))
            self.out.extended[active.id] = (before, after, [*added, event_id])
        return True

    def _raise(self, finding: Finding, ids: list[str], occurred: int) -> None:
        state = self.states[finding.rule]
        alert = Alert(
            id=alert_id(self.workspace, finding.rule, finding.key, ids[-1]),
            workspace=self.workspace,
            rule=finding.rule,
            key=finding.key,
            severity=state.severity,
            status="open",
            summary=finding.text,
            event_ids=tuple(ids),
            raised_us=self.now,
            updated_us=self.now,
            last_event_us=occurred,
            changes=1,
        )
        self.latest[(finding.rule, finding.key)] = alert
        self.taken[finding.rule].update(ids)
        self.out.raised[alert.id] = alert


def apply(log: ActivityLog, conn: Connection, workspace: str, outcome: Outcome) -> None:
    """Write ``outcome`` and its ``alert.*`` entries inside ``conn``'s transaction."""
    entries = [
        alert_entry(alert, "raised", 1, event_ids=alert.event_ids)
        for alert in outcome.raised.values()
    ]
    for before, after, added in outcome.extended.values():
        after = replace(after, changes=before.changes + 1)
        outcome.extended[after.id] = (before, after, added)
        entries.append(alert_entry(after, "extended", after.changes, event_ids=added))
    if entries:
        log.record_many(entries, connection=conn)
    if outcome.raised:
        conn.execute(insert(alerts), [_row(alert) for alert in outcome.raised.values()])
    for before, after, _ in outcome.extended.values():
        done = conn.execute(
            update(alerts)
            .where(alerts.c.id == before.id, alerts.c.changes == before.changes)
            .values(
                event_ids=orjson.dumps(list(after.event_ids)).decode(),
                last_event_us=after.last_event_us,
                updated_us=after.updated_us,
                changes=after.changes,
            )
        )
        if done.rowcount != 1:
            raise Conflict(f"alert {before.id} changed while being extended; trying again", {})
    for rule, cutoff in outcome.cutoffs.items():
        conn.execute(
            delete(alert_hits).where(
                alert_hits.c.workspace == workspace,
                alert_hits.c.rule == rule,
                alert_hits.c.occurred_us <= cutoff,
            )
        )
    if outcome.hits:
        conn.execute(insert(alert_hits), outcome.hits)
    _keep_sign_ins(conn, workspace, outcome.sign_ins)


def _keep_sign_ins(
    conn: Connection, workspace: str, sign_ins: Mapping[tuple[str, str, str], int]
) -> None:
    if not sign_ins:
        return
    rows = [
        {"workspace": workspace, "actor_id": a, "kind": k, "value": v, "last_us": last}
        for (a, k, v), last in sign_ins.items()
    ]
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = maker(alert_sign_ins)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["workspace", "actor_id", "kind", "value"],
            set_={"last_us": stmt.excluded.last_us},
        ),
        rows,
    )


def _row(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "workspace": alert.workspace,
        "rule": alert.rule,
        "key": alert.key[:500],
        "severity": alert.severity,
        "status": alert.status,
        "summary": alert.summary,
        "event_ids": orjson.dumps(list(alert.event_ids)).decode(),
        "raised_us": alert.raised_us,
        "updated_us": alert.updated_us,
        "last_event_us": alert.last_event_us,
        "changes": alert.changes,
    }


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _moment(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)
