"""The Activity Log page in headless Chromium: landing, filtering, searching as you type,
sorting, paging and the detail panel, through the page's own script against the real app.

Actions that change the log (export, delete, hostile input) and other people and screens
are in ``test_browser_actions.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from activitylog.web.presenters import format_value

from ._browser import (
    column_texts,
    expect,
    open_view,
    row_ids,
    screenshot,
    showing,
    signed_in,
)
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OWNER = EMAIL_BY_ROLE["owner"]
#: In the seed's descriptions ("… viewed contact Aaron Evans") and not in most of them.
SEARCH_TERM = "evans"


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with signed_in(browser, server.url, OWNER) as signed:
        yield signed


def test_owner_lands_on_the_activity_page_with_kpis_and_charts(page: Page) -> None:
    assert urlsplit(page.url).path == "/activity"
    cards = page.locator("#kpis .kpi")
    expect(cards).to_have_count(5)
    expect(cards.locator(".kpi__label")).to_have_text(
        ["Total events", "Sign-ins", "Writes", "Reads / other", "Unique IPs"]
    )
    values = [v.strip() for v in cards.locator(".kpi__value").all_inner_texts()]
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", v) for v in values), values
    total = int(values[0].replace(",", ""))
    assert total > 0
    assert showing(page)[2] == total, "the Total events card counts the table's view"

    for chart in ("volume", "split", "categories"):
        svg = page.locator(f"#charts .chart--{chart} svg").first
        expect(svg).to_be_visible()
    assert page.locator("#charts svg rect, #charts svg path, #charts svg circle").count() > 5
    # The owner lands on My activity: one person, so no "Most active users" to rank.
    expect(page.locator("#f-scope-mine")).to_be_checked()
    expect(page.locator("#charts .chart--actors")).to_have_count(0)
    page.locator("label[for=f-scope-workspace]").click()
    expect(page.locator("#charts .actor").first).to_be_visible()
    screenshot(page, "browser-activity-desktop.png")


def test_filter_by_scope_and_category_and_back(page: Page) -> None:
    page.locator("label[for=f-scope-workspace]").click()
    expect(page).to_have_url(re.compile(r"[?&]scope=workspace(&|$)"))
    expect(page.locator("#f-scope-workspace")).to_be_checked()
    before_url, before_rows = page.url, row_ids(page)

    page.locator("#f-category").select_option("auth")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]category=auth(&|$)"))
    expect(page.locator("tr[data-row]").first).to_be_visible()
    badges = column_texts(page, ".col-category .badge")
    assert badges, "the auth filter leaves rows"
    assert set(badges) == {"Authentication"}, badges
    assert "scope=workspace" in page.url
    assert row_ids(page) != before_rows

    page.go_back()
    expect(page).to_have_url(before_url)
    expect(page.locator("#f-category")).to_have_value("")
    expect(page.locator("tr[data-row]").first).to_have_attribute("data-id", before_rows[0])
    assert row_ids(page) == before_rows
    assert len(set(column_texts(page, ".col-category .badge"))) > 1


def test_search_as_you_type_swaps_the_table_without_a_page_load(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")
    total_before = showing(page)[2]
    page.evaluate("window.__same_document = 'kept'")

    page.locator("#f-search").press_sequentially(SEARCH_TERM, delay=20)
    expect(page).to_have_url(re.compile(rf"[?&]search={SEARCH_TERM}(&|$)"))
    expect(page.locator("[data-showing]")).not_to_contain_text(f"of {total_before:,}")
    assert page.evaluate("window.__same_document") == "kept", "the search reloaded the page"
    total = showing(page)[2]
    assert 0 < total < total_before
    texts = page.locator("tr[data-row]").all_inner_texts()
    assert texts
    assert all(SEARCH_TERM in t.lower() for t in texts), texts
    expect(page.locator("#f-search")).to_be_focused()


def test_sort_by_user_and_reverse(page: Page) -> None:
    # People's conversations: names as the seed writes them ("Ava Thompson"), no system actor.
    open_view(page, "scope=workspace&category=inbox&per_page=100")
    header = page.locator("th.col-actor")
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))
    expect(page.locator("th.col-time")).to_have_attribute("aria-sort", "descending")

    header.get_by_role("link", name="User").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=actor(&|$)"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(header.locator(".sort__ind")).to_have_text("▲")
    names = column_texts(page, ".who__name")
    assert len(set(names)) > 2, names
    assert names == sorted(names, key=str.casefold), names

    header.get_by_role("link", name="User").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-actor(&|$)"))
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(header.locator(".sort__ind")).to_have_text("▼")
    reversed_names = column_texts(page, ".who__name")
    assert len(set(reversed_names)) > 2, reversed_names
    assert reversed_names == sorted(reversed_names, key=str.casefold, reverse=True)
    assert reversed_names[0] != names[0]


def test_next_page_and_rows_per_page(page: Page) -> None:
    # The page visit itself is recorded (activity_log.viewed): the inbox keeps totals still.
    open_view(page, "scope=workspace&category=inbox")
    total = showing(page)[2]
    assert total > 50
    first_page = row_ids(page)

    page.locator(".pager").get_by_role("link", name="Next").click()
    expect(page.locator("[data-showing]")).to_have_text(f"Showing 21–40 of {total:,}")
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(page.locator("tr[data-row]")).to_have_count(20)
    assert not set(row_ids(page)) & set(first_page)
    expect(page.locator(".pager [aria-current=page]")).to_have_text(re.compile(r"2$"))

    page.locator("#f-per-page").select_option("50")
    expect(page.locator("[data-showing]")).to_have_text(f"Showing 1–50 of {total:,}")
    expect(page.locator("tr[data-row]")).to_have_count(50)
    expect(page).to_have_url(re.compile(r"[?&]per_page=50(&|$)"))
    assert "page=2" not in page.url


def test_detail_of_an_update_shows_its_changes(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days&event=updated")
    verbs = column_texts(page, ".col-verb .badge")
    assert verbs
    assert set(verbs) == {"Updated"}, verbs
    row = page.locator("tr[data-row]").first
    event_id = row.get_attribute("data-id")
    reply = page.request.get(f"/api/v1/events/{event_id}")
    assert reply.ok, reply.text()
    event = reply.json()
    changes = {k: v for k, v in event["changes"].items() if v.get("before") != v.get("after")}
    assert changes, event

    details = row.get_by_role("link", name=re.compile(r"^Details of entry"))
    details.click()
    dialog = page.locator("dialog#detail")
    expect(dialog).to_be_visible()
    sentence = dialog.locator("#detail-sentence")
    expect(sentence).not_to_have_text("")
    expect(sentence).to_be_focused()
    expect(dialog.locator(".detail__badges")).to_contain_text("Updated")

    diff = dialog.locator("table.diff")
    expect(diff.locator("thead th")).to_have_text(["Field", "Before", "After"])
    rows = diff.locator("tbody tr")
    expect(rows).to_have_count(len(changes))
    shown = {
        rows.nth(i).locator("th").inner_text().strip(): (
            rows.nth(i).locator(".diff__before .diff__val").inner_text(),
            rows.nth(i).locator(".diff__after .diff__val").inner_text(),
        )
        for i in range(len(changes))
    }
    assert shown == {
        name: (format_value(c.get("before")), format_value(c.get("after")))
        for name, c in changes.items()
    }
    expect(dialog.locator(".integrity")).to_have_text(re.compile(r"^\s*Verified\s*$"))
    assert event["integrity"]["verified"] is True
    expect(dialog.locator(".dl").last).to_contain_text(f"#{event['seq']}")
    screenshot(page, "browser-detail-update.png", full_page=False)

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(details).to_be_focused()
    assert row_ids(page)[0] == event_id
