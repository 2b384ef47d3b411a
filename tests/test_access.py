"""access: role x scope x workspace x the workspace's log_access -> Visibility (or
AccessDenied), and every other rule (delete, verify, settings, platform views)."""

from __future__ import annotations

import pytest

from activitylog.access import (
    LOG_ACCESS,
    LOG_FOR_ADMINS,
    OPERATOR,
    ROLES,
    LogAccess,
    Role,
    Viewer,
    Visibility,
    is_platform,
    may_change_settings,
    may_delete,
    may_open_log,
    may_read_settings,
    may_verify,
    spans_workspaces,
    visibility_for,
)
from activitylog.errors import AccessDenied, ValidationError

OWN, OTHER, USER = "acme", "globex", "u_1"
DENIED = None

# (role, scope, workspace asked for) -> (actor_id, layers), or DENIED; log_access "own".
MATRIX: dict[tuple[str, str, str], tuple[str | None, str] | None] = {
    ("owner", "mine", OWN): (USER, "workspace_and_impersonation"),
    ("owner", "workspace", OWN): (None, "workspace_and_impersonation"),
    ("owner", "mine", OTHER): DENIED,
    ("owner", "workspace", OTHER): DENIED,
    ("admin", "mine", OWN): (USER, "workspace_and_impersonation"),
    ("admin", "workspace", OWN): (None, "workspace_and_impersonation"),
    ("admin", "mine", OTHER): DENIED,
    ("admin", "workspace", OTHER): DENIED,
    ("member", "mine", OWN): (USER, "workspace"),
    ("member", "workspace", OWN): DENIED,
    ("member", "mine", OTHER): DENIED,
    ("member", "workspace", OTHER): DENIED,
    ("viewer", "mine", OWN): (USER, "workspace"),
    ("viewer", "workspace", OWN): DENIED,
    ("viewer", "mine", OTHER): DENIED,
    ("viewer", "workspace", OTHER): DENIED,
    ("platform_admin", "mine", OWN): (USER, "all"),
    ("platform_admin", "workspace", OWN): (None, "all"),
    ("platform_admin", "mine", OTHER): (USER, "all"),
    ("platform_admin", "workspace", OTHER): (None, "all"),
}


def test_matrix_is_complete() -> None:
    assert {k[0] for k in MATRIX} == set(ROLES)
    assert len(MATRIX) == len(ROLES) * 2 * 2


@pytest.mark.parametrize("log_access", LOG_ACCESS)
@pytest.mark.parametrize(("role", "scope", "workspace"), sorted(MATRIX))
def test_visibility_matrix(role: Role, scope: str, workspace: str, log_access: LogAccess) -> None:
    viewer = Viewer(USER, role, OWN, log_access)
    expected = MATRIX[(role, scope, workspace)]
    if log_access == "admins" and role in ("member", "viewer"):
        expected = DENIED  # the log is for owners and admins
    if expected is DENIED:
        with pytest.raises(AccessDenied) as info:
            visibility_for(viewer, scope, workspace)
        assert info.value.status == 403
    else:
        actor_id, layers = expected
        assert visibility_for(viewer, scope, workspace) == Visibility(workspace, actor_id, layers)  # type: ignore[arg-type]


@pytest.mark.parametrize("workspace", [OWN, OTHER, None])
def test_platform_admin_without_workspace(workspace: str | None) -> None:
    admin = Viewer(USER, "platform_admin")
    assert visibility_for(admin, "workspace", workspace) == Visibility(workspace, None, "all")
    assert visibility_for(admin, "mine", workspace) == Visibility(workspace, USER, "all")


def test_operator_sees_everything() -> None:
    assert visibility_for(OPERATOR, "workspace", None) == Visibility(None, None, "all")


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize("scope", ["mine", "workspace"])
def test_workspace_roles_may_not_read_all_workspaces(role: Role, scope: str) -> None:
    with pytest.raises(AccessDenied):
        visibility_for(Viewer(USER, role, OWN), scope, None)


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize("asked", ["", None, OWN])
def test_workspace_role_without_a_workspace_sees_nothing(role: Role, asked: str | None) -> None:
    with pytest.raises(AccessDenied):
        visibility_for(Viewer(USER, role), "mine", asked)


@pytest.mark.parametrize("scope", ["all", "", "Mine", "everyone"])
@pytest.mark.parametrize("role", ROLES)
def test_unknown_scope(role: Role, scope: str) -> None:
    with pytest.raises(ValidationError) as info:
        visibility_for(Viewer(USER, role, OWN), scope, OWN)
    assert [e.field for e in info.value.errors] == ["scope"]


@pytest.mark.parametrize("role", ["superuser", "", "Owner"])
def test_unknown_role(role: str) -> None:
    with pytest.raises(ValidationError) as info:
        Viewer(USER, role, OWN)  # type: ignore[arg-type]
    assert [e.field for e in info.value.errors] == ["role"]


@pytest.mark.parametrize(
    ("role", "viewer_workspace", "target", "allowed"),
    [
        ("owner", OWN, OWN, True),
        ("owner", OWN, OTHER, False),
        ("owner", "", "", False),
        ("admin", OWN, OWN, False),
        ("member", OWN, OWN, False),
        ("viewer", OWN, OWN, False),
        ("platform_admin", "", OWN, True),
        ("platform_admin", OWN, OTHER, True),
    ],
)
def test_may_delete(role: Role, viewer_workspace: str, target: str, allowed: bool) -> None:
    assert may_delete(Viewer(USER, role, viewer_workspace), target) is allowed


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("owner", "workspace"),
        ("admin", "workspace"),
        ("platform_admin", "workspace"),
        ("member", "mine"),
        ("viewer", "mine"),
    ],
)
def test_widest_scope(role: str, scope: str) -> None:
    from activitylog.access import widest_scope

    assert widest_scope(Viewer("u", role, "acme")) == scope  # type: ignore[arg-type]


def test_log_access_defaults_to_admins() -> None:
    assert Viewer(USER, "member", OWN).log_access == "admins"


@pytest.mark.parametrize("role", ["member", "viewer"])
@pytest.mark.parametrize("scope", ["mine", "workspace"])
def test_members_of_an_admins_only_log_are_told_why(role: Role, scope: str) -> None:
    with pytest.raises(AccessDenied, match=LOG_FOR_ADMINS):
        visibility_for(Viewer(USER, role, OWN, "admins"), scope, OWN)


@pytest.mark.parametrize("value", ["all", "", "Admins", "everyone"])
def test_unknown_log_access(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        Viewer(USER, "member", OWN, value)  # type: ignore[arg-type]
    assert [e.field for e in info.value.errors] == ["log_access"]


@pytest.mark.parametrize(
    ("role", "log_access", "allowed"),
    [
        ("owner", "admins", True),
        ("admin", "admins", True),
        ("member", "admins", False),
        ("viewer", "admins", False),
        ("member", "own", True),
        ("viewer", "own", True),
        ("platform_admin", "admins", True),
    ],
)
def test_may_open_log(role: Role, log_access: LogAccess, allowed: bool) -> None:
    assert may_open_log(Viewer(USER, role, OWN, log_access)) is allowed


# (role, the viewer's workspace, the workspace concerned) -> (verify / read settings, change)
RULES: list[tuple[Role, str, str, bool, bool]] = [
    ("owner", OWN, OWN, True, True),
    ("owner", OWN, OTHER, False, False),
    ("owner", "", "", False, False),
    ("admin", OWN, OWN, True, False),
    ("admin", OWN, OTHER, False, False),
    ("member", OWN, OWN, False, False),
    ("viewer", OWN, OWN, False, False),
    ("platform_admin", "", OWN, True, True),
    ("platform_admin", OWN, OTHER, True, True),
]


@pytest.mark.parametrize(("role", "viewer_workspace", "target", "reads", "changes"), RULES)
def test_settings_and_verify_rules(
    role: Role, viewer_workspace: str, target: str, reads: bool, changes: bool
) -> None:
    viewer = Viewer(USER, role, viewer_workspace, "own")
    assert may_verify(viewer, target) is reads
    assert may_read_settings(viewer, target) is reads
    assert may_change_settings(viewer, target) is changes


@pytest.mark.parametrize("role", ROLES)
def test_is_platform(role: Role) -> None:
    assert is_platform(Viewer(USER, role, OWN)) is (role == "platform_admin")
    assert spans_workspaces(role) is (role == "platform_admin")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", True),
        ("admin", True),
        ("member", False),
        ("viewer", False),
        ("platform_admin", True),
    ],
)
def test_who_sees_and_manages_alerts(role: str, allowed: bool) -> None:
    from activitylog.access import in_workspace, may_manage_alerts, may_see_alerts

    assert may_see_alerts(role) is allowed
    assert may_manage_alerts(role) is allowed
    workspace = "" if role == "platform_admin" else "acme"
    viewer = Viewer(user_id="u", role=role, workspace=workspace)  # type: ignore[arg-type]
    assert in_workspace(viewer, "acme")
    assert in_workspace(viewer, "globex") is (role == "platform_admin")
