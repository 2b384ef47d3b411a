"""The query specification: filters, sort and page, as plain validated data.

A :class:`QuerySpec` always carries the :class:`~activitylog.access.Visibility` computed by
the access rules; stores refuse to run without it.

Pages come by number (``page``, ``per_page``: an offset, which drifts when entries arrive
meanwhile) or by :class:`Cursor` (``limit`` with ``after`` / ``before``: a keyset on the
sort key and the entry's rid, so no entry is seen twice or skipped under writes).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, get_args

import orjson

from activitylog.access import ROLES, Visibility
from activitylog.errors import FieldError, ValidationError
from activitylog.events import LAYERS, RESULTS
from activitylog.geo import country_names
from activitylog.search_words import words

SortKey = Literal["time", "actor", "category", "verb", "ip", "result"]
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
PAGE_SIZES: tuple[int, ...] = (10, 20, 25, 50, 100)
DEFAULT_PER_PAGE = 20
#: The most entries one cursor page holds (``limit``).
MAX_LIMIT = 1000
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
    #: The country of the entry's IP (ISO 3166-1 alpha-2, upper case), as located at ingest.
    countries: tuple[str, ...] = ()
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
        if self.countries:
            known = country_names()
            errors += [
                FieldError(
                    "countries",
                    f"unknown country code {code!r}; expected ISO 3166-1 alpha-2, such as DE",
                )
                for code in self.countries
                if code not in known
            ]
        if self.since and self.until and self.since >= self.until:
            errors.append(FieldError("until", "must be after since"))
        if self.search is not None and len(self.search) > SEARCH_MAX:
            errors.append(FieldError("search", f"is longer than {SEARCH_MAX} characters"))
        elif self.search and self.search.strip() and not words(self.search):
            errors.append(FieldError("search", "has no letter or digit; search looks for words"))
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
class Cursor:
    """A place in the order ``sort`` gives: just past the entry whose sort value is
    ``value`` (null for a missing name or IP; unused for ``time``) and whose rid is
    ``rid``. Clients see it as an opaque string (:meth:`encode`)."""

    sort: str
    value: str | None
    rid: int

    def encode(self) -> str:
        raw = orjson.dumps({"s": self.sort, "v": self.value, "r": self.rid})
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, text: str, sort: Sort, name: str = "after") -> Cursor:
        """The cursor ``text`` encodes, made for ``sort``; else a ValidationError on
        ``name``."""
        try:
            raw = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (ValueError, binascii.Error):
            raw = None
        if not (
            isinstance(raw, dict)
            and isinstance(raw.get("s"), str)
            and isinstance(raw.get("v"), str | None)
            and type(raw.get("r")) is int
            and 0 <= raw["r"] < 2**63
        ):
            raise ValidationError([FieldError(name, "is not a cursor this API gave")])
        if raw["s"] != str(sort):
            raise ValidationError(
                [FieldError(name, f"was given for sort={raw['s']}; ask with that sort")]
            )
        return cls(raw["s"], raw["v"], raw["r"])


@dataclass(frozen=True)
class QuerySpec:
    """What to read: by page number, or with ``limit`` (1 to :data:`MAX_LIMIT`) by
    cursor, the entries just ``after`` or just ``before`` one (neither: from the start)."""

    visibility: Visibility
    filters: Filters = field(default_factory=Filters)
    sort: Sort = field(default_factory=Sort)
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    limit: int | None = None
    after: Cursor | None = None
    before: Cursor | None = None

    def __post_init__(self) -> None:
        errors = []
        if self.limit is not None:
            if not 1 <= self.limit <= MAX_LIMIT:
                errors.append(FieldError("limit", f"must be from 1 to {MAX_LIMIT}"))
            if self.page != 1:
                errors.append(FieldError("page", "goes with per_page, not with limit"))
        elif self.after or self.before:
            errors.append(FieldError("limit", "is required with after / before"))
        if self.after and self.before:
            errors.append(FieldError("before", "give after or before, not both"))
        if self.per_page not in PAGE_SIZES:
            errors.append(FieldError("per_page", f"must be one of {PAGE_SIZES}"))
        problem = page_problem(self.page, self.per_page)
        if problem:
            errors.append(FieldError("page", problem))
        if errors:
            raise ValidationError(errors)

    @property
    def size(self) -> int:
        """How many entries a page holds."""
        return self.per_page if self.limit is None else self.limit

    @property
    def offset(self) -> int:
        return 0 if self.limit is not None else (self.page - 1) * self.per_page


@dataclass
class Page:
    """One page of events and the total number matching; ``next_cursor`` and
    ``prev_cursor`` lead to the entries just after and just before it (None: there are
    none)."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    next_cursor: str | None = None
    prev_cursor: str | None = None
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }
