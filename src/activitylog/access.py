"""Who may read what, and who may do what: roles, scopes, layers and the workspace's
``log_access`` setting turned into a :class:`Visibility`, and the yes/no rules for every
other action (delete, verify, settings, platform-only views).

This is the one place access rules live. Every read asks :func:`visibility_for` first and
hands the result to the store, which cannot be queried without one; the web layer and the
CLI ask the ``may_*`` functions here and never compare roles themselves.

| role           | workspaces | scopes                     | layers                             |
|----------------|------------|----------------------------|------------------------------------|
| platform_admin | any        | mine, workspace            | workspace and platform             |
| owner, admin   | their own  | mine, workspace            | workspace, platform impersonation  |
| member, viewer | their own  | mine, if log_access is own | workspace                          |

A workspace's ``log_access`` is ``admins`` by default: its members and viewers may read
nothing of its log (:data:`LOG_FOR_ADMINS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from activitylog.errors import AccessDenied, FieldError, ValidationError

Role = Literal["owner", "admin", "member", "viewer", "platform_admin"]
Scope = Literal["mine", "workspace"]
LayerRule = Literal["all", "workspace_and_impersonation", "workspace"]
#: Who may open a workspace's log: ``admins`` (owners and admins; the default) or ``own``
#: (everyone sees their own activity, owners and admins everyone's).
LogAccess = Literal["admins", "own"]
ROLES: tuple[str, ...] = get_args(Role)
SCOPES: tuple[str, ...] = get_args(Scope)
LOG_ACCESS: tuple[str, ...] = get_args(LogAccess)
DEFAULT_LOG_ACCESS: LogAccess = "admins"
WORKSPACE_ADMIN_ROLES = frozenset({"owner", "admin"})
#: Why a member or viewer may not open a log whose ``log_access`` is ``admins``.
LOG_FOR_ADMINS = "the activity log of this workspace is for its owners and admins"


@dataclass(frozen=True)
class Viewer:
    """The person reading: their user id, their role, the workspace the role is in, and
    that workspace's ``log_access`` setting (who reads its log decides what a member may
    see, so it travels with the role).

    A platform admin's ``workspace`` may be empty: the role spans every workspace.
    """

    user_id: str
    role: Role
    workspace: str = ""
    log_access: LogAccess = DEFAULT_LOG_ACCESS

    def __post_init__(self) -> None:
        errors = []
        if self.role not in ROLES:
            errors.append(FieldError("role", f"must be one of {', '.join(ROLES)}"))
        if self.log_access not in LOG_ACCESS:
            errors.append(FieldError("log_access", f"must be one of {', '.join(LOG_ACCESS)}"))
        if errors:
            raise ValidationError(errors)


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
    if is_platform(viewer):
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
    if not may_open_log(viewer):
        raise AccessDenied(LOG_FOR_ADMINS)
    if scope != "mine":
        raise AccessDenied(f"role {viewer.role} may only see its own activity (scope 'mine')")
    return Visibility(workspace=workspace, actor_id=viewer.user_id, layers="workspace")


def is_platform(viewer: Viewer) -> bool:
    """A platform admin (or the operator): every workspace, both layers. What they do is
    recorded in the platform layer, and only they see the workspace and layer of entries
    across workspaces (column, filters)."""
    return spans_workspaces(viewer.role)


def spans_workspaces(role: str) -> bool:
    """Whether ``role`` reads without a workspace of its own (platform admins)."""
    return role == "platform_admin"


def may_open_log(viewer: Viewer) -> bool:
    """Whether ``viewer`` may open its workspace's log at all: platform admins, owners and
    admins always; members and viewers only when ``log_access`` is ``own``."""
    return is_platform(viewer) or viewer.role in WORKSPACE_ADMIN_ROLES or viewer.log_access == "own"


def widest_scope(viewer: Viewer) -> Scope:
    """The broadest scope a viewer may use: ``workspace``, or ``mine`` for members/viewers."""
    return "workspace" if is_platform(viewer) or viewer.role in WORKSPACE_ADMIN_ROLES else "mine"


def may_delete(viewer: Viewer, workspace: str) -> bool:
    """Only a workspace's owners (and platform admins) may tombstone its entries."""
    return is_platform(viewer) or _owner_of(viewer, workspace)


def may_verify(viewer: Viewer, workspace: str) -> bool:
    """Owners and admins verify their workspace's log; platform admins any."""
    return may_read_settings(viewer, workspace)


def may_read_settings(viewer: Viewer, workspace: str) -> bool:
    """Owners and admins read their workspace's settings; platform admins any."""
    return is_platform(viewer) or (
        viewer.role in WORKSPACE_ADMIN_ROLES
        and bool(viewer.workspace)
        and viewer.workspace == workspace
    )


def may_change_settings(viewer: Viewer, workspace: str) -> bool:
    """Only a workspace's owners (and platform admins) change its settings."""
    return is_platform(viewer) or _owner_of(viewer, workspace)


def _owner_of(viewer: Viewer, workspace: str) -> bool:
    return viewer.role == "owner" and bool(viewer.workspace) and viewer.workspace == workspace


def may_see_alerts(role: str) -> bool:
    """Whether ``role`` sees a workspace's alerts (and their rules): owners, admins and
    platform admins; members and viewers see nothing of them. The workspace itself is
    checked apart (:func:`in_workspace`)."""
    return spans_workspaces(role) or role in WORKSPACE_ADMIN_ROLES


def may_manage_alerts(role: str) -> bool:
    """Whether ``role`` acknowledges and resolves alerts and changes alert rules: the same
    people who see them."""
    return may_see_alerts(role)


def in_workspace(viewer: Viewer, workspace: str) -> bool:
    """Whether ``workspace`` is ``viewer``'s own (any workspace for a platform admin)."""
    return is_platform(viewer) or (bool(viewer.workspace) and viewer.workspace == workspace)


def may_manage_streams(viewer: Viewer, workspace: str | None) -> bool:
    """Who may list, add and remove streams: a workspace's streams (``workspace`` set) its
    owners and admins and platform admins; platform streams (``workspace`` None: every
    workspace's entries) platform admins only."""
    if workspace is None:
        return is_platform(viewer)
    return may_read_settings(viewer, workspace)


def may_name_server_files(viewer: Viewer) -> bool:
    """Only platform admins (the operator) name files on the server's own disk: a stream
    to a file, a syslog stream's CA bundle."""
    return is_platform(viewer)


def stream_visibility(workspace: str | None) -> Visibility:
    """What a stream sends: a platform stream (``workspace`` None) every entry of every
    workspace; a workspace stream what the workspace's owners and admins see (its workspace
    layer, and the platform's impersonation entries there)."""
    if workspace is None:
        return Visibility(workspace=None, actor_id=None, layers="all")
    return Visibility(workspace=workspace, actor_id=None, layers="workspace_and_impersonation")
