"""The Activity Log page's controls in headless Chromium: Refresh, selecting every row on
the page, exporting the selection, the keyboard bindings and custom dates.

Only the Refresh test changes the module's log (one note, recorded today).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import orjson
import pytest

from activitylog.exports import CSV_COLUMNS

from ._browser import TIMEZONE, expect, open_view, row_ids, settled, showing, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, World

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

OWNER = EMAIL_BY_ROLE["owner"]
BERLIN = ZoneInfo(TIMEZONE)


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with signed_in(browser, server.url, OWNER) as signed:
        yield signed


def kpi_total(page: Page) -> int:
    """The "Total events" card's value."""
    text = page.locator("#kpis .kpi").first.locator(".kpi__value").inner_text()
    return int(text.strip().replace(",", ""))


def local_day(iso: str) -> date:
    """The day, in the test's time zone, of an ISO 8601 date-time."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(BERLIN).date()


def test_refresh_reloads_rows_and_stats_without_a_page_load(page: Page, world: World) -> None:
    # Notes: nothing else in this module records one, and the page's own visits are not notes.
    open_view(page, "scope=workspace&category=notes&range=last_7_days")
    url = page.url
    total, kpi = showing(page)[2], kpi_total(page)
    assert total == kpi
    page.evaluate("window.__same_document = 'kept'")

    event = world.state.log.record(
        workspace="acme",
        occurred_at=datetime.now(UTC).isoformat(),
        actor={"id": "u_ava", "name": "Ava Thompson", "role": "owner", "type": "user"},
        action="note.created",
        subject={"type": "note", "id": "n_refresh", "name": "Refresh check"},
        description="Ava Thompson added a note to check Refresh",
    )
    expect(page.locator(f"tr[data-id='{event['id']}']")).to_have_count(0)

    refresh = page.get_by_role("button", name="Refresh")
    refresh.click()
    expect(page.locator("[data-toast]")).to_have_text("Refreshed")
    first = page.locator("tr[data-row]").first
    expect(first).to_have_attribute("data-id", event["id"])
    expect(first.locator(".desc")).to_have_text("Ava Thompson added a note to check Refresh")
    expect(page.locator("[data-showing]")).to_contain_text(f"of {total + 1:,}")
    expect(page.locator("#kpis .kpi").first.locator(".kpi__value")).to_have_text(f"{kpi + 1:,}")
    expect(refresh).not_to_have_attribute("aria-busy", "true")
    assert page.evaluate("window.__same_document") == "kept", "Refresh reloaded the page"
    assert page.url == url


def test_select_all_checks_every_row_on_the_page(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(20)
    boxes = page.locator("tr[data-row] [data-select]")
    select_all = page.locator("[data-select-all]")
    bulkbar = page.locator("[data-bulkbar]")
    count = bulkbar.locator("[data-selected-count]")
    expect(bulkbar).to_be_hidden()

    select_all.check()
    expect(page.locator("tr[data-row] [data-select]:checked")).to_have_count(20)
    expect(page.locator("tr[data-row].is-selected")).to_have_count(20)
    expect(bulkbar).to_be_visible()
    expect(count).to_have_text("20")

    boxes.nth(4).uncheck()
    expect(count).to_have_text("19")
    expect(select_all).not_to_be_checked()
    assert select_all.evaluate("box => box.indeterminate"), "a partial selection shows as mixed"

    select_all.check()
    expect(count).to_have_text("20")
    assert not select_all.evaluate("box => box.indeterminate")
    select_all.uncheck()
    expect(page.locator("tr[data-row] [data-select]:checked")).to_have_count(0)
    expect(page.locator("tr[data-row].is-selected")).to_have_count(0)
    expect(bulkbar).to_be_hidden()

    # "All" means this page: another page starts with nothing selected.
    select_all.check()
    expect(count).to_have_text("20")
    first_page = row_ids(page)
    page.locator(".pager").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(rows.first).not_to_have_attribute("data-id", first_page[0])
    expect(bulkbar).to_be_hidden()
    expect(select_all).not_to_be_checked()
    expect(page.locator("tr[data-row] [data-select]:checked")).to_have_count(0)


def test_export_selected_downloads_exactly_the_chosen_rows(page: Page) -> None:
    open_view(page, "scope=workspace&category=contacts&range=last_30_days")
    ids = row_ids(page)
    assert len(ids) == 20
    chosen = [ids[1], ids[6], ids[13]]
    descriptions: dict[str, str] = {}
    for event_id in chosen:
        tr = page.locator(f"tr[data-id='{event_id}']")
        tr.locator("[data-select]").check()
        descriptions[event_id] = tr.locator(".desc").inner_text()
    bulkbar = page.locator("[data-bulkbar]")
    expect(bulkbar.locator("[data-selected-count]")).to_have_text("3")

    with page.expect_download() as info:
        bulkbar.get_by_role("button", name="Export selected").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    exported = {row[CSV_COLUMNS.index("id")]: row for row in rows[1:]}
    assert len(rows) - 1 == len(exported) == 3, rows[1:]
    assert set(exported) == set(chosen)
    for event_id, row in exported.items():
        assert row[CSV_COLUMNS.index("description")] == descriptions[event_id]
        assert row[CSV_COLUMNS.index("category")] == "contacts"
    expect(bulkbar.locator("[data-selected-count]")).to_have_text("3")


def test_keyboard_search_rows_details_and_selection(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")
    search = page.locator("#f-search")
    expect(search).not_to_be_focused()
    page.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")

    rows = page.locator("tr[data-row]")
    rows.first.focus()
    expect(rows.first).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(3)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(rows.first).to_be_focused()
    page.keyboard.press("k")  # already the first row: it stays
    expect(rows.first).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    row = rows.nth(2)
    expect(row).to_be_focused()

    # x and Space tick the focused row's box.
    bulkbar = page.locator("[data-bulkbar]")
    page.keyboard.press("x")
    expect(row.locator("[data-select]")).to_be_checked()
    expect(bulkbar.locator("[data-selected-count]")).to_have_text("1")
    page.keyboard.press(" ")
    expect(row.locator("[data-select]")).not_to_be_checked()
    expect(bulkbar).to_be_hidden()
    expect(row).to_be_focused()

    event_id = row.get_attribute("data-id")
    reply = page.request.get(f"/api/v1/events/{event_id}")
    assert reply.ok, reply.text()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#detail")
    expect(dialog).to_be_visible()
    expect(row).to_have_class(re.compile(r"\bis-open\b"))
    expect(dialog.locator("#detail-sentence")).to_be_focused()
    expect(dialog.locator(".dl").last).to_contain_text(f"#{reply.json()['seq']}")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row).to_be_focused()
    expect(row).not_to_have_class(re.compile(r"\bis-open\b"))
    page.keyboard.press("j")
    expect(rows.nth(3)).to_be_focused()


def test_custom_dates_filter_the_table_and_go_in_the_url(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")
    asked: list[dict[str, list[str]]] = []

    def note(request: Request) -> None:
        if urlsplit(request.url).path == "/activity/partials":
            asked.append(parse_qs(urlsplit(request.url).query))

    page.on("request", note)
    dates = page.locator("[data-custom-dates]")
    since, until = page.get_by_label("From", exact=True), page.get_by_label("To", exact=True)
    expect(dates).to_be_hidden()
    expect(since).to_be_disabled()

    page.get_by_label("Time range", exact=True).select_option(label="Custom dates")
    expect(dates).to_be_visible()
    expect(since).to_be_enabled()
    expect(until).to_be_enabled()
    expect(since).to_be_focused()
    assert "range=custom" not in page.url, "choosing Custom waits for the dates"

    # Three whole days well inside the seeded month, before anything this module records.
    today = datetime.now(BERLIN).date()
    first, last = today - timedelta(days=12), today - timedelta(days=10)
    since.fill(first.isoformat())
    until.fill(last.isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]range=custom(&|$)"))
    settled(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["since"] == [first.isoformat()]
    assert query["until"] == [last.isoformat()]
    expect(page.locator("[data-fetch-error]")).to_be_hidden()
    # Never a view with one date: the server refuses it and the page would show the error.
    assert asked
    assert all("since" in q and "until" in q for q in asked), asked

    reply = page.request.get("/api/v1/export?format=ndjson&scope=workspace&range=last_90_days")
    assert reply.ok, reply.text()
    events: list[dict[str, Any]] = [orjson.loads(line) for line in reply.text().splitlines()]
    inside = [e for e in events if first <= local_day(e["occurred_at"]) <= last]
    assert 20 < len(inside) < len(events)
    total = showing(page)[2]
    assert total == len(inside)
    assert kpi_total(page) == total
    shown = page.locator("tr[data-row] time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert len(shown) == 20
    assert {local_day(str(t)) for t in shown} <= {first, first + timedelta(days=1), last}
    assert local_day(str(shown[0])) == last, "newest first: the last day leads"

    # The URL holds the view: opening it again shows the same dates and rows.
    rows = row_ids(page)
    page.reload()
    settled(page)
    expect(dates).to_be_visible()
    expect(since).to_have_value(first.isoformat())
    expect(until).to_have_value(last.isoformat())
    expect(page.get_by_label("Time range", exact=True)).to_have_value("custom")
    assert row_ids(page) == rows

    # Half-typed or backwards dates wait for the user instead of asking for an error.
    asked.clear()
    since.fill("0202-01-01")  # the year typed so far
    until.fill(first.isoformat())
    since.fill(last.isoformat())  # after the end
    page.wait_for_timeout(300)
    assert asked == []
    expect(page.locator("[data-fetch-error]")).to_be_hidden()
