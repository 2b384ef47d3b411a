"""Custom rules' filters: the Activity Log page's filters (categories, events, users,
roles, results, search, countries), checked as the page checks them, and matched in
memory against each entry as the store would match it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from activitylog.errors import FieldError, ValidationError
from activitylog.matching import EntryMatcher
from activitylog.selection import Selection

LIST_FILTERS = ("categories", "events", "users", "roles", "results", "countries")
FILTERS = (*LIST_FILTERS, "search")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


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
    bad = [c for c in result.get("countries", ()) if not _COUNTRY.match(c)]
    if bad:
        errors.append(
            FieldError("filters.countries", f"must be ISO 3166-1 alpha-2 codes, not {bad!r}")
        )
    elif "countries" in result:
        result["countries"] = sorted({c.upper() for c in result["countries"]})
    if errors:
        raise ValidationError(errors)
    try:
        CustomMatcher(workspace, result)
    except ValidationError as exc:
        raise ValidationError(
            [FieldError(f"filters.{e.field}", e.reason) for e in exc.errors]
        ) from None
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
        )
        visibility, resolved = selection.resolve(default_range=None)
        self._matcher = EntryMatcher(visibility, resolved)
        self._countries = frozenset(filters.get("countries", ()))

    def matches(self, entry: Mapping[str, Any], body: bytes) -> bool:
        if self._countries and (entry.get("location") or {}).get("country") not in self._countries:
            return False
        return self._matcher.matches(body)
