"""Bulk deletion of "all N matching": every entry a view's filters select, for the page's
"Select all N matching" (``POST /api/v1/events/delete`` with ``filters`` instead of ``ids``).

The filters are the page's query parameters (``{"category": ["auth"], "range":
["last_7_days"]}``), read by the same parser as the page, and the entries are found through
the caller's :class:`~activitylog.selection.Selection`, so the access rules decide what
matches. ``count`` is the number the confirmation named and ``as_of`` (optional) the time
the page counted them: entries received later (the page's own visit, an export, anyone's
new activity) are left out, and when the filters match a different number of the rest
(some were deleted meanwhile), nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from activitylog import ActivityLog
from activitylog.errors import FieldError, ValidationError
from activitylog.events import parse_time
from activitylog.web.params import view_params
from activitylog.web.principal import Principal

#: At most this many entries go in one deletion by filters.
MAX_MATCHING = 10_000
#: Parameters of a view that do not select entries (paging, order, grouping).
_NOT_FILTERS = frozenset({"page", "per_page", "sort", "group"})


def matching_deletion(
    log: ActivityLog, principal: Principal, payload: Mapping[str, Any]
) -> tuple[list[str], str]:
    """The ids ``payload["filters"]`` select for ``principal`` and the deletion's reason;
    :class:`ValidationError` naming the field when the request or the count is wrong."""
    filters, count, as_of, reason = _parse(payload)
    selection = view_params(filters).selection(principal)
    ids = [
        str(event["id"])
        for event in log.export(selection, order="-time")
        if as_of is None or parse_time(str(event["received_at"])) <= as_of
    ]
    if len(ids) != count:
        raise ValidationError(
            [
                FieldError(
                    "count",
                    f"{len(ids):,} entries match these filters now, not {count:,}: "
                    "nothing was deleted; confirm again",
                )
            ]
        )
    return ids, reason


def _parse(
    payload: Mapping[str, Any],
) -> tuple[dict[str, list[str]], int, datetime | None, str]:
    errors: list[FieldError] = []
    raw = payload.get("filters")
    filters: dict[str, list[str]] = {}
    if not isinstance(raw, Mapping):
        errors.append(FieldError("filters", "must be an object of query parameters"))
    else:
        for name, value in raw.items():
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                errors.append(
                    FieldError(f"filters.{name}", "must be a string or a list of strings")
                )
            elif name in ("id", "ids"):
                errors.append(FieldError(f"filters.{name}", "chosen ids go in 'ids'"))
            elif name not in _NOT_FILTERS:
                filters[str(name)] = values
    if "ids" in payload:
        errors.append(FieldError("ids", "give either 'ids' or 'filters', not both"))
    count = payload.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        errors.append(FieldError("count", "must be the number of entries to delete (1 or more)"))
    elif count > MAX_MATCHING:
        errors.append(
            FieldError("count", f"at most {MAX_MATCHING:,} entries at once: narrow the filters")
        )
    as_of = _as_of(payload.get("as_of"), errors)
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors.append(FieldError("reason", "is required"))
    if errors or not isinstance(count, int) or not isinstance(reason, str):
        raise ValidationError(errors)
    return filters, count, as_of, reason.strip()


def _as_of(value: object, errors: list[FieldError]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            pass
    errors.append(FieldError("as_of", "must be an ISO 8601 date-time"))
    return None
