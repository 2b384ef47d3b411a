"""Workspace settings: defaults, validation naming each field, changes with before/after."""

from __future__ import annotations

from typing import Any

import pytest

from activitylog.accounts import Accounts, WorkspaceSettings
from activitylog.accounts.workspaces import (
    SETTINGS_UPDATED,
    link_base_problem,
    parse_changes,
    settings_event,
)
from activitylog.errors import ValidationError

from .conftest import NOW


def test_a_workspace_never_configured_has_the_defaults(accounts: Accounts) -> None:
    assert accounts.workspace_settings("acme") == WorkspaceSettings("acme", "admins", None)
    assert accounts.workspace_settings("acme").to_dict() == {
        "workspace": "acme",
        "log_access": "admins",
        "link_base": None,
        "retention_days": None,
        "legal_hold": None,
        "require_archive": False,
        "export_schedule": "off",
        "export_format": "csv",
    }


def test_a_change_returns_before_and_after_and_is_kept(accounts: Accounts) -> None:
    after, changed = accounts.change_workspace_settings(
        "acme", {"log_access": "own"}, by="u_ava", now=NOW
    )
    assert after == WorkspaceSettings("acme", "own", None)
    assert changed == {"log_access": {"before": "admins", "after": "own"}}
    assert accounts.workspace_settings("acme").log_access == "own"
    assert accounts.workspace_settings("globex").log_access == "admins"  # per workspace

    after, changed = accounts.change_workspace_settings(
        "acme", {"log_access": "own", "link_base": "https://app.acme.io/"}, by="u_ava"
    )
    assert changed == {"link_base": {"before": None, "after": "https://app.acme.io/"}}
    assert after == WorkspaceSettings("acme", "own", "https://app.acme.io/")

    _, changed = accounts.change_workspace_settings("acme", {"link_base": None}, by="u_ava")
    assert changed == {"link_base": {"before": "https://app.acme.io/", "after": None}}
    assert accounts.workspace_settings("acme") == WorkspaceSettings("acme", "own", None)


def test_setting_a_value_it_already_has_changes_nothing(accounts: Accounts) -> None:
    _, changed = accounts.change_workspace_settings("acme", {"log_access": "admins"}, by="u")
    assert changed == {}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"log_access": "everyone"}, ["log_access"]),
        ({"log_access": None}, ["log_access"]),
        ({"link_base": "ftp://files.acme.io"}, ["link_base"]),
        ({"retention": 30}, ["retention"]),
        ({"export_schedule": "hourly"}, ["export_schedule"]),
        ({"export_schedule": "Daily"}, ["export_schedule"]),
        ({"export_format": "xlsx", "export_schedule": "daily"}, ["export_format"]),
        ({"log_access": "all", "link_base": 5}, ["log_access", "link_base"]),
        ({}, ["body"]),
        ([], ["body"]),
    ],
)
def test_bad_changes_name_every_field(accounts: Accounts, payload: Any, fields: list[str]) -> None:
    with pytest.raises(ValidationError) as info:
        parse_changes(payload)
    assert [e.field for e in info.value.errors] == fields
    if isinstance(payload, dict) and payload:
        with pytest.raises(ValidationError):
            accounts.change_workspace_settings("acme", payload, by="u")
    assert accounts.workspace_settings("acme") == WorkspaceSettings("acme")


@pytest.mark.parametrize(
    "url",
    [
        "https://app.acme.io",
        "https://app.acme.io/records/",
        "http://localhost:8000/app",
        None,
    ],
)
def test_link_base_accepts_absolute_http_urls(url: str | None) -> None:
    assert link_base_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "app.acme.io",
        "/records",
        "javascript:alert(1)",
        "https://user:secret@app.acme.io/",
        "https://app.acme.io/#top",
        "https://app.acme.io/a b",
        "https://app.acme.io:99999/",
        "https://" + "a" * 600 + ".io/",
    ],
)
def test_link_base_refuses_anything_else(url: str) -> None:
    assert link_base_problem(url) is not None


def test_where_a_setting_was_changed_and_when(accounts: Accounts) -> None:
    assert accounts.setting_everywhere("export_schedule") == {}
    accounts.change_workspace_settings("acme", {"export_schedule": "daily"}, by="u", now=NOW)
    later = NOW.replace(hour=15)
    accounts.change_workspace_settings("globex", {"export_schedule": "weekly"}, by="u", now=later)
    accounts.change_workspace_settings("initech", {"export_format": "pdf"}, by="u", now=NOW)
    assert accounts.setting_everywhere("export_schedule") == {
        "acme": ("daily", NOW),
        "globex": ("weekly", later),
    }
    accounts.change_workspace_settings("acme", {"export_schedule": "off"}, by="u", now=later)
    assert accounts.setting_everywhere("export_schedule")["acme"] == ("off", later)


def test_a_blank_link_base_removes_it() -> None:
    assert parse_changes({"link_base": "  "}) == {"link_base": None}


def test_the_workspace_name_is_checked(accounts: Accounts) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.workspace_settings("")
    assert [e.field for e in info.value.errors] == ["workspace"]


def test_the_recorded_entry_holds_before_and_after() -> None:
    event = settings_event("acme", {"log_access": {"before": "admins", "after": "own"}})
    assert event["action"] == SETTINGS_UPDATED
    assert event["workspace"] == "acme"
    assert event["subject"] == {"type": "workspace", "id": "acme", "name": "acme"}
    assert event["changes"] == {"log_access": {"before": "admins", "after": "own"}}
