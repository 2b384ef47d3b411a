"""The filter form's controls: the selects' options with live counts, the hidden fields
that keep a view's other filters, chips for filters without a control, and the time window
in words."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from activitylog.access import ROLES, is_platform
from activitylog.catalog import DEFAULT_CATALOG
from activitylog.events import LAYERS
from activitylog.geo import country_names
from activitylog.web.params import CUSTOM, ViewParams
from activitylog.web.presenters import CATEGORY_LABELS, category_label, verb_label
from activitylog.web.principal import Principal
from activitylog.web.state import AppState
from activitylog.web.templating import role_label

#: A link to the page with some view parameters changed.
Href = Callable[..., str]
RANGE_LABELS: dict[str, str] = {
    "last_24_hours": "Last 24 hours",
    "today": "Today",
    "yesterday": "Yesterday",
    "this_week": "This week",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_month": "Last month",
    "last_90_days": "Last 90 days",
    CUSTOM: "Custom dates",
}
#: The user select lists at most this many people (the busiest in the window).
MAX_USERS = 200


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Chip:
    """An active filter the form has no control for (subject, IP, ids), with a remove link."""

    label: str
    remove_href: str


class FilterOptions:
    """The filter selects' options, each counted with every other filter applied."""

    def __init__(
        self,
        users: list[Option],
        categories: list[Option],
        events: list[Option],
        countries: list[Option],
    ):
        self.users, self.categories, self.events = users, categories, events
        self.countries = countries

    @classmethod
    def read(cls, state: AppState, view: ViewParams, principal: Principal) -> FilterOptions:
        selection = view.selection(principal)
        visibility, _ = selection.resolve()
        log = state.log
        by_category = dict(log.counts(replace(selection, categories=()), by=("category",)))
        by_verb = dict(log.counts(replace(selection, events=()), by=("verb",)))
        anyone = replace(selection, users=())
        by_actor = [row for row in log.counts(anyone, by=("actor_id",)) if row[0]]
        by_actor.sort(key=lambda row: (-row[1], row[0]))
        by_actor = by_actor[:MAX_USERS]
        names = log.actor_summaries([row[0] for row in by_actor], anyone)
        users = sorted(
            ((aid, str(names.get(aid, {}).get("name") or aid), n) for aid, n in by_actor),
            key=lambda item: item[1].lower(),
        )
        if visibility.actor_id and not any(aid == visibility.actor_id for aid, _, _ in users):
            users.append((visibility.actor_id, principal.name, 0))
        categories = [
            (key, category_label(key), by_category.get(key, 0))
            for key in (
                *DEFAULT_CATALOG.categories,
                *sorted(set(by_category) - set(CATEGORY_LABELS)),
            )
        ]
        verbs = sorted(by_verb.items(), key=lambda item: verb_label(item[0]))
        events = [(verb, verb_label(verb), n) for verb, n in verbs]
        events += [(a, DEFAULT_CATALOG.describe(a).label, None) for a in view.events if "." in a]
        return cls(
            options_for(users, view.user),
            options_for(categories, view.category),
            options_for(events, view.events),
            country_options(log.counts(replace(selection, countries=()), by=("country",)), view),
        )


def country_options(counts: Sequence[tuple[Any, ...]], view: ViewParams) -> list[Option]:
    """The countries the window's entries were recorded from (their IPs'), by name, each
    with its count; a chosen country none came from is listed with 0."""
    names = country_names()
    by_code = {str(code): int(n) for code, n in counts if code}
    chosen = tuple(code.upper() for code in view.countries)
    by_code.update({code: 0 for code in chosen if code not in by_code and code in names})
    items = [(code, names.get(code, code), n) for code, n in by_code.items()]
    return options_for(sorted(items, key=lambda item: item[1]), chosen)


def options_for(
    items: Sequence[tuple[str, str, int | None]], chosen: Sequence[str]
) -> list[Option]:
    """One option per value ("Label (1,204)"); several chosen values (from a shared link)
    become one option holding them comma-separated."""
    known = {value for value, _, _ in items}
    options = [
        Option(value, f"{label} ({n:,})" if n is not None else label, list(chosen) == [value])
        for value, label, n in items
    ]
    missing = [c for c in chosen if c not in known]
    options += [Option(value, value, len(chosen) == 1) for value in missing]
    if len(chosen) > 1:
        options.insert(0, Option(",".join(chosen), f"{len(chosen)} selected", True))
    return options


def role_options(view: ViewParams) -> list[Option]:
    """The role filter: the actor's role when the entry was recorded."""
    return options_for([(r, role_label(r), None) for r in ROLES], view.roles)


def workspace_options(state: AppState, view: ViewParams, principal: Principal) -> list[Option]:
    """Platform admins' workspace filter: every workspace with a chain; none for others."""
    if not is_platform(principal.viewer):
        return []
    names = state.log.workspaces()
    return options_for([(w, w, None) for w in names], (view.workspace,) if view.workspace else ())


def layer_options(view: ViewParams, principal: Principal) -> list[Option]:
    """Platform admins' layer filter; none for others (they see one layer)."""
    if not is_platform(principal.viewer):
        return []
    return [Option(layer, layer.capitalize(), layer == view.layer) for layer in LAYERS]


def chips(view: ViewParams, href: Href, controls: Collection[str] = ()) -> list[Chip]:
    """Chips for the filters without a control; ``controls`` names filters that have one
    for this viewer (a platform admin's workspace and layer)."""
    chips = []
    if view.subject_type or view.subject_id:
        text = " ".join(p for p in (view.subject_type, view.subject_id) if p)
        chips.append(Chip(f"Subject: {text}", href(subject_type="", subject_id="", page=1)))
    if view.ip:
        chips.append(Chip(f"IP: {view.ip}", href(ip="", page=1)))
    if view.layer and "layer" not in controls:
        chips.append(Chip(f"Layer: {view.layer}", href(layer="", page=1)))
    if view.id:
        chips.append(Chip(f"{len(view.id)} chosen entries", href(id=(), page=1)))
    if view.workspace and "workspace" not in controls:
        chips.append(Chip(f"Workspace: {view.workspace}", href(workspace="", page=1)))
    return chips


def hidden_fields(view: ViewParams, controls: Collection[str] = ()) -> list[tuple[str, str]]:
    """Fields the form keeps without showing a control (so submitting keeps them)."""
    pairs = [
        (name, str(getattr(view, name)))
        for name in ("subject_type", "subject_id", "ip", "layer", "workspace")
        if getattr(view, name) and name not in controls
    ]
    pairs += [("id", value) for value in view.id]
    if view.sort != ViewParams.sort:
        pairs.append(("sort", view.sort))
    if view.group != ViewParams.group:
        pairs.append(("group", view.group))
    return pairs


def range_text(view: ViewParams) -> str:
    """The window in words, as it follows "No activity …": "in the last 7 days"."""
    if view.range == CUSTOM:
        since, until = _date_text(view.since), _date_text(view.until)
        if since and until:
            return f"between {since} and {until}"
        return f"since {since}" if since else f"until {until}" if until else "in this window"
    label = RANGE_LABELS.get(view.range, view.range).lower()
    return (
        label if label in ("today", "yesterday") or label.startswith("this") else f"in the {label}"
    )


def _date_text(text: str) -> str:
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{day:%b} {day.day}, {day.year}"
