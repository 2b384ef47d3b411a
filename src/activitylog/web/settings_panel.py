"""The page's workspace settings panel (owners): what it shows of retention, a legal hold
and the scheduled export, and the settings its form asks to change.

The form words retention as a choice of three, ``retention`` = ``default`` (the platform's
``retention_days``), ``forever`` or ``days`` (with ``retention_days``, a number), which
becomes the ``retention_days`` setting (null, ``"forever"`` or the number).
"""

from __future__ import annotations

from dataclasses import dataclass

from activitylog.accounts.workspaces import WorkspaceSettings
from activitylog.errors import FieldError, ValidationError
from activitylog.schedules import EXPORT_FORMATS, SCHEDULES
from activitylog.settings import Settings
from activitylog.web.filter_form import Option

RETENTION_CHOICES = ("default", "forever", "days")
#: The days the panel offers when a workspace keeps entries forever or by the default.
SUGGESTED_DAYS = 90
SCHEDULE_LABELS = {"off": "Off", "daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}
PERIOD_WORDS = {"daily": "UTC day", "weekly": "ISO week", "monthly": "month"}


@dataclass(frozen=True)
class SettingsPanel:
    """What the panel shows beyond who may open the log."""

    #: ``default``, ``forever`` or ``days``: which retention choice is checked.
    retention: str
    #: The number in the days box (the workspace's, else a suggestion).
    retention_days: int
    #: The platform's retention as the default choice words it: "forever", "365 days".
    platform_retention: str
    legal_hold: str | None
    schedules: list[Option]
    formats: list[Option]
    #: What a period is under the current schedule ("UTC day"), None when off.
    period: str | None
    #: Whether the server has an archive location, where scheduled exports go.
    archive_set: bool

    @classmethod
    def of(cls, settings: WorkspaceSettings, platform: Settings) -> SettingsPanel:
        days = settings.retention_days
        retention = "default" if days is None else "forever" if days == "forever" else "days"
        default = platform.retention_days
        return cls(
            retention=retention,
            retention_days=days if isinstance(days, int) else SUGGESTED_DAYS,
            platform_retention="forever" if default is None else f"{default:,} days",
            legal_hold=settings.legal_hold,
            schedules=[
                Option(value, SCHEDULE_LABELS[value], value == settings.export_schedule)
                for value in SCHEDULES
            ],
            formats=[
                Option(value, value.upper(), value == settings.export_format)
                for value in EXPORT_FORMATS
            ],
            period=PERIOD_WORDS.get(settings.export_schedule),
            archive_set=platform.archive is not None,
        )


def retention_setting(choice: str, days: str) -> int | str | None:
    """The ``retention_days`` setting the form's retention choice and days box ask for."""
    if choice not in RETENTION_CHOICES:
        raise ValidationError(
            [FieldError("retention", f"must be one of {', '.join(RETENTION_CHOICES)}")]
        )
    if choice != "days":
        return None if choice == "default" else "forever"
    try:
        return int(days.strip())
    except ValueError:
        raise ValidationError(
            [FieldError("retention_days", "must be a whole number of days")]
        ) from None
