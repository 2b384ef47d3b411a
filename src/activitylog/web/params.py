"""The view a URL describes: filters, sort, page and chart grouping, shared by the page and
the JSON API so both accept the same query string.

Repeatable filters (``user``, ``category``, ``events``, ``result``, ``roles``,
``countries``) may be given several times or comma-separated; ``event`` is another name
for ``events``, ``country`` for ``countries``. ``range=custom``
with ``since`` / ``until`` picks dates. Every bad value raises
:class:`~activitylog.errors.ValidationError` naming the parameter.

API callers page by cursor with ``limit``, ``after`` and ``before`` (:func:`page_cursor`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import urlencode

from activitylog.errors import FieldError, ValidationError
from activitylog.query import DEFAULT_PER_PAGE, MAX_LIMIT, PAGE_SIZES, Sort, page_problem
from activitylog.selection import Selection
from activitylog.stats import GROUPS
from activitylog.timeranges import DEFAULT_PRESET, PRESETS, zone
from activitylog.web.principal import Principal

CUSTOM = "custom"
REPEATABLE = ("user", "category", "events", "result", "roles", "countries", "id")
#: Other names a parameter is accepted under (older links), and the name they stand for.
ALIASES = {"event": "events", "country": "countries"}
MAX_TEXT = 200
#: The longest cursor accepted (a sort value of 200 characters, encoded, fits).
MAX_CURSOR = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ViewParams:
    """Everything a shared link holds. Empty strings and tuples mean "not filtered"."""

    range: str = DEFAULT_PRESET
    since: str = ""
    until: str = ""
    tz: str = "UTC"
    scope: str = ""
    workspace: str = ""
    user: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    result: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    id: tuple[str, ...] = ()
    layer: str = ""
    subject_type: str = ""
    subject_id: str = ""
    ip: str = ""
    search: str = ""
    sort: str = "-time"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    group: str = "daily"

    def selection(self, principal: Principal, *, scope: str | None = None) -> Selection:
        """The core :class:`Selection` for ``principal`` (access rules apply on resolve)."""
        custom = self.range == CUSTOM
        return Selection(
            workspace=self.workspace or principal.viewer.workspace or None,
            viewer=principal.viewer,
            scope=scope or self.scope or principal.default_scope,
            range=None if custom else self.range,
            since=self.since or None if custom else None,
            until=self.until or None if custom else None,
            tz=self.tz,
            users=self.user,
            categories=self.category,
            events=self.events,
            results=self.result,
            roles=self.roles,
            layer=self.layer or None,
            subject_type=self.subject_type or None,
            subject_id=self.subject_id or None,
            ip=self.ip or None,
            countries=self.countries,
            search=self.search or None,
            ids=self.id,
        )

    def with_(self, **changes: Any) -> ViewParams:
        return replace(self, **changes)

    def query_string(self, **changes: Any) -> str:
        """The URL query for this view (defaults left out), with ``changes`` applied."""
        view = replace(self, **changes) if changes else self
        defaults = ViewParams()
        pairs: list[tuple[str, str]] = []
        for name, value in asdict(view).items():
            if value == getattr(defaults, name) and name != "range":
                continue
            if name == "range" and value == DEFAULT_PRESET:
                continue
            if isinstance(value, tuple):
                pairs.extend((name, v) for v in value)
            else:
                pairs.append((name, str(value)))
        return urlencode(pairs)

    @property
    def sort_spec(self) -> Sort:
        return Sort.parse(self.sort)


def view_params(query: Mapping[str, Sequence[str]]) -> ViewParams:
    """Parse a query string (``{name: [values]}``, as ``parse_qs`` or Starlette give it)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    known = {f.name for f in fields(ViewParams)}
    for given, raw in query.items():
        name = ALIASES.get(given, given)
        if name not in known:
            continue  # other parameters (token, format, ...) belong to the caller
        items = [raw] if isinstance(raw, str) else list(raw)
        if any(_CONTROL.search(item) for item in items):
            errors.append(FieldError(name, "must not contain control characters"))
            continue
        if name in REPEATABLE:
            parts = [p.strip() for item in items for p in item.split(",")]
            values[name] = tuple(dict.fromkeys((*values.get(name, ()), *(p for p in parts if p))))
            if any(len(p) > MAX_TEXT for p in values[name]):
                errors.append(FieldError(name, f"values must be at most {MAX_TEXT} characters"))
            continue
        text = items[-1].strip() if items else ""
        if len(text) > MAX_TEXT:
            errors.append(FieldError(name, f"must be at most {MAX_TEXT} characters"))
        elif name in ("page", "per_page"):
            if text:
                _integer(name, text, values, errors)
        elif text:
            values[name] = text
    view = ViewParams(**values)
    errors.extend(_check(view))
    if errors:
        raise ValidationError(errors)
    return view


@dataclass(frozen=True)
class PageCursor:
    """Cursor paging: ``limit`` entries (None: by page number) just ``after`` or just
    ``before`` the place a cursor names (both None: from the start)."""

    limit: int | None = None
    after: str | None = None
    before: str | None = None

    def link_params(self, cursor: str, rel: str, size: int) -> dict[str, str]:
        """The query parameters of the page ``rel`` ("next" or "prev") at ``cursor``."""
        return {"limit": str(self.limit or size), "after" if rel == "next" else "before": cursor}


def page_cursor(query: Mapping[str, Sequence[str]]) -> PageCursor:
    """``limit`` (1 to 1,000), ``after`` and ``before`` from a query string (the cursors
    are read against the sort by :class:`~activitylog.query.Cursor`)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in ("limit", "after", "before"):
        raw = query.get(name)
        items = [raw] if isinstance(raw, str) else list(raw or ())
        text = items[-1].strip() if items else ""
        if not text:
            continue
        if name == "limit":
            _integer(name, text, values, errors)
            if name in values and not 1 <= values[name] <= MAX_LIMIT:
                errors.append(FieldError(name, f"must be from 1 to {MAX_LIMIT:,}"))
        elif len(text) > MAX_CURSOR or _CONTROL.search(text):
            errors.append(FieldError(name, "is not a cursor this API gave"))
        else:
            values[name] = text
    if values.get("after") and values.get("before"):
        errors.append(FieldError("before", "give after or before, not both"))
    if errors:
        raise ValidationError(errors)
    return PageCursor(**values)


def _integer(name: str, text: str, values: dict[str, Any], errors: list[FieldError]) -> None:
    try:
        values[name] = int(text)
    except ValueError:
        errors.append(FieldError(name, f"must be a whole number, not {text!r}"))


def _check(view: ViewParams) -> list[FieldError]:
    errors: list[FieldError] = []
    if view.range not in (*PRESETS, CUSTOM):
        errors.append(FieldError("range", f"must be one of {', '.join((*PRESETS, CUSTOM))}"))
    if view.range != CUSTOM and (view.since or view.until):
        errors.append(FieldError("range", "use range=custom with since / until"))
    if view.scope not in ("", "mine", "workspace"):
        errors.append(FieldError("scope", "must be 'mine' or 'workspace'"))
    if view.per_page not in PAGE_SIZES:
        errors.append(FieldError("per_page", f"must be one of {', '.join(map(str, PAGE_SIZES))}"))
    problem = page_problem(view.page, view.per_page)
    if problem:
        errors.append(FieldError("page", problem))
    if view.group not in GROUPS:
        errors.append(FieldError("group", f"must be one of {', '.join(GROUPS)}"))
    for check in (lambda: zone(view.tz), lambda: Sort.parse(view.sort)):
        try:
            check()
        except ValidationError as exc:
            errors.extend(exc.errors)
    return errors
