"""The auth helpers: each special action's exact stored shape, and input validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog, ValidationError
from activitylog.capture import auth
from activitylog.capture.context import request_context
from activitylog.events import SYSTEM_ACTOR
from activitylog.settings import Settings

AVA = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.io", "role": "owner"}
BEN = {"id": "u_ben", "name": "Ben Okafor", "email": "ben@acme.io", "role": "member"}
SAM = {"id": "u_sam", "name": "Sam Rivera", "email": "sam@platform.io", "role": "platform_admin"}
AVA_ACTOR = {**AVA, "type": "user"}
BEN_ACTOR = {**BEN, "type": "user"}
SAM_ACTOR = {**SAM, "type": "user"}
AVA_REF = {"type": "user", "id": "u_ava", "name": "Ava Thompson"}
BEN_REF = {"type": "user", "id": "u_ben", "name": "Ben Okafor"}

SHAPE = (
    "workspace",
    "layer",
    "action",
    "actor",
    "impersonator",
    "subject",
    "related",
    "result",
    "changes",
    "details",
    "description",
    "category",
    "kind",
    "label",
)


@pytest.fixture
def log(tmp_path: Path, settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as instance:
        yield instance


def shape(event: dict[str, Any] | None) -> dict[str, Any]:
    assert event is not None
    return {k: event[k] for k in SHAPE if event[k] is not None}


def test_public_api_is_pinned() -> None:
    assert auth.__all__ == [
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


@pytest.mark.parametrize("helper", auth.__all__)
def test_every_helper_is_in_the_capture_docs(helper: str) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "CAPTURE.md").read_text()
    assert f"`{helper}(" in docs or f"`{helper}` / " in docs or f"/ `{helper}(" in docs


def test_helpers_return_what_was_stored(log: ActivityLog) -> None:
    event = auth.signed_in(log, AVA, workspace="acme")
    assert log.get(event["id"]) == event


# -- sign-in and out -----------------------------------------------------------------------
def test_signed_in(log: ActivityLog) -> None:
    event = auth.signed_in(log, AVA, workspace="acme", method="saml_sso", session_id="s_new")
    assert shape(event) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "auth.signed_in",
        "actor": AVA_ACTOR,
        "subject": AVA_REF,
        "result": "success",
        "details": {"method": "saml_sso"},
        "description": "Ava Thompson signed in",
        "category": "auth",
        "kind": "auth",
        "label": "Signed in",
    }
    assert event["session_id"] == "s_new"


def test_helpers_take_ip_user_agent_and_ids_from_the_request(log: ActivityLog) -> None:
    with request_context(
        log,
        actor=None,
        workspace=None,
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
        request_id="req_77",
        session_id="s_old",
    ):
        signed_in = auth.signed_in(log, AVA, workspace="acme")
        failed = auth.sign_in_failed(log, email="ava@acme.io", workspace="acme")
    for event in (signed_in, failed):
        assert event["ip"] == "203.0.113.9"
        assert event["user_agent"].startswith("Mozilla/5.0")
        assert event["request_id"] == "req_77"
        assert event["session_id"] == "s_old"


def test_signed_out(log: ActivityLog) -> None:
    assert shape(auth.signed_out(log, BEN, workspace="acme")) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "auth.signed_out",
        "actor": BEN_ACTOR,
        "subject": BEN_REF,
        "result": "success",
        "description": "Ben Okafor signed out",
        "category": "auth",
        "kind": "auth",
        "label": "Signed out",
    }


def test_sign_in_failed_is_done_by_system_with_the_attempted_address(log: ActivityLog) -> None:
    event = auth.sign_in_failed(log, email="nobody@acme.io", workspace="acme")
    assert shape(event) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "auth.sign_in_failed",
        "actor": SYSTEM_ACTOR,
        "subject": {"type": "user", "name": "nobody@acme.io"},
        "result": "failure",
        "details": {"email": "nobody@acme.io", "reason": "invalid_credentials"},
        "description": "Failed sign-in for nobody@acme.io",
        "category": "auth",
        "kind": "auth",
        "label": "Failed sign-in",
    }


def test_sign_in_failed_for_a_known_user_names_them_and_never_the_password(
    log: ActivityLog,
) -> None:
    event = auth.sign_in_failed(
        log, email="ava@acme.io", workspace="acme", reason="mfa_failed", user=AVA
    )
    assert event["subject"] == AVA_REF
    assert event["details"] == {"email": "ava@acme.io", "reason": "mfa_failed"}
    with pytest.raises(TypeError):
        auth.sign_in_failed(log, email="a@b.c", workspace="acme", password="hunter2")  # type: ignore[call-arg]


def test_sign_in_failed_keeps_hostile_addresses_storable(log: ActivityLog) -> None:
    event = auth.sign_in_failed(log, email="x\x00y\r\n" + "z" * 5000, workspace="acme")
    assert event["details"]["email"] == "xy" + "z" * 198
    assert event["subject"]["name"] == event["details"]["email"]
    blank = auth.sign_in_failed(log, email="  ", workspace="acme")
    assert blank["subject"] == {"type": "user"}
    assert blank["description"] == "Failed sign-in"


def test_sign_in_failed_ignores_an_actor_and_impersonator_in_the_context(
    log: ActivityLog,
) -> None:
    with log.context(actor=AVA, impersonator=SAM):
        event = auth.sign_in_failed(log, email="ava@acme.io", workspace="acme")
    assert event["actor"] == SYSTEM_ACTOR
    assert event["impersonator"] is None


# -- passwords and MFA ---------------------------------------------------------------------
def test_password_reset(log: ActivityLog) -> None:
    assert shape(auth.password_reset(log, AVA, workspace="acme")) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "auth.password_reset",
        "actor": AVA_ACTOR,
        "subject": AVA_REF,
        "result": "success",
        "details": {"method": "email_link"},
        "description": "Ava Thompson reset their password",
        "category": "auth",
        "kind": "auth",
        "label": "Reset password",
    }


def test_password_changed_by_oneself(log: ActivityLog) -> None:
    assert shape(auth.password_changed(log, BEN, workspace="acme")) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "auth.password_changed",
        "actor": BEN_ACTOR,
        "subject": BEN_REF,
        "result": "success",
        "description": "Ben Okafor changed their password",
        "category": "auth",
        "kind": "auth",
        "label": "Changed password",
    }


def test_password_changed_by_someone_else(log: ActivityLog) -> None:
    event = auth.password_changed(log, BEN, workspace="acme", by=AVA)
    assert (event["actor"], event["subject"]) == (AVA_ACTOR, BEN_REF)
    assert event["description"] == "Ava Thompson changed the password of Ben Okafor"
    assert event["changes"] is None
    assert event["details"] is None


@pytest.mark.parametrize(
    ("helper", "verb"), [(auth.mfa_enabled, "enabled"), (auth.mfa_disabled, "disabled")]
)
def test_mfa(log: ActivityLog, helper: Any, verb: str) -> None:
    label = f"{verb.capitalize()} two-factor authentication"
    assert shape(helper(log, AVA, workspace="acme", method="webauthn")) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": f"auth.mfa_{verb}",
        "actor": AVA_ACTOR,
        "subject": AVA_REF,
        "result": "success",
        "details": {"method": "webauthn"},
        "description": f"Ava Thompson {verb} two-factor authentication",
        "category": "auth",
        "kind": "auth",
        "label": label,
    }
    by_admin = helper(log, BEN, workspace="acme", by=AVA)
    assert (by_admin["actor"], by_admin["subject"]) == (AVA_ACTOR, BEN_REF)
    assert by_admin["details"] == {"method": "totp"}
    assert by_admin["description"].endswith("authentication for Ben Okafor")


# -- roles and ownership -------------------------------------------------------------------
def test_role_changed(log: ActivityLog) -> None:
    event = auth.role_changed(log, BEN, workspace="acme", before="member", after="admin", by=AVA)
    assert shape(event) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "user.role_changed",
        "actor": AVA_ACTOR,
        "subject": BEN_REF,
        "result": "success",
        "changes": {"role": {"before": "member", "after": "admin"}},
        "description": "Ava Thompson changed Ben Okafor's role from member to admin",
        "category": "users",
        "kind": "write",
        "label": "Changed user role",
    }


def test_the_same_role_records_nothing(log: ActivityLog) -> None:
    assert (
        auth.role_changed(log, BEN, workspace="acme", before="admin", after="admin", by=AVA) is None
    )
    assert log.count(workspace="acme") == 0


def test_ownership_transferred(log: ActivityLog) -> None:
    event = auth.ownership_transferred(
        log, workspace="acme", from_user=AVA, to_user=BEN, by=AVA, workspace_name="Acme Inc."
    )
    assert shape(event) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": "workspace.ownership_transferred",
        "actor": AVA_ACTOR,
        "subject": {"type": "workspace", "id": "acme", "name": "Acme Inc."},
        "related": [BEN_REF],
        "result": "success",
        "changes": {"owner_id": {"before": "u_ava", "after": "u_ben"}},
        "description": "Ava Thompson transferred ownership of Acme Inc. to Ben Okafor",
        "category": "workspace",
        "kind": "write",
        "label": "Transferred workspace ownership",
    }


def test_ownership_transferred_by_support(log: ActivityLog) -> None:
    event = auth.ownership_transferred(log, workspace="acme", from_user=AVA, to_user=BEN, by=SAM)
    assert event["actor"] == SAM_ACTOR
    assert event["subject"] == {"type": "workspace", "id": "acme", "name": "acme"}
    assert event["description"] == (
        "Sam Rivera transferred ownership of acme from Ava Thompson to Ben Okafor"
    )
    with pytest.raises(ValidationError, match="to_user"):
        auth.ownership_transferred(log, workspace="acme", from_user=AVA, to_user=AVA, by=AVA)


# -- impersonation -------------------------------------------------------------------------
def test_impersonation_started_matches_the_products_shape(log: ActivityLog) -> None:
    event = auth.impersonation_started(
        log, admin=SAM, user=AVA, workspace="acme", reason="Customer reported missing data"
    )
    assert shape(event) == {
        "workspace": "acme",
        "layer": "platform",
        "action": "impersonation.started",
        "actor": SAM_ACTOR,
        "subject": AVA_REF,
        "result": "success",
        "details": {"reason": "Customer reported missing data"},
        "description": "Sam Rivera started impersonating Ava Thompson",
        "category": "impersonation",
        "kind": "auth",
        "label": "Started impersonation",
    }


def test_impersonation_ended_inside_the_impersonated_session(log: ActivityLog) -> None:
    # While impersonating, the context says actor = the user, impersonator = the admin;
    # the end of the session is still done by the admin, with no impersonator.
    with log.context(actor=AVA, impersonator=SAM, workspace="acme"):
        during = log.record(action="settings.updated")
        event = auth.impersonation_ended(
            log, admin=SAM, user=AVA, workspace="acme", duration=timedelta(minutes=12, seconds=3)
        )
    assert (during["actor"]["id"], during["impersonator"]["id"]) == ("u_ava", "u_sam")
    assert shape(event) == {
        "workspace": "acme",
        "layer": "platform",
        "action": "impersonation.ended",
        "actor": SAM_ACTOR,
        "subject": AVA_REF,
        "result": "success",
        "details": {"duration_minutes": 12.1},
        "description": "Sam Rivera stopped impersonating Ava Thompson",
        "category": "impersonation",
        "kind": "auth",
        "label": "Ended impersonation",
    }


def test_impersonation_by_a_workspace_admin_and_whole_minutes(log: ActivityLog) -> None:
    started = auth.impersonation_started(
        log, admin=AVA, user=BEN, workspace="acme", layer="workspace"
    )
    assert started["layer"] == "workspace"
    assert started["details"] is None
    ended = auth.impersonation_ended(
        log, admin=AVA, user=BEN, workspace="acme", duration=timedelta(minutes=3)
    )
    assert ended["details"] == {"duration_minutes": 3}
    assert isinstance(ended["details"]["duration_minutes"], int)


def test_impersonation_arguments_are_checked(log: ActivityLog) -> None:
    with pytest.raises(ValidationError, match="user"):
        auth.impersonation_started(log, admin=SAM, user=SAM, workspace="acme")
    with pytest.raises(ValidationError, match="layer"):
        auth.impersonation_started(log, admin=SAM, user=AVA, workspace="acme", layer="galaxy")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="duration"):
        auth.impersonation_ended(
            log, admin=SAM, user=AVA, workspace="acme", duration=timedelta(seconds=-1)
        )
    assert log.count(workspace="acme") == 0


# -- features and workspaces ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("helper", "verb"), [(auth.feature_enabled, "enabled"), (auth.feature_disabled, "disabled")]
)
def test_features(log: ActivityLog, helper: Any, verb: str) -> None:
    assert shape(helper(log, workspace="acme", feature="ai_replies", by=AVA)) == {
        "workspace": "acme",
        "layer": "workspace",
        "action": f"feature.{verb}",
        "actor": AVA_ACTOR,
        "subject": {"type": "feature", "id": "ai_replies", "name": "ai_replies"},
        "result": "success",
        "description": f"Ava Thompson {verb} feature ai_replies",
        "category": "workspace",
        "kind": "write",
        "label": f"{verb.capitalize()} feature",
    }
    rollout = helper(log, workspace="acme", feature="ai_replies", by=None)
    assert rollout["actor"] == SYSTEM_ACTOR


def test_workspace_switched(log: ActivityLog) -> None:
    event = auth.workspace_switched(log, AVA, from_workspace="acme", to_workspace="globex")
    assert shape(event) == {
        "workspace": "globex",
        "layer": "workspace",
        "action": "workspace.switched",
        "actor": AVA_ACTOR,
        "subject": {"type": "workspace", "id": "globex", "name": "globex"},
        "result": "success",
        "details": {"from": "acme", "to": "globex"},
        "description": "Ava Thompson switched to workspace globex",
        "category": "workspace",
        "kind": "auth",
        "label": "Switched workspace",
    }
    first = auth.workspace_switched(log, AVA, from_workspace=None, to_workspace="acme")
    assert first is not None
    assert first["details"] == {"to": "acme"}


def test_switching_to_the_workspace_one_is_in_records_nothing(log: ActivityLog) -> None:
    assert auth.workspace_switched(log, AVA, from_workspace="acme", to_workspace="acme") is None
    assert log.count() == 0


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "field"),
    [
        (None, "user"),
        ("u_ava", "user"),
        ({"name": "Ava"}, "user.id"),
        ({"id": "u_1"}, "user.name"),
        ({"id": "u_1", "name": "  "}, "user.name"),
        ({"id": 7, "name": "Ava"}, "user.id"),
        ({"id": "u_1", "name": "Ava", "avatar": "x.png"}, "user.avatar"),
        ({"id": "u_1", "name": "Ava", "email": 3}, "user.email"),
        ({"id": "u_1", "name": "Ava", "type": "robot"}, "user.type"),
    ],
)
def test_a_bad_user_is_named(log: ActivityLog, user: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        auth.signed_in(log, user, workspace="acme")
    assert field in {e.field for e in caught.value.errors}


NOT_A_STRING: Any = None
NOT_A_MAPPING: Any = ["u_sam"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda log: auth.signed_in(log, AVA, workspace=""), "workspace"),
        (lambda log: auth.signed_in(log, AVA, workspace="acme", method=""), "method"),
        (lambda log: auth.signed_out(log, AVA, workspace="w" * 201), "workspace"),
        (lambda log: auth.sign_in_failed(log, email=NOT_A_STRING, workspace="acme"), "email"),
        (lambda log: auth.sign_in_failed(log, email="a", workspace="acme", reason=""), "reason"),
        (lambda log: auth.password_changed(log, AVA, workspace="acme", by={}), "by.id"),
        (
            lambda log: auth.role_changed(log, BEN, workspace="acme", before="", after="a", by=AVA),
            "before",
        ),
        (
            lambda log: auth.ownership_transferred(
                log, workspace="acme", from_user=AVA, to_user=NOT_A_MAPPING, by=AVA
            ),
            "to_user",
        ),
        (lambda log: auth.feature_enabled(log, workspace="acme", feature="", by=AVA), "feature"),
        (
            lambda log: auth.workspace_switched(log, AVA, from_workspace="", to_workspace="b"),
            "from_workspace",
        ),
        (
            lambda log: auth.impersonation_started(
                log, admin=NOT_A_MAPPING, user=AVA, workspace="acme"
            ),
            "admin",
        ),
    ],
)
def test_bad_arguments_are_named(log: ActivityLog, call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call(log)
    assert field in {e.field for e in caught.value.errors}
    assert log.count() == 0


def test_optional_person_keys_are_kept_and_none_dropped(log: ActivityLog) -> None:
    user = {"id": "k_1", "name": "Billing sync", "email": None, "type": "api"}
    event = auth.signed_in(log, user, workspace="acme", method="api_key")
    assert event["actor"] == {"id": "k_1", "name": "Billing sync", "type": "api"}
