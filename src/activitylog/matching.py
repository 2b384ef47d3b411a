"""Entries matched in memory as the stores match rows (archives, alert rules, streams).

An entry is matched by its copies (:func:`activitylog.store.copies.copies`, what the
columns would hold) under the access rules' :class:`Visibility` and the :class:`Filters`:
the time range on the microsecond it occurred, free text by the rule of
:mod:`activitylog.search_words`. Pure.
"""

from __future__ import annotations

from typing import Any

from activitylog.access import Visibility
from activitylog.events import micros
from activitylog.query import Filters
from activitylog.search_words import matches, words
from activitylog.store.copies import copies


class EntryMatcher:
    """Whether an entry's body matches ``filters`` and ``visibility`` lets it be seen."""

    def __init__(self, visibility: Visibility, filters: Filters) -> None:
        self.visibility = visibility
        self.filters = filters
        self.since = micros(filters.since) if filters.since else None
        self.until = micros(filters.until) if filters.until else None
        self.search = words(filters.search) if filters.search else ""

    def __call__(self, values: dict[str, Any]) -> bool:
        """``values``: the body's copies (when the caller has them already)."""
        return self._visible(values) and self._kept(values)

    def matches(self, body: bytes) -> bool:
        return self(copies(body))

    def _visible(self, values: dict[str, Any]) -> bool:
        vis = self.visibility
        if vis.workspace is not None and values["workspace"] != vis.workspace:
            return False
        if vis.actor_id is not None and values["actor_id"] != vis.actor_id:
            return False
        if vis.layers == "workspace":
            return bool(values["layer"] == "workspace")
        if vis.layers == "workspace_and_impersonation":
            return bool(values["layer"] == "workspace" or values["category"] == "impersonation")
        return True

    def _kept(self, values: dict[str, Any]) -> bool:
        f = self.filters
        for column, allowed in (
            ("actor_id", f.actor_ids),
            ("category", f.categories),
            ("result", f.results),
            ("layer", f.layers),
            ("country", f.countries),
        ):
            if allowed and values[column] not in allowed:
                return False
        if (f.verbs or f.actions) and not (
            values["verb"] in f.verbs or values["action"] in f.actions
        ):
            return False
        occurred = values["occurred_at"]
        if (self.since is not None and occurred < self.since) or (
            self.until is not None and occurred >= self.until
        ):
            return False
        for column, wanted in (
            ("subject_type", f.subject_type),
            ("subject_id", f.subject_id),
            ("ip", f.ip),
        ):
            if wanted and values[column] != wanted:
                return False
        if f.ids and values["id"] not in f.ids:
            return False
        if self.search and not matches(self.search, values["search_text"]):
            return False
        return not f.roles or values["actor_role"] in f.roles
