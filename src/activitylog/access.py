"""Who may read what: roles, scopes and layers turned into a :class:`Visibility`.

This is the one place access rules live. Every read asks :func:`visibility_for` first and
hands the result to the store, which cannot be queried without one.

| role            | workspaces | scopes              | layers                                   |
|-----------------|------------|---------------------|------------------------------------------|
| platform_admin  | any        | mine, workspace     | workspace and platform                   |
| owner, admin    | their own  | mine, workspace     | workspace, plus platform impersonation   |
| member, viewer  | their own  | mine                | workspace                                |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from activitylog.errors import AccessDenied, FieldError, ValidationError

Role = Literal["owner", "admin", "member", "viewer", "platform_admin"]
Scope = Literal["mine", "workspace"]
LayerRule = Literal["all", "workspace_and_impersonation", "workspace"]
ROLES: tuple[str, ...] = get_args(Role)
SCOPES: tuple[str, ...] = get_args(Scope)
WORKSPACE_ADMIN_ROLES = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class Viewer:
    """The person reading: their user id, their role, and the workspace the role is in.

    A platform admin's ``workspace`` may be empty: the role spans every workspace.
    """

    user_id: str
    role: Role
    workspace: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValidationError([FieldError("role", f"must be one of {', '.join(ROLES)}")])


@dataclass(frozen=True)
class Visibility:
    """What a store may return: one workspace (or all), maybe one actor, some layers."""

    workspace: str | None
    actor_id: str | None
    layers: LayerRule


#: The operator at the command line (and the SDK's embedded default): sees everything.
OPERATOR = Viewer(user_id="operator", role="platform_admin")


def visibility_for(viewer: Viewer, scope: str, workspace: str | None) -> Visibility:
    """The rows ``viewer`` may read in ``workspace`` with ``scope``; raise when none."""
    if scope not in SCOPES:
        raise ValidationError([FieldError("scope", "must be 'mine' or 'workspace'")])
    if viewer.role == "platform_admin":
        return Visibility(
            workspace=workspace, actor_id=viewer.user_id if scope == "mine" else None, layers="all"
        )
    if not viewer.workspace or workspace != viewer.workspace:  # no workspace: no access
        raise AccessDenied(f"role {viewer.role} may only read workspace {viewer.workspace!r}")
    if viewer.role in WORKSPACE_ADMIN_ROLES:
        return Visibility(
            workspace=workspace,
            actor_id=viewer.user_id if scope == "mine" else None,
            layers="workspace_and_impersonation",
        )
    if scope != "mine":
        raise AccessDenied(f"role {viewer.role} may only see its own activity (scope 'mine')")
    return Visibility(workspace=workspace, actor_id=viewer.user_id, layers="workspace")


def widest_scope(viewer: Viewer) -> Scope:
    """The broadest scope a viewer may use: ``workspace``, or ``mine`` for members/viewers."""
    return "workspace" if viewer.role in WORKSPACE_ADMIN_ROLES | {"platform_admin"} else "mine"


def may_delete(viewer: Viewer, workspace: str) -> bool:
    """Only a workspace's owners (and platform admins) may tombstone its entries."""
    return viewer.role == "platform_admin" or (
        viewer.role == "owner" and bool(viewer.workspace) and viewer.workspace == workspace
    )
