"""What a caller asks to see -> the access rules' Visibility plus validated Filters.

The SDK, the CLI and the web layer all describe a view with a :class:`Selection`; its
:meth:`Selection.resolve` is the single path from a request to what the store may return.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from activitylog.access import OPERATOR, Viewer, Visibility, visibility_for
from activitylog.errors import FieldError, ValidationError
from activitylog.events import normal_id
from activitylog.query import Filters
from activitylog.timeranges import DEFAULT_PRESET, parse_bound, resolve, supported, zone


@dataclass(frozen=True)
class Selection:
    """Filters as people give them: a preset or since/until, in a time zone; event ids in
    any spelling of a UUID (matched as stored, lower-case)."""

    workspace: str | None = None
    viewer: Viewer = OPERATOR
    scope: str = "workspace"
    range: str | None = None
    since: str | datetime | None = None
    until: str | datetime | None = None
    tz: str = "UTC"
    users: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    layer: str | None = None
    roles: tuple[str, ...] = ()
    subject_type: str | None = None
    subject_id: str | None = None
    ip: str | None = None
    #: Country codes of the entries' IPs, in either case.
    countries: tuple[str, ...] = ()
    search: str | None = None
    ids: tuple[str, ...] = field(default=())
    now: datetime | None = None

    def resolve(self, *, default_range: str | None = DEFAULT_PRESET) -> tuple[Visibility, Filters]:
        visibility = visibility_for(self.viewer, self.scope, self.workspace)
        since, until = self._window(default_range)
        filters = Filters(
            since=since,
            until=until,
            actor_ids=tuple(self.users),
            categories=tuple(self.categories),
            results=tuple(self.results),
            layers=(self.layer,) if self.layer else (),
            roles=tuple(self.roles),
            subject_type=self.subject_type or None,
            subject_id=self.subject_id or None,
            ip=_normal_ip(self.ip) if self.ip else None,
            countries=tuple(dict.fromkeys(c.strip().upper() for c in self.countries)),
            search=(self.search or "").strip() or None,
            ids=tuple(normal_id(i) for i in self.ids),
        ).with_events(tuple(self.events))
        return visibility, filters

    def _window(self, default_range: str | None) -> tuple[datetime | None, datetime | None]:
        if self.range and (self.since or self.until):
            raise ValidationError([FieldError("range", "give a range or since/until, not both")])
        if self.since or self.until:
            return self._bound(self.since, is_end=False), self._bound(self.until, is_end=True)
        preset = self.range or default_range
        if preset is None:
            return None, None
        return resolve(preset, self.tz, self.now)

    def _bound(self, value: str | datetime | None, *, is_end: bool) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=zone(self.tz))
            field = "until" if is_end else "since"
            return supported(aware.astimezone(UTC), field, value.isoformat())
        return parse_bound(value, self.tz, is_end=is_end)


def _normal_ip(text: str) -> str:
    """The stored (compressed) spelling of an address, so any spelling matches."""
    try:
        return ipaddress.ip_address(text.strip()).compressed
    except ValueError:
        raise ValidationError([FieldError("ip", f"is not a valid IP address ({text!r})")]) from None


def selection_of(selection: Selection | None, filters: Mapping[str, Any]) -> Selection:
    """``selection`` (or everything) with ``filters`` as callers pass them: lists or one
    text value where tuples are expected; an unknown filter is a ValidationError."""
    base = selection or Selection()
    tuples = {k: tuple(v) if isinstance(v, list | tuple | set) else v for k, v in filters.items()}
    for key in ("users", "categories", "events", "results", "roles", "countries", "ids"):
        if isinstance(tuples.get(key), str):
            tuples[key] = (tuples[key],)
    try:
        return replace(base, **tuples)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ValidationError([FieldError("filters", str(exc))]) from None
