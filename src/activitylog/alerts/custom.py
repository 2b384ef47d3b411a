"""Custom rules' filters: the Activity Log page's filters (categories, events, users,
roles, results, search, countries), checked as the page checks them (a :class:`Selection`),
and matched in memory against each entry's body as the store would match its row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from activitylog.errors import FieldError, ValidationError
from activitylog.matching import EntryMatcher
from activitylog.selection import Selection

LIST_FILTERS = ("categories", "events", "users", "roles", "results", "countries")
FILTERS = (*LIST_FILTERS, "search")


def checked_filters(workspace: str, filters: object) -> dict[str, Any]:
    """``filters`` checked and normalised (lists of strings, a search string, countries as
    upper-case ISO 3166-1 alpha-2); a :class:`ValidationError` names each bad one as
    ``filters.<name>``."""
    if not isinstance(filters, Mapping):
        raise ValidationError([FieldError("filters", "must be an object of filters")])
    errors: list[FieldError] = []
    result: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in FILTERS:
            errors.append(
                FieldError(f"filters.{name}", f"unknown filter; expected {', '.join(FILTERS)}")
            )
        elif name == "search":
            if not isinstance(value, str):
                errors.append(FieldError("filters.search", "must be a string"))
            elif value.strip():
                result["search"] = value.strip()
        elif not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            errors.append(FieldError(f"filters.{name}", "must be a list of strings"))
        elif value:
            result[name] = sorted(set(value))
    if "countries" in result:
        result["countries"] = sorted({c.strip().upper() for c in result["countries"]})
    try:
        CustomMatcher(workspace, result)
    except ValidationError as exc:
        errors += [FieldError(f"filters.{e.field}", e.reason) for e in exc.errors]
    if errors:
        raise ValidationError(errors)
    return result


class CustomMatcher:
    """Whether an entry of ``workspace`` matches a custom rule's (checked) filters."""

    def __init__(self, workspace: str, filters: Mapping[str, Any]) -> None:
        selection = Selection(
            workspace=workspace,
            categories=tuple(filters.get("categories", ())),
            events=tuple(filters.get("events", ())),
            users=tuple(filters.get("users", ())),
            roles=tuple(filters.get("roles", ())),
            results=tuple(filters.get("results", ())),
            search=filters.get("search"),
            countries=tuple(filters.get("countries", ())),
        )
        visibility, resolved = selection.resolve(default_range=None)
        self._matcher = EntryMatcher(visibility, resolved)

    def matches(self, body: bytes) -> bool:
        return self._matcher.matches(body)
