"""What one view of the Activity Log page shows: :class:`ActivityPage`, built from the
URL's :class:`~activitylog.web.params.ViewParams` for a principal.

Every read goes through the view's :class:`~activitylog.selection.Selection`, so the
access rules decide what is counted and listed; this module only arranges the answers
(rows, KPIs, charts, filter options with live counts, sort links and pagination).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from activitylog.access import (
    is_platform,
    may_change_settings,
    may_delete,
    widest_scope,
)
from activitylog.accounts.workspaces import WorkspaceSettings
from activitylog.events import RESULTS
from activitylog.query import PAGE_SIZES, Page, Sort
from activitylog.stats import Stats, fitting_group, groups_for
from activitylog.web import charts
from activitylog.web.entries import Row, present_row
from activitylog.web.filter_form import (
    RANGE_LABELS,
    Chip,
    FilterOptions,
    Href,
    Option,
    chips,
    hidden_fields,
    layer_options,
    range_text,
    role_options,
    workspace_options,
)
from activitylog.web.params import ViewParams
from activitylog.web.principal import Principal
from activitylog.web.settings_panel import SettingsPanel
from activitylog.web.state import AppState

#: Columns of the table: (heading, sort key or None).
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("User", "actor"),
    ("Category", "category"),
    ("Event", "verb"),
    ("Description", None),
    ("Result", "result"),
    ("IP", "ip"),
    ("Date/time", "time"),
)
GROUP_LABELS = {"hourly": "Hourly", "daily": "Daily", "weekly": "Weekly"}
#: Filters whose values are not the time window or scope (for the empty state's advice).
NARROWING = (
    "user",
    "category",
    "events",
    "result",
    "roles",
    "layer",
    "id",
    "subject_type",
    "subject_id",
    "ip",
    "countries",
)
#: The log_access setting's choices, as the settings panel words them.
LOG_ACCESS_LABELS = {
    "admins": "Owners and admins",
    "own": "Everyone sees their own activity; owners and admins see everyone's",
}
WIDER = {"last_24_hours": "last_7_days", "today": "last_7_days", "yesterday": "last_7_days"}


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class SortHeader:
    label: str
    key: str | None
    href: str = ""
    aria_sort: str = ""
    indicator: str = ""


@dataclass(frozen=True)
class Pagination:
    first: int
    last: int
    total: int
    page: int
    pages: int
    prev_href: str | None
    next_href: str | None
    links: tuple[Link | None, ...]  # None: a gap ("…")
    per_page: tuple[Option, ...]

    @property
    def text(self) -> str:
        if not self.total:
            return "No entries"
        if self.first > self.total:
            return f"Page {self.page} is past the end ({self.total:,} entries)"
        return f"Showing {self.first:,}–{self.last:,} of {self.total:,}"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: str
    #: "up", "down" or "" (no previous data or no change).
    direction: str = ""
    change: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    initials: str
    count: int
    last_seen: str | None
    percent: float
    href: str


@dataclass(frozen=True)
class EmptyState:
    title: str
    advice: str
    links: tuple[Link, ...]


@dataclass
class ActivityPage:
    """Everything ``activity.html`` and its partials render."""

    principal: Principal
    view: ViewParams
    base: str
    scope: str
    rows: list[Row]
    page: Page
    pagination: Pagination
    headers: list[SortHeader]
    kpis: list[Kpi]
    volume: charts.VolumeChart
    donut: charts.Donut
    categories: charts.HBars
    actors: list[Actor]
    group_links: list[Link]
    ranges: list[Option]
    users: list[Option]
    category_options: list[Option]
    events: list[Option]
    results: list[Option]
    per_page: list[Option]
    countries: list[Option]
    chips: list[Chip]
    empty: EmptyState | None
    range_text: str
    error: str = ""
    can_delete: bool = False
    hidden: list[tuple[str, str]] = field(default_factory=list)
    #: The role filter (the actor's role then); for those who see everyone's activity.
    roles: list[Option] = field(default_factory=list)
    #: Platform admins' workspace and layer filters (empty for everyone else).
    workspaces: list[Option] = field(default_factory=list)
    layers: list[Option] = field(default_factory=list)
    #: A view across workspaces: rows name their workspace (column, and "acme #12").
    all_workspaces: bool = False
    #: The settings panel, for owners (and platform admins in a workspace).
    settings: WorkspaceSettings | None = None
    log_access: list[Option] = field(default_factory=list)
    #: The panel's retention, legal hold and scheduled export (with ``settings``).
    panel: SettingsPanel | None = None

    def href(self, **changes: Any) -> str:
        """This page's URL with ``changes`` applied."""
        return page_href(self.base, self.view, **changes)

    def export_href(self, fmt: str) -> str:
        query = self.view.query_string(page=1, per_page=ViewParams.per_page, group="daily")
        return f"/api/v1/export?format={fmt}" + (f"&{query}" if query else "")

    @property
    def url(self) -> str:
        return self.href()

    @property
    def reset_href(self) -> str:
        """Every filter cleared; the time zone kept."""
        return page_href(self.base, ViewParams(tz=self.view.tz))

    @property
    def filtered(self) -> bool:
        return any(getattr(self.view, name) for name in (*NARROWING, "search"))


def page_href(base: str, view: ViewParams, **changes: Any) -> str:
    """``base`` (``/activity`` or ``/embed``) with the view's query; never a credential:
    the embedded page reads through its cookie."""
    query = view.query_string(**changes)
    return f"{base}?{query}" if query else base


def build_page(
    state: AppState,
    principal: Principal,
    view: ViewParams,
    *,
    base: str = "/activity",
    error: str = "",
) -> ActivityPage:
    """Query the page of rows, the statistics and the filter options for ``view``."""
    selection = view.selection(principal)
    log = state.log
    _, filters = selection.resolve()
    group = fitting_group(view.group, filters.since, filters.until)
    with log.reusing_counts():
        page = log.query(selection, sort=view.sort, page=view.page, per_page=view.per_page)
        stats = log.stats(selection, group=group)
        options = FilterOptions.read(state, view, principal)
    scope = selection.scope
    rows = [present_row(e, view.tz) for e in page.items]
    workspaces = workspace_options(state, view, principal)
    controls = ("workspace", "layer") if workspaces else ()
    settings = _settings(state, principal)

    def href(**changes: Any) -> str:
        return page_href(base, view, **changes)

    result = ActivityPage(
        principal=principal,
        view=view,
        base=base,
        scope=scope,
        rows=rows,
        page=page,
        pagination=_pagination(page, href),
        headers=_headers(view, href),
        kpis=_kpis(stats),
        volume=charts.volume_chart(stats.volume, group),
        donut=charts.donut(stats.split, stats.split_percent),
        categories=charts.category_bars(stats.by_category),
        actors=_actors(stats, href),
        group_links=[
            Link(GROUP_LABELS[key], href(group=key, page=1), key == group)
            for key in groups_for(filters.since, filters.until)
        ],
        ranges=[Option(k, v, k == view.range) for k, v in RANGE_LABELS.items()],
        users=options.users,
        category_options=options.categories,
        events=options.events,
        countries=options.countries,
        results=[Option(r, r.capitalize(), r in view.result) for r in RESULTS],
        per_page=[Option(str(n), str(n), n == view.per_page) for n in PAGE_SIZES],
        chips=chips(view, href, controls),
        empty=None,
        range_text=range_text(view),
        error=error,
        can_delete=may_delete(principal.viewer, selection.workspace or "")
        and not principal.embedded,
        hidden=hidden_fields(view, controls),
        roles=role_options(view) if widest_scope(principal.viewer) == "workspace" else [],
        workspaces=workspaces,
        layers=layer_options(view, principal),
        all_workspaces=is_platform(principal.viewer) and selection.workspace is None,
        settings=settings,
        log_access=[
            Option(key, label, settings is not None and key == settings.log_access)
            for key, label in LOG_ACCESS_LABELS.items()
        ],
        panel=None if settings is None else SettingsPanel.of(settings, state.settings),
    )
    if not rows:
        result.empty = _empty(result, href)
    return result


def _settings(state: AppState, principal: Principal) -> WorkspaceSettings | None:
    """The session workspace's settings when this person may change them."""
    workspace = principal.viewer.workspace
    if principal.embedded or not workspace:
        return None
    if not may_change_settings(principal.viewer, workspace):
        return None
    return state.accounts.workspace_settings(workspace)


def _pagination(page: Page, href: Href) -> Pagination:
    pages = max(1, math.ceil(page.total / page.per_page))
    first = (page.page - 1) * page.per_page + 1
    last = min(page.total, first + len(page.items) - 1)
    numbers = sorted({1, pages, *range(max(1, page.page - 1), min(pages, page.page + 1) + 1)})
    links: list[Link | None] = []
    for i, n in enumerate(numbers):
        if i and n - numbers[i - 1] > 1:
            links.append(None)
        links.append(Link(str(n), href(page=n), n == page.page))
    return Pagination(
        first=first,
        last=last,
        total=page.total,
        page=page.page,
        pages=pages,
        prev_href=href(page=page.page - 1) if page.page > 1 else None,
        next_href=href(page=page.page + 1) if page.page < pages else None,
        links=tuple(links),
        per_page=tuple(Option(str(n), str(n), n == page.per_page) for n in PAGE_SIZES),
    )


def _headers(view: ViewParams, href: Href) -> list[SortHeader]:
    current = Sort.parse(view.sort)
    headers = []
    for label, key in COLUMNS:
        if key is None:
            headers.append(SortHeader(label, None))
            continue
        if key == current.key:
            descending = not current.descending
            aria = "descending" if current.descending else "ascending"
            indicator = "▼" if current.descending else "▲"
        else:
            descending, aria, indicator = key == "time", "", ""
        target = f"{'-' if descending else ''}{key}"
        headers.append(SortHeader(label, key, href(sort=target, page=1), aria, indicator))
    return headers


def _kpis(stats: Stats) -> list[Kpi]:
    k = stats.kpis
    total = int(k.get("total") or 0)
    change = k.get("total_change_pct")
    previous = int(k.get("previous_total") or 0)
    if change is None:
        direction, text = "", "—"
    elif change > 0:
        direction, text = "up", f"Up {change:,.1f}%"
    elif change < 0:
        direction, text = "down", f"Down {-change:,.1f}%"
    else:
        direction, text = "", "No change"
    versus = (
        f"vs {previous:,} in the previous period" if previous else "No data for the previous period"
    )

    def share(key: str) -> str:
        # The donut's rounding: the three shares add up to 100.
        percent, n = stats.split_percent.get(key, 0), int(k.get(key) or 0)
        if not total:
            return "No events"
        return f"{percent}% of events" if percent or not n else "<1% of events"

    return [
        Kpi(
            "total",
            "Total events",
            f"{total:,}",
            direction,
            text,
            versus,
        ),
        Kpi(
            "sign_ins",
            "Sign-ins",
            f"{int(k.get('sign_ins') or 0):,}",
            hint=share("sign_ins"),
        ),
        Kpi(
            "writes",
            "Writes",
            f"{int(k.get('writes') or 0):,}",
            hint=share("writes"),
        ),
        Kpi(
            "reads_other",
            "Reads / other",
            f"{int(k.get('reads_other') or 0):,}",
            hint=share("reads_other"),
        ),
        Kpi(
            "unique_ips",
            "Unique IPs",
            f"{int(k.get('unique_ips') or 0):,}",
            hint="Distinct addresses seen",
        ),
    ]


def _actors(stats: Stats, href: Href) -> list[Actor]:
    top = max((int(a["count"]) for a in stats.top_actors), default=0)
    return [
        Actor(
            id=str(a["id"]),
            name=str(a["name"]),
            initials=str(a["initials"]),
            count=int(a["count"]),
            last_seen=a.get("last_seen"),
            percent=round(int(a["count"]) * 100 / top, 1) if top else 0.0,
            href=href(user=(str(a["id"]),), page=1),
        )
        for a in stats.top_actors
    ]


def _empty(page: ActivityPage, href: Href) -> EmptyState:
    view, when = page.view, page.range_text
    reset = Link("Reset filters", page.reset_href)
    if page.page.total and view.page > 1:
        return EmptyState(
            f"Page {view.page} is past the end of the results",
            f"There are {page.page.total:,} entries on {page.pagination.pages:,} pages.",
            (Link("Go to the last page", href(page=page.pagination.pages)),),
        )
    wider = WIDER.get(view.range, "last_90_days")
    widen = Link(
        f"Show the {RANGE_LABELS[wider].lower()}", href(range=wider, since="", until="", page=1)
    )
    mine = page.scope == "mine" and page.principal.widest_scope == "workspace"
    switch = Link("Switch to Workspace", href(scope="workspace", page=1))
    if page.filtered:
        advice = "Try removing a filter or clearing the search"
        links = [reset]
        if view.range != "last_90_days":
            advice += ", or widen the time range"
            links.append(widen)
        return EmptyState(f"No activity matches these filters {when}", advice + ".", tuple(links))
    if mine:
        return EmptyState(
            f"No activity {when} — widen the range or switch to Workspace",
            "My activity shows only what you did yourself; Workspace shows everyone's.",
            (widen, switch) if view.range != "last_90_days" else (switch,),
        )
    return EmptyState(
        f"No activity {when} — widen the range",
        "Nothing was recorded in this window.",
        (widen,) if view.range != "last_90_days" else (reset,),
    )


def audit_filters(view: ViewParams) -> dict[str, Any]:
    """The view's filters as recorded in ``activity_log.viewed`` (defaults left out)."""
    defaults = asdict(ViewParams())
    skip = {"page", "per_page", "sort", "group", "tz"}
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in asdict(view).items()
        if name not in skip and (value != defaults[name] or name == "range")
    }
