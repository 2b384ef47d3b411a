"""The query specification: filters, sort and page, as plain validated data.

A :class:`QuerySpec` always carries the :class:`~activitylog.access.Visibility` computed by
the access rules; stores refuse to run without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, get_args

from activitylog.access import ROLES, Visibility
from activitylog.errors import FieldError, ValidationError
from activitylog.events import LAYERS, RESULTS

SortKey = Literal["time", "actor", "category", "verb", "ip", "result"]
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
PAGE_SIZES: tuple[int, ...] = (10, 20, 25, 50, 100)
DEFAULT_PER_PAGE = 20
SEARCH_MAX = 200
#: The largest row offset the engines take: SQLite and PostgreSQL bind ``OFFSET`` as a
#: signed 64-bit integer (beyond it SQLite's driver overflows, PostgreSQL says "bigint out
#: of range").
MAX_OFFSET = 2**63 - 1


def max_page(per_page: int) -> int:
    """The last page number whose offset, ``(page - 1) * per_page``, the engines can take."""
    return MAX_OFFSET // per_page + 1


def page_problem(page: int, per_page: int) -> str | None:
    """Why ``page`` cannot be asked for (with a valid ``per_page``), or None."""
    if page < 1:
        return "must be 1 or more"
    if per_page in PAGE_SIZES and page > max_page(per_page):
        return f"must be at most {max_page(per_page)} with per_page={per_page}"
    return None


@dataclass(frozen=True)
class Filters:
    """Every filter is optional and they combine with AND (values of one filter with OR)."""

    since: datetime | None = None
    until: datetime | None = None
    actor_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    #: The actor's role when the entry was recorded (``actor.role``).
    roles: tuple[str, ...] = ()
    subject_type: str | None = None
    subject_id: str | None = None
    ip: str | None = None
    search: str | None = None
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        errors = [
            FieldError(name, f"unknown value {bad!r}; expected one of {', '.join(allowed)}")
            for name, values, allowed in (
                ("result", self.results, RESULTS),
                ("layer", self.layers, LAYERS),
                ("roles", self.roles, ROLES),
            )
            for bad in values
            if bad not in allowed
        ]
        if self.since and self.until and self.since >= self.until:
            errors.append(FieldError("until", "must be after since"))
        if self.search is not None and len(self.search) > SEARCH_MAX:
            errors.append(FieldError("search", f"is longer than {SEARCH_MAX} characters"))
        if errors:
            raise ValidationError(errors)

    def with_events(self, events: tuple[str, ...]) -> Filters:
        """Split 'event' filter values: dotted ones are actions, the rest verbs."""
        return replace(
            self,
            actions=self.actions + tuple(e for e in events if "." in e),
            verbs=self.verbs + tuple(e for e in events if "." not in e),
        )


@dataclass(frozen=True)
class Sort:
    key: SortKey = "time"
    descending: bool = True

    @classmethod
    def parse(cls, text: str | None) -> Sort:
        """``time``, ``-time`` (descending), ``actor:asc`` or ``actor:desc``."""
        if not text:
            return cls()
        descending = text.startswith("-")
        key = text.lstrip("-")
        if ":" in key:
            key, direction = key.split(":", 1)
            if direction not in ("asc", "desc"):
                raise ValidationError([FieldError("sort", "direction must be asc or desc")])
            descending = direction == "desc"
        if key not in SORT_KEYS:
            raise ValidationError([FieldError("sort", f"must be one of {', '.join(SORT_KEYS)}")])
        return cls(key, descending)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.key}"


@dataclass(frozen=True)
class QuerySpec:
    visibility: Visibility
    filters: Filters = field(default_factory=Filters)
    sort: Sort = field(default_factory=Sort)
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        errors = []
        if self.per_page not in PAGE_SIZES:
            errors.append(FieldError("per_page", f"must be one of {PAGE_SIZES}"))
        problem = page_problem(self.page, self.per_page)
        if problem:
            errors.append(FieldError("page", problem))
        if errors:
            raise ValidationError(errors)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass
class Page:
    """One page of events and the total number matching."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }
