"""Who sees what: role x scope x layer x the workspace's log_access over a real store, for
every read path."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activitylog import AccessDenied, ActivityLog, NotFound, ValidationError, Viewer

from ._support import eid, user

# Events by name; each is (workspace, layer, actor, action, impersonator).
EVENTS: dict[str, tuple[str, str, str, str, str | None]] = {
    "owner": ("acme", "workspace", "u_owner", "settings.updated", None),
    "admin": ("acme", "workspace", "u_admin", "user.invited", None),
    "member": ("acme", "workspace", "u_member", "contact.updated", None),
    "member_impersonated": ("acme", "workspace", "u_member", "note.created", "staff"),
    "viewer": ("acme", "workspace", "u_viewer", "contact.viewed", None),
    "system": ("acme", "workspace", "system", "webhook.delivery_failed", None),
    "member_platform": ("acme", "platform", "u_member", "billing.plan_changed", None),
    "impersonation": ("acme", "platform", "staff", "impersonation.started", None),
    "platform": ("acme", "platform", "staff", "feature.enabled", None),
    "staff_in_workspace": ("acme", "workspace", "staff", "settings.updated", None),
    "g_owner": ("globex", "workspace", "g_owner", "settings.updated", None),
    "g_member": ("globex", "workspace", "u_member", "contact.updated", None),
    "g_impersonation": ("globex", "platform", "staff", "impersonation.ended", None),
    "g_platform": ("globex", "platform", "staff", "billing.plan_changed", None),
}
NAMES = list(EVENTS)
ACME = {n for n, e in EVENTS.items() if e[0] == "acme"}
ACME_SHOWN_TO_ADMINS = ACME - {"member_platform", "platform"}

#: acme lets everyone see their own activity (log_access "own"); see the admins-only tests.
VIEWERS = {
    "owner": Viewer("u_owner", "owner", "acme"),
    "admin": Viewer("u_admin", "admin", "acme"),
    "member": Viewer("u_member", "member", "acme", "own"),
    "viewer": Viewer("u_viewer", "viewer", "acme", "own"),
    "platform_admin": Viewer("staff", "platform_admin"),
}

#: (role, scope) -> the events visible in acme; None = AccessDenied.
MATRIX: dict[tuple[str, str], set[str] | None] = {
    ("owner", "workspace"): ACME_SHOWN_TO_ADMINS,
    ("owner", "mine"): {"owner"},
    ("admin", "workspace"): ACME_SHOWN_TO_ADMINS,
    ("admin", "mine"): {"admin"},
    ("member", "workspace"): None,
    ("member", "mine"): {"member", "member_impersonated"},
    ("viewer", "workspace"): None,
    ("viewer", "mine"): {"viewer"},
    ("platform_admin", "workspace"): ACME,
    ("platform_admin", "mine"): {"impersonation", "platform", "staff_in_workspace"},
}
#: What get() shows (it reads with the widest scope the role has).
GETTABLE = {
    "owner": ACME_SHOWN_TO_ADMINS,
    "admin": ACME_SHOWN_TO_ADMINS,
    "member": {"member", "member_impersonated"},
    "viewer": {"viewer"},
    "platform_admin": set(NAMES),
}


@pytest.fixture(scope="module")
def loaded(module_log: ActivityLog) -> tuple[ActivityLog, dict[str, str]]:
    """Records EVENTS once per engine (the tests only read); returns the log and name -> id."""
    log = module_log
    batch: list[dict[str, Any]] = []
    now = datetime.now(UTC)  # inside the default "last 7 days" of every read
    for i, (name, (workspace, layer, actor, action, impersonator)) in enumerate(EVENTS.items()):
        batch.append(
            {
                "id": eid(i + 1),
                "workspace": workspace,
                "layer": layer,
                "actor": {"id": "system", "name": "System", "type": "system"}
                if actor == "system"
                else user(actor, actor.title()),
                "impersonator": user(impersonator) if impersonator else None,
                "action": action,
                "ip": f"10.1.0.{i + 1}",
                "occurred_at": now - timedelta(hours=i + 1),
                "description": f"evt-{name}",
            }
        )
    log.record_many(batch)
    return log, {name: eid(i + 1) for i, name in enumerate(EVENTS)}


@pytest.fixture
def log(loaded: tuple[ActivityLog, dict[str, str]]) -> ActivityLog:
    """The shared, read-only log (overrides the per-test ``log`` in this module)."""
    return loaded[0]


@pytest.fixture
def named(loaded: tuple[ActivityLog, dict[str, str]]) -> dict[str, str]:
    return loaded[1]


def names_of(events: Any, named: dict[str, str]) -> set[str]:
    by_id = {v: k for k, v in named.items()}
    return {by_id[e["id"]] for e in events}


@pytest.mark.parametrize(("role", "scope"), list(MATRIX))
def test_visible_sets(log: ActivityLog, named: dict[str, str], role: str, scope: str) -> None:
    viewer = VIEWERS[role]
    expected = MATRIX[(role, scope)]
    reads = {
        "query": lambda: log.query(
            viewer=viewer, scope=scope, workspace="acme", range="last_7_days"
        ),
        "count": lambda: log.count(viewer=viewer, scope=scope, workspace="acme"),
        "export": lambda: list(log.export(viewer=viewer, scope=scope, workspace="acme")),
        "stats": lambda: log.stats(
            viewer=viewer, scope=scope, workspace="acme", range="last_7_days"
        ),
    }
    if expected is None:
        for read in reads.values():
            with pytest.raises(AccessDenied):
                read()
        return
    page = log.query(viewer=viewer, scope=scope, workspace="acme", per_page=100)
    assert names_of(page.items, named) == expected
    assert page.total == len(expected)
    assert log.count(viewer=viewer, scope=scope, workspace="acme") == len(expected)
    assert names_of(log.export(viewer=viewer, scope=scope, workspace="acme"), named) == expected
    stats = log.stats(viewer=viewer, scope=scope, workspace="acme")
    assert stats.kpis["total"] == len(expected)
    assert stats.kpis["unique_ips"] == len(expected)
    assert sum(a["count"] for a in stats.top_actors) <= len(expected)
    # filters never widen what is visible
    for layer in ("workspace", "platform"):
        shown = names_of(
            log.export(viewer=viewer, scope=scope, workspace="acme", layer=layer), named
        )
        assert shown == {n for n in expected if EVENTS[n][1] == layer}
    searched = log.export(viewer=viewer, scope=scope, workspace="acme", search="EVT-member")
    assert names_of(searched, named) == {n for n in expected if n.startswith("member")}


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize("scope", ["mine", "workspace"])
def test_other_workspaces_are_denied(
    log: ActivityLog, named: dict[str, str], role: str, scope: str
) -> None:
    viewer = VIEWERS[role]
    for workspace in ("globex", None, ""):
        with pytest.raises(AccessDenied):
            log.query(viewer=viewer, scope=scope, workspace=workspace)
        with pytest.raises(AccessDenied):
            log.count(viewer=viewer, scope=scope, workspace=workspace)
        with pytest.raises(AccessDenied):
            list(log.export(viewer=viewer, scope=scope, workspace=workspace))
        with pytest.raises(AccessDenied):
            log.stats(viewer=viewer, scope=scope, workspace=workspace)
    with pytest.raises(AccessDenied):
        log.get(named["g_owner"], viewer=viewer, workspace="globex")


def test_a_role_without_a_workspace_sees_nothing(log: ActivityLog, named: dict[str, str]) -> None:
    homeless = Viewer("u_owner", "owner")
    with pytest.raises(AccessDenied):
        log.query(viewer=homeless, workspace="acme")
    with pytest.raises(AccessDenied):
        log.get(named["owner"], viewer=homeless)


def test_platform_admins_see_every_workspace(log: ActivityLog, named: dict[str, str]) -> None:
    staff = VIEWERS["platform_admin"]
    assert names_of(log.export(viewer=staff), named) == set(NAMES)
    assert names_of(log.export(viewer=staff, workspace="globex"), named) == {
        n for n in NAMES if n.startswith("g_")
    }
    assert names_of(log.export(viewer=staff, scope="mine"), named) == {
        "impersonation",
        "platform",
        "staff_in_workspace",
        "g_impersonation",
        "g_platform",
    }


@pytest.mark.parametrize("role", list(VIEWERS))
def test_get_shows_exactly_the_visible_events(
    log: ActivityLog, named: dict[str, str], role: str
) -> None:
    viewer = VIEWERS[role]
    for name, event_id in named.items():
        if name in GETTABLE[role]:
            assert log.get(event_id, viewer=viewer)["description"] == f"evt-{name}"
        else:
            with pytest.raises(NotFound):
                log.get(event_id, viewer=viewer)
    with pytest.raises(NotFound):
        log.get(eid(999), viewer=viewer)


def test_unknown_roles_and_scopes_are_rejected(log: ActivityLog) -> None:
    with pytest.raises(ValidationError):
        Viewer("u", "superuser", "acme")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        log.query(viewer=VIEWERS["owner"], scope="everything", workspace="acme")


@pytest.mark.parametrize("role", ["member", "viewer"])
@pytest.mark.parametrize("scope", ["mine", "workspace"])
def test_an_admins_only_log_is_closed_to_members_and_viewers(
    log: ActivityLog, named: dict[str, str], role: str, scope: str
) -> None:
    viewer = replace(VIEWERS[role], log_access="admins")
    reads = (
        lambda: log.query(viewer=viewer, scope=scope, workspace="acme"),
        lambda: log.count(viewer=viewer, scope=scope, workspace="acme"),
        lambda: list(log.export(viewer=viewer, scope=scope, workspace="acme")),
        lambda: log.stats(viewer=viewer, scope=scope, workspace="acme"),
        lambda: log.get(named[role], viewer=viewer),
    )
    for read in reads:
        with pytest.raises(AccessDenied, match="owners and admins"):
            read()


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_admins_only_log_is_open_to_owners_and_admins(
    log: ActivityLog, named: dict[str, str], role: str
) -> None:
    viewer = replace(VIEWERS[role], log_access="admins")
    page = log.query(viewer=viewer, scope="workspace", workspace="acme", per_page=100)
    assert names_of(page.items, named) == ACME_SHOWN_TO_ADMINS
