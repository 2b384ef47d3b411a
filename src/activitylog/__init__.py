"""activitylog: a self-hosted, tamper-evident Activity Log for SaaS products."""

from activitylog.access import Viewer
from activitylog.catalog import ActionInfo, Catalog
from activitylog.client import ActivityLog
from activitylog.errors import (
    AccessDenied,
    ActivityLogError,
    BatchValidationError,
    ConfigurationError,
    Conflict,
    FieldError,
    IntegrityError,
    NotFound,
    StorageFull,
    ValidationError,
)
from activitylog.selection import Selection

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "ActionInfo",
    "ActivityLog",
    "ActivityLogError",
    "BatchValidationError",
    "Catalog",
    "ConfigurationError",
    "Conflict",
    "FieldError",
    "IntegrityError",
    "NotFound",
    "Selection",
    "StorageFull",
    "ValidationError",
    "Viewer",
    "__version__",
]
