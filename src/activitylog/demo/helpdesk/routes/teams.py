"""Teams of agents (members many-to-many, one lead) and the workspace's people and roles."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select

from activitylog.capture import auth as audit
from activitylog.demo.helpdesk.auth import Principal, person
from activitylog.demo.helpdesk.deps import Admin, App, Db, Signed, commit, owned
from activitylog.demo.helpdesk.models import Conversation, Membership, Team, User
from activitylog.demo.helpdesk.provisioning import add_member, add_user

router = APIRouter(tags=["teams"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Role = Literal["owner", "admin", "member", "viewer"]


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    lead_id: str | None = None
    auto_assign: bool = False


class TeamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    lead_id: str | None = None
    auto_assign: bool | None = None


class InviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    ]
    name: Name
    role: Role = "member"


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


def team_json(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "lead_id": team.lead_id,
        "auto_assign": team.auto_assign,
        "members": [u.id for u in team.members],
    }


# -- teams ------------------------------------------------------------------------------------
@router.get("/teams")
def list_teams(db: Db, principal: Signed) -> list[dict[str, Any]]:
    rows = db.scalars(select(Team).where(Team.workspace_id == principal.workspace))
    return [team_json(t) for t in rows]


@router.post("/teams", status_code=201)
def create_team(body: TeamIn, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    lead = _member(db, body.lead_id, principal) if body.lead_id else None
    team = Team(
        workspace_id=principal.workspace,
        name=body.name,
        lead_id=body.lead_id,
        auto_assign=body.auto_assign,
        created_at=app.clock(),
    )
    if lead is not None:
        team.members.append(lead)
    db.add(team)
    commit(db)
    return team_json(team)


@router.patch("/teams/{team_id}")
def update_team(team_id: int, body: TeamPatch, db: Db, principal: Admin) -> dict[str, Any]:
    """Apply the changes, then check the team still holds together (its lead one of its
    members); if not, nothing is kept — and nothing is recorded."""
    team = owned(db, Team, team_id, principal)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None or field == "lead_id":
            setattr(team, field, value)
    # Loading the members flushes the changes above first (autoflush): the capture has
    # seen them, and must forget them when the request is rolled back below.
    if team.lead_id is not None and team.lead_id not in {u.id for u in team.members}:
        raise HTTPException(422, "the lead must be a member of the team")
    commit(db)
    return team_json(team)


@router.delete("/teams/{team_id}", status_code=204)
def delete_team(team_id: int, db: Db, principal: Admin) -> None:
    db.delete(owned(db, Team, team_id, principal))
    commit(db)


@router.put("/teams/{team_id}/members/{user_id}")
def add_team_member(team_id: int, user_id: str, db: Db, principal: Admin) -> dict[str, Any]:
    team = owned(db, Team, team_id, principal)
    user = _member(db, user_id, principal)
    if user not in team.members:
        team.members = [*team.members, user]
    commit(db)
    return team_json(team)


@router.delete("/teams/{team_id}/members/{user_id}")
def remove_team_member(team_id: int, user_id: str, db: Db, principal: Admin) -> dict[str, Any]:
    team = owned(db, Team, team_id, principal)
    kept = [u for u in team.members if u.id != user_id]
    if len(kept) == len(team.members):
        raise HTTPException(404, "not a member of this team")
    team.members = kept
    if team.lead_id == user_id:
        team.lead_id = None
    commit(db)
    return team_json(team)


# -- people -----------------------------------------------------------------------------------
@router.get("/members")
def list_members(db: Db, principal: Signed) -> list[dict[str, Any]]:
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == principal.workspace)
        .order_by(User.name)
    )
    return [{"id": u.id, "name": u.name, "email": u.email, "role": role} for u, role in rows]


@router.post("/members", status_code=201)
def invite_member(body: InviteIn, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    """Add someone to the workspace (a new person gets an account without a usable
    password: the invitation email, not part of this example, lets them set one)."""
    if body.role == "owner" and principal.role not in ("owner", "platform_admin"):
        raise HTTPException(403, "only an owner makes owners")
    now = app.clock()
    user = db.scalar(select(User).where(func.lower(User.email) == body.email.lower()))
    if user is None:
        user = add_user(
            db,
            user_id="u_" + secrets.token_hex(6),
            name=body.name,
            email=body.email.lower(),
            password_hash=app.passwords.hash(secrets.token_urlsafe(24)),
            now=now,
        )
    add_member(db, user, principal.workspace or "", body.role, now)
    commit(db)
    return {"id": user.id, "name": user.name, "email": user.email, "role": body.role}


@router.delete("/members/{user_id}", status_code=204)
def remove_member(user_id: str, db: Db, principal: Admin) -> None:
    """Take someone out of the workspace: out of its teams, their conversations
    unassigned."""
    membership = _membership(db, user_id, principal)
    if user_id == principal.user.id:
        raise HTTPException(403, "you cannot remove yourself")
    if membership.role == "owner" and principal.role not in ("owner", "platform_admin"):
        raise HTTPException(403, "only an owner removes owners")
    teams = db.scalars(select(Team).where(Team.workspace_id == principal.workspace))
    for team in teams:
        if any(u.id == user_id for u in team.members):
            team.members = [u for u in team.members if u.id != user_id]
            if team.lead_id == user_id:
                team.lead_id = None
    assigned = db.scalars(
        select(Conversation).where(
            Conversation.workspace_id == principal.workspace, Conversation.assignee_id == user_id
        )
    )
    for conversation in assigned:
        conversation.assignee_id = None
    db.delete(membership)
    commit(db)


@router.patch("/members/{user_id}")
def change_role(user_id: str, body: RoleIn, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    """Change someone's role. Only an owner makes or unmakes owners; nobody changes their
    own role (so a workspace cannot lose its last owner by accident)."""
    membership = _membership(db, user_id, principal)
    if user_id == principal.user.id:
        raise HTTPException(403, "you cannot change your own role")
    before = membership.role
    if "owner" in (before, body.role) and principal.role not in ("owner", "platform_admin"):
        raise HTTPException(403, "only an owner makes or unmakes owners")
    membership.role = body.role
    commit(db)
    if principal.workspace is not None:
        audit.role_changed(
            app.log,
            person(membership.user, body.role),
            workspace=principal.workspace,
            before=before,
            after=body.role,
            by=principal.actor,
        )
    return {"id": user_id, "role": membership.role}


def _membership(db: Db, user_id: str, principal: Principal) -> Membership:
    membership = db.scalar(
        select(Membership).where(
            Membership.workspace_id == principal.workspace, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise HTTPException(404, "no such member")
    return membership


def _member(db: Db, user_id: str | None, principal: Principal) -> User:
    """A user of the principal's workspace, else a 422."""
    user = db.get(User, user_id) if user_id else None
    in_workspace = user is not None and any(
        m.workspace_id == principal.workspace for m in user.memberships
    )
    if user is None or not in_workspace:
        raise HTTPException(422, f"{user_id} is not a member of this workspace")
    return user
