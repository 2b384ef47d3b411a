"""The demo/benchmark data generator: shape, determinism and realism of its events."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activitylog.catalog import CATEGORIES, DEFAULT_CATALOG
from activitylog.demo.seed import PLATFORM_ADMINS, USERS, WORKSPACES, generate_events
from activitylog.events import validate

NOW = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
CHANGE_VERBS = {"updated", "role_changed", "plan_changed", "ownership_transferred"}
SNAPSHOT_VERBS = {"created", "deleted", "removed"}
REQUIRED_ACTIONS = {
    *("auth.signed_in", "auth.signed_out", "auth.sign_in_failed", "auth.password_changed"),
    *("auth.mfa_enabled", "auth.password_reset", "user.invited", "user.role_changed"),
    *("user.removed", "team.created", "team.member_added", "team.member_removed"),
    *("team.updated", "contact.created", "contact.updated", "contact.deleted"),
    *("contact.merged", "contact.exported", "conversation.assigned", "conversation.resolved"),
    *("conversation.reopened", "conversation.snoozed", "conversation.replied"),
    *("conversation.viewed", "note.created", "note.updated", "note.deleted"),
    *("broadcast.created", "broadcast.scheduled", "broadcast.sent", "broadcast.deleted"),
    *("webhook.created", "webhook.updated", "webhook.deleted", "webhook.delivery_failed"),
    *("settings.updated", "workspace.updated", "api_key.created", "api_key.revoked"),
    *("feature.enabled", "feature.disabled", "impersonation.started", "impersonation.ended"),
    *("activity_log.viewed", "activity_log.exported"),
}
USER_WORKSPACE = {u.id: u.workspace for u in USERS}
OFFSETS = {ws.id: ws.utc_offset for ws in WORKSPACES}


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return list(generate_events(20_000, now=NOW))


def verb(event: dict[str, Any]) -> str:
    return str(event["action"].rsplit(".", 1)[1])


def test_roster() -> None:
    assert [ws.id for ws in WORKSPACES] == ["acme", "globex", "initech"]
    assert len({u.id for u in USERS + PLATFORM_ADMINS}) == len(USERS) + len(PLATFORM_ADMINS)
    for ws in WORKSPACES:
        roles = Counter(u.role for u in USERS if u.workspace == ws.id)
        assert roles["owner"] == 1
        assert 1 <= roles["admin"] <= 2
        assert roles["member"] >= 3
        assert roles["viewer"] == 1
        assert set(roles) == {"owner", "admin", "member", "viewer"}
    assert 1 <= len(PLATFORM_ADMINS) <= 2
    assert all(a.role == "platform_admin" and a.workspace == "" for a in PLATFORM_ADMINS)


def test_count_order_and_time_window(events: list[dict[str, Any]]) -> None:
    assert len(events) == 20_000
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert NOW - timedelta(days=90) <= times[0]
    assert times[-1] <= NOW
    assert len({t.microsecond for t in times[:100]}) > 90


@pytest.mark.parametrize("n", [0, 1, 7, 1001])
def test_exact_count_and_window_for_odd_arguments(n: int) -> None:
    now = datetime(2024, 2, 29, 23, 37, 12, 345678, tzinfo=UTC)
    got = list(generate_events(n, seed=3, now=now, days=2))
    assert len(got) == n
    assert all(now - timedelta(days=2) <= e["occurred_at"] <= now for e in got)


def test_default_now_is_recent_and_never_future() -> None:
    before = datetime.now(UTC)
    got = list(generate_events(300, days=1))
    assert all(e["occurred_at"] <= datetime.now(UTC) for e in got)
    assert all(e["occurred_at"] >= before - timedelta(days=1, minutes=1) for e in got)


def test_is_lazy() -> None:
    stream = generate_events(10_000_000, now=NOW)
    assert isinstance(stream, Iterator)
    assert next(stream)["occurred_at"] >= NOW - timedelta(days=90)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_events(1, now=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match=">= 0"):
        generate_events(-1)
    with pytest.raises(ValueError, match="days"):
        generate_events(1, days=0)


def test_deterministic_per_seed(events: list[dict[str, Any]]) -> None:
    first = list(generate_events(3_000, now=NOW))
    assert first == list(generate_events(3_000, now=NOW))
    other = list(generate_events(3_000, seed=8, now=NOW))
    assert other != first
    assert {e["subject"]["id"] for e in other} & {e["subject"]["id"] for e in events}


def test_every_category_and_listed_action_occurs(events: list[dict[str, Any]]) -> None:
    actions = {e["action"] for e in events}
    assert all(ACTION_RE.match(a) for a in actions)
    assert actions >= REQUIRED_ACTIONS
    categories = {DEFAULT_CATALOG.describe(a).category for a in actions}
    assert categories == set(CATEGORIES) - {"other"}
    assert DEFAULT_CATALOG.describe("contact.exported").kind == "read"


def test_system_events(events: list[dict[str, Any]]) -> None:
    system = [e for e in events if "actor" not in e]
    assert 0.05 <= len(system) / len(events) <= 0.10
    assert all("session_id" not in e and "ip" not in e for e in system)
    imports = [e for e in system if e["action"] == "contact.created"]
    assert imports
    assert all(e["details"]["import_id"].startswith("imp_") for e in imports)
    failed = [e for e in events if e["action"] == "webhook.delivery_failed"]
    assert failed
    assert all("actor" not in e and e["result"] == "failure" for e in failed)
    assert any(e["action"] == "broadcast.sent" for e in system)


def test_platform_layer_and_impersonation(events: list[dict[str, Any]]) -> None:
    admins = {a.id for a in PLATFORM_ADMINS}
    platform = [e for e in events if e["layer"] == "platform"]
    assert {e["action"] for e in platform} >= {"workspace.plan_changed", "billing.invoice_paid"}
    for e in events:
        if e["action"].startswith("impersonation."):
            assert e["layer"] == "platform"
            assert e["actor"]["id"] in admins
            assert e["actor"]["role"] == "platform_admin"
            assert e["subject"]["type"] == "user"
            assert USER_WORKSPACE[e["subject"]["id"]] == e["workspace"]
            assert e["details"]["ticket"].startswith("SUP-")
    impersonated = [e for e in events if "impersonator" in e]
    assert impersonated
    assert all(e["impersonator"]["id"] in admins for e in impersonated)
    assert all(e["layer"] == "workspace" for e in impersonated)


def test_results(events: list[dict[str, Any]]) -> None:
    results = Counter(e["result"] for e in events)
    assert set(results) == {"success", "warning", "failure"}
    assert 0.01 <= results["failure"] / len(events) <= 0.06
    assert 0.005 <= results["warning"] / len(events) <= 0.05
    failed_sign_ins = [e for e in events if e["action"] == "auth.sign_in_failed"]
    assert all(e["result"] == "failure" for e in failed_sign_ins)
    assert all(e["details"]["attempted_email"] == e["actor"]["email"] for e in failed_sign_ins)


def test_changes_and_snapshots(events: list[dict[str, Any]]) -> None:
    for e in events:
        if "changes" in e:
            assert verb(e) in CHANGE_VERBS
            assert 1 <= len(e["changes"]) <= 3
            for change in e["changes"].values():
                assert set(change) == {"before", "after"}
                assert change["before"] != change["after"]
        elif verb(e) in CHANGE_VERBS:
            pytest.fail(f"{e['action']} without changes")
        assert ("snapshot" in e) == (verb(e) in SNAPSHOT_VERBS), e["action"]
    role_changes = [e for e in events if e["action"] == "user.role_changed"]
    assert role_changes
    assert all(set(e["changes"]) == {"role"} for e in role_changes)


def test_users_act_in_their_own_workspace(events: list[dict[str, Any]]) -> None:
    for e in events:
        if "actor" in e and e["actor"]["role"] != "platform_admin":
            assert USER_WORKSPACE[e["actor"]["id"]] == e["workspace"]
    assert {e["workspace"] for e in events} == set(OFFSETS)


def test_roles_shape_behaviour(events: list[dict[str, Any]]) -> None:
    by_role: dict[str, Counter[str]] = {}
    for e in events:
        if "actor" in e:
            by_role.setdefault(e["actor"]["role"], Counter())[e["action"]] += 1
    admin_only = ("settings.", "user.", "webhook.", "api_key.", "feature.", "workspace.")
    for role in ("member", "viewer"):
        assert not [a for a in by_role[role] if a.startswith(admin_only)]
    member = by_role["member"]
    inbox = sum(
        c for a, c in member.items() if a.startswith(("conversation.", "note.", "contact."))
    )
    assert inbox > 0.8 * member.total()
    viewer = by_role["viewer"]
    assert sum(c for a, c in viewer.items() if a.endswith(".viewed")) > 0.6 * viewer.total()
    log_views = Counter(e["actor"]["role"] for e in events if e["action"] == "activity_log.viewed")
    assert log_views["owner"] + log_views["admin"] > 0.8 * log_views.total()


def test_business_hours_dominate(events: list[dict[str, Any]]) -> None:
    def in_hours(e: dict[str, Any]) -> bool:
        local: datetime = e["occurred_at"] + timedelta(hours=OFFSETS[e["workspace"]])
        return local.weekday() < 5 and 7 <= local.hour < 19

    assert sum(map(in_hours, events)) > 0.6 * len(events)


def test_devices_sessions_and_records_repeat(events: list[dict[str, Any]]) -> None:
    ips: dict[str, set[str]] = {}
    for e in events:
        if e["action"] == "auth.signed_in":
            ips.setdefault(e["actor"]["id"], set()).add(e["ip"])
    assert sum(len(v) >= 2 for v in ips.values()) > len(ips) / 2
    assert all(
        "ip" in e and e["user_agent"].startswith(("Mozilla/", "python", "curl"))
        for e in events
        if "actor" in e
    )
    sessions: dict[tuple[str, object], set[str]] = {}
    for e in events:
        if "session_id" in e:
            person = e.get("impersonator", e["actor"])["id"]
            sessions.setdefault((person, e["occurred_at"].date()), set()).add(e["session_id"])
    assert all(len(ids) == 1 for ids in sessions.values())
    assert len({next(iter(ids)) for ids in sessions.values()}) == len(sessions)
    assert all(e["request_id"].startswith("req_") and len(e["request_id"]) == 20 for e in events)
    subjects = Counter(e["subject"]["id"] for e in events if e["action"].startswith("conv"))
    assert subjects.most_common(1)[0][1] >= 3


def test_sizes_and_ingestibility(events: list[dict[str, Any]]) -> None:
    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    first_of_each = {e["action"]: e for e in reversed(events)}
    for e in [*first_of_each.values(), *events[::97]]:
        assert len(e["description"]) <= 2000
        for key, value in e.items():
            if key not in ("description", "user_agent"):
                assert all(len(s) <= 200 for s in strings(value)), key
            if key in ("changes", "snapshot", "details"):
                assert len(json.dumps(value)) < 4096
        validate(e, now=NOW)
