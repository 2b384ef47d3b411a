"""Sign-ins, password and MFA changes, role changes, impersonation and other special actions,
recorded with one consistent shape each::

    from activitylog.capture import auth

    auth.signed_in(log, user, workspace="acme", method="password")
    auth.sign_in_failed(log, email=form_email, workspace="acme")   # System, never a password
    auth.role_changed(log, member, workspace="acme", before="member", after="admin", by=user)

A ``user`` (and ``by``, ``admin``, ``from_user``, ``to_user``) is a mapping
``{"id", "name", "email"?, "role"?}``. Each helper records through ``log.record`` with the
current context — inside a request the IP, user agent, request and session ids come from the
middleware — and returns the stored event. Bad arguments raise :class:`ValidationError`
naming the argument.

Impersonation keeps the shape the rest of the product uses: ``impersonation.started`` and
``.ended`` are done by the admin (actor) to the user (subject), in the ``platform`` layer
for platform staff (the workspace's owners and admins still see them); what the admin does
meanwhile is recorded with ``actor`` = the user and ``impersonator`` = the admin (an
:class:`~activitylog.capture.context.Identity` with ``impersonator`` set does that).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from activitylog.errors import FieldError, ValidationError
from activitylog.events import NAME_MAX, SYSTEM_ACTOR

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

Event = dict[str, Any]
Layer = Literal["workspace", "platform"]

_PERSON_KEYS = frozenset({"id", "name", "email", "role", "type"})


def signed_in(
    log: ActivityLog,
    user: Mapping[str, Any],
    *,
    workspace: str,
    method: str = "password",
    session_id: str | None = None,
) -> Event:
    """``auth.signed_in`` by ``user``; details ``{"method"}`` (password, google, saml_sso…).
    ``session_id`` names the session the sign-in starts (default: the context's)."""
    actor = _person("user", user)
    extra = {"session_id": session_id} if session_id is not None else {}
    return log.record(
        action="auth.signed_in",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject=_subject(actor),
        details={"method": _name("method", method)},
        description=f"{actor['name']} signed in",
        **extra,
    )


def signed_out(log: ActivityLog, user: Mapping[str, Any], *, workspace: str) -> Event:
    """``auth.signed_out`` by ``user``."""
    actor = _person("user", user)
    return log.record(
        action="auth.signed_out",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject=_subject(actor),
        description=f"{actor['name']} signed out",
    )


def sign_in_failed(
    log: ActivityLog,
    *,
    email: str,
    workspace: str,
    reason: str = "invalid_credentials",
    user: Mapping[str, Any] | None = None,
) -> Event:
    """``auth.sign_in_failed``, result failure, done by **System** (nobody signed in). The
    attempted address — whatever was typed, cleaned of control characters and cut to 200
    characters — is in the details and names the subject, or ``user`` is the subject when
    the address belongs to one. There is no password argument, on purpose."""
    if not isinstance(email, str):
        raise ValidationError([FieldError("email", "must be a string")])
    attempted = "".join(c for c in email if c.isprintable()).strip()[:NAME_MAX]
    subject = _subject(_person("user", user)) if user is not None else {"type": "user"}
    if user is None and attempted:
        subject["name"] = attempted
    return log.record(
        action="auth.sign_in_failed",
        workspace=_name("workspace", workspace),
        actor=dict(SYSTEM_ACTOR),
        impersonator=None,
        result="failure",
        subject=subject,
        details={"email": attempted, "reason": _name("reason", reason)},
        description=f"Failed sign-in for {attempted}" if attempted else "Failed sign-in",
    )


def password_reset(
    log: ActivityLog, user: Mapping[str, Any], *, workspace: str, method: str = "email_link"
) -> Event:
    """``auth.password_reset``: ``user`` set a new password through a reset (an emailed
    link by default), not knowing the old one. Details ``{"method"}``."""
    actor = _person("user", user)
    return log.record(
        action="auth.password_reset",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject=_subject(actor),
        details={"method": _name("method", method)},
        description=f"{actor['name']} reset their password",
    )


def password_changed(
    log: ActivityLog,
    user: Mapping[str, Any],
    *,
    workspace: str,
    by: Mapping[str, Any] | None = None,
) -> Event:
    """``auth.password_changed`` of ``user``: by the user, or ``by`` someone else (then
    ``by`` is the actor and the user the subject). No password is ever recorded."""
    subject_person = _person("user", user)
    actor = _person("by", by) if by is not None else subject_person
    own = actor["id"] == subject_person["id"]
    return log.record(
        action="auth.password_changed",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject=_subject(subject_person),
        description=f"{actor['name']} changed their password"
        if own
        else f"{actor['name']} changed the password of {subject_person['name']}",
    )


def mfa_enabled(
    log: ActivityLog,
    user: Mapping[str, Any],
    *,
    workspace: str,
    method: str = "totp",
    by: Mapping[str, Any] | None = None,
) -> Event:
    """``auth.mfa_enabled`` for ``user`` (by the user, or ``by`` an admin); details
    ``{"method"}`` (totp, webauthn, sms…)."""
    return _mfa(log, "enabled", user, workspace, method, by)


def mfa_disabled(
    log: ActivityLog,
    user: Mapping[str, Any],
    *,
    workspace: str,
    method: str = "totp",
    by: Mapping[str, Any] | None = None,
) -> Event:
    """``auth.mfa_disabled`` for ``user`` (by the user, or ``by`` an admin)."""
    return _mfa(log, "disabled", user, workspace, method, by)


def role_changed(
    log: ActivityLog,
    user: Mapping[str, Any],
    *,
    workspace: str,
    before: str,
    after: str,
    by: Mapping[str, Any],
) -> Event | None:
    """``user.role_changed``: ``by`` changed ``user``'s role; changes
    ``{"role": {"before", "after"}}``. The same role before and after records nothing
    (returns None)."""
    member, actor = _person("user", user), _person("by", by)
    old, new = _name("before", before), _name("after", after)
    if old == new:
        return None
    return log.record(
        action="user.role_changed",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject=_subject(member),
        changes={"role": {"before": old, "after": new}},
        description=f"{actor['name']} changed {member['name']}'s role from {old} to {new}",
    )


def impersonation_started(
    log: ActivityLog,
    *,
    admin: Mapping[str, Any],
    user: Mapping[str, Any],
    workspace: str,
    reason: str | None = None,
    layer: Layer = "platform",
) -> Event:
    """``impersonation.started``: ``admin`` (actor) begins acting as ``user`` (subject) in
    ``workspace``; details ``{"reason"}``. ``layer="workspace"`` when the admin is the
    workspace's own, not platform staff."""
    details = {"reason": _name("reason", reason)} if reason is not None else None
    return _impersonation(log, "started", admin, user, workspace, layer, details)


def impersonation_ended(
    log: ActivityLog,
    *,
    admin: Mapping[str, Any],
    user: Mapping[str, Any],
    workspace: str,
    duration: timedelta | None = None,
    layer: Layer = "platform",
) -> Event:
    """``impersonation.ended``: ``admin`` stops acting as ``user``; details
    ``{"duration_minutes"}`` (to a tenth of a minute) when ``duration`` is given."""
    details = None
    if duration is not None:
        if not isinstance(duration, timedelta) or duration < timedelta(0):
            raise ValidationError([FieldError("duration", "must be a non-negative timedelta")])
        minutes = round(duration.total_seconds() / 60, 1)
        details = {"duration_minutes": int(minutes) if minutes.is_integer() else minutes}
    return _impersonation(log, "ended", admin, user, workspace, layer, details)


def ownership_transferred(
    log: ActivityLog,
    *,
    workspace: str,
    from_user: Mapping[str, Any],
    to_user: Mapping[str, Any],
    by: Mapping[str, Any],
    workspace_name: str | None = None,
) -> Event:
    """``workspace.ownership_transferred``: ``by`` made ``to_user`` the owner instead of
    ``from_user``. Subject: the workspace; related: the new owner; changes
    ``{"owner_id": {"before", "after"}}``."""
    name = _name("workspace", workspace)
    old, new = _person("from_user", from_user), _person("to_user", to_user)
    actor = _person("by", by)
    if old["id"] == new["id"]:
        raise ValidationError([FieldError("to_user", "is already the owner (from_user)")])
    shown = _name("workspace_name", workspace_name) if workspace_name is not None else name
    via = "" if actor["id"] == old["id"] else f" from {old['name']}"
    return log.record(
        action="workspace.ownership_transferred",
        workspace=name,
        actor=actor,
        subject={"type": "workspace", "id": name, "name": shown},
        related=[_subject(new)],
        changes={"owner_id": {"before": old["id"], "after": new["id"]}},
        description=f"{actor['name']} transferred ownership of {shown}{via} to {new['name']}",
    )


def feature_enabled(
    log: ActivityLog, *, workspace: str, feature: str, by: Mapping[str, Any] | None
) -> Event:
    """``feature.enabled``: ``by`` turned ``feature`` on for the workspace (subject
    ``{"type": "feature", "id": feature}``); ``by=None`` records System (a rollout)."""
    return _feature(log, "enabled", workspace, feature, by)


def feature_disabled(
    log: ActivityLog, *, workspace: str, feature: str, by: Mapping[str, Any] | None
) -> Event:
    """``feature.disabled``: like :func:`feature_enabled`, turned off."""
    return _feature(log, "disabled", workspace, feature, by)


def workspace_switched(
    log: ActivityLog,
    user: Mapping[str, Any],
    *,
    from_workspace: str | None,
    to_workspace: str,
) -> Event | None:
    """``workspace.switched``, recorded in the workspace switched *to* (its admins see who
    came in); details ``{"from", "to"}``. Switching to the workspace one is already in
    records nothing and returns None."""
    actor = _person("user", user)
    target = _name("to_workspace", to_workspace)
    origin = _name("from_workspace", from_workspace) if from_workspace is not None else None
    if origin == target:
        return None
    details = {"from": origin, "to": target} if origin is not None else {"to": target}
    return log.record(
        action="workspace.switched",
        workspace=target,
        actor=actor,
        subject={"type": "workspace", "id": target, "name": target},
        details=details,
        description=f"{actor['name']} switched to workspace {target}",
    )


# -- shapes --------------------------------------------------------------------------------
def _mfa(
    log: ActivityLog,
    verb: str,
    user: Mapping[str, Any],
    workspace: str,
    method: str,
    by: Mapping[str, Any] | None,
) -> Event:
    subject_person = _person("user", user)
    actor = _person("by", by) if by is not None else subject_person
    whose = "" if actor["id"] == subject_person["id"] else f" for {subject_person['name']}"
    return log.record(
        action=f"auth.mfa_{verb}",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject=_subject(subject_person),
        details={"method": _name("method", method)},
        description=f"{actor['name']} {verb} two-factor authentication{whose}",
    )


def _impersonation(
    log: ActivityLog,
    verb: str,
    admin: Mapping[str, Any],
    user: Mapping[str, Any],
    workspace: str,
    layer: str,
    details: Mapping[str, Any] | None,
) -> Event:
    actor, target = _person("admin", admin), _person("user", user)
    if layer not in ("workspace", "platform"):
        raise ValidationError([FieldError("layer", "must be 'workspace' or 'platform'")])
    if actor["id"] == target["id"]:
        raise ValidationError([FieldError("user", "is the admin: nobody impersonates oneself")])
    wording = "started impersonating" if verb == "started" else "stopped impersonating"
    return log.record(
        action=f"impersonation.{verb}",
        workspace=_name("workspace", workspace),
        layer=layer,
        actor=actor,
        impersonator=None,  # an ongoing impersonation's context must not leak in
        subject=_subject(target),
        details=dict(details) if details else None,
        description=f"{actor['name']} {wording} {target['name']}",
    )


def _feature(
    log: ActivityLog, verb: str, workspace: str, feature: str, by: Mapping[str, Any] | None
) -> Event:
    actor = _person("by", by) if by is not None else dict(SYSTEM_ACTOR)
    name = _name("feature", feature)
    return log.record(
        action=f"feature.{verb}",
        workspace=_name("workspace", workspace),
        actor=actor,
        subject={"type": "feature", "id": name, "name": name},
        description=f"{actor['name']} {verb} feature {name}",
    )


def _person(argument: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A party snapshot ``{id, name, email, role, type}`` from a user mapping."""
    if not isinstance(value, Mapping):
        raise ValidationError([FieldError(argument, 'must be a mapping like {"id", "name"}')])
    errors = [
        FieldError(f"{argument}.{key}", "is not a known key (id, name, email, role, type)")
        for key in value
        if key not in _PERSON_KEYS
    ]
    for key in ("id", "name"):
        item = value.get(key)
        if not isinstance(item, str) or not item.strip():
            errors.append(FieldError(f"{argument}.{key}", "is required (a non-empty string)"))
    for key in ("email", "role"):
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            errors.append(FieldError(f"{argument}.{key}", "must be a string"))
    if (value.get("type") or "user") not in ("user", "system", "api"):
        errors.append(FieldError(f"{argument}.type", "must be user, system or api"))
    if errors:
        raise ValidationError(errors)
    person = {k: value[k] for k in ("id", "name", "email", "role") if value.get(k) is not None}
    person["type"] = value.get("type") or "user"
    return person


def _subject(person: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "user", "id": person["id"], "name": person["name"]}


def _name(argument: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError([FieldError(argument, "must be a non-empty string")])
    if len(value) > NAME_MAX:
        raise ValidationError([FieldError(argument, f"is longer than {NAME_MAX} characters")])
    return value


__all__ = [
    "feature_disabled",
    "feature_enabled",
    "impersonation_ended",
    "impersonation_started",
    "mfa_disabled",
    "mfa_enabled",
    "ownership_transferred",
    "password_changed",
    "password_reset",
    "role_changed",
    "sign_in_failed",
    "signed_in",
    "signed_out",
    "workspace_switched",
]
