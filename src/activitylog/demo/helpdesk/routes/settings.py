"""Workspace settings: name, time zone, business hours, auto-close."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from activitylog.demo.helpdesk.deps import Admin, App, Db, Signed, commit, owned
from activitylog.demo.helpdesk.models import WorkspaceSettings

router = APIRouter(prefix="/settings", tags=["settings"])

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _known_zone(name: str) -> str:
    if name not in available_timezones():
        raise ValueError(f"{name!r} is not an IANA time zone")
    return name


class BusinessHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[Day] = Field(min_length=1, max_length=7)
    start: ClockTime
    end: ClockTime


class SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: Annotated[str, AfterValidator(_known_zone)] | None = None
    business_hours: BusinessHours | None = None
    auto_close_days: int | None = Field(default=None, ge=1, le=90)


def settings_json(settings: WorkspaceSettings) -> dict[str, Any]:
    return {
        "workspace": settings.workspace_id,
        "name": settings.name,
        "timezone": settings.timezone,
        "business_hours": settings.business_hours,
        "auto_close_days": settings.auto_close_days,
    }


@router.get("")
def get_settings(db: Db, principal: Signed) -> dict[str, Any]:
    return settings_json(owned(db, WorkspaceSettings, principal.workspace, principal))


@router.patch("")
def update_settings(body: SettingsPatch, db: Db, app: App, principal: Admin) -> dict[str, Any]:
    settings = owned(db, WorkspaceSettings, principal.workspace, principal)
    for field, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(settings, field, value)
    if db.is_modified(settings):
        settings.updated_at = app.clock()
    commit(db)
    return settings_json(settings)
