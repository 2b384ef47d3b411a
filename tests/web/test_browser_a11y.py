"""Keyboard and screen readers on the Activity Log page, in headless Chromium: axe-core over
the main states (desktop and phone), focus after fragment updates, the live region, the
single-key shortcuts and their switch, Tab from a selection to the bulk bar, selects that
apply a keyboard step only when committed, and the phone's header controls.

Nothing here changes the module's log except the page's own audit entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._axe import assert_accessible
from ._browser import (
    DESKTOP,
    PHONE,
    expect,
    open_view,
    row_ids,
    screenshot,
    settled,
    showing,
    signed_in,
)
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

OWNER = EMAIL_BY_ROLE["owner"]
ANNOUNCER = "[data-announce]"
UNKNOWN_ID = "01900000-0000-7000-8000-00000000ffff"


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with signed_in(browser, server.url, OWNER) as signed:
        yield signed


# -- axe-core -------------------------------------------------------------------------------
@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_axe_finds_no_violation_in_the_main_states(
    browser: Browser, server: LiveServer, viewport: ViewportSize, label: str
) -> None:
    with signed_in(browser, server.url, OWNER, viewport=viewport) as page:
        assert_accessible(page, f"the landing page ({label})")

        open_view(page, "scope=workspace&range=last_30_days&search=evans")
        expect(page.locator("tr[data-row] mark").first).to_be_visible()
        assert_accessible(page, f"a search with marked matches ({label})")

        open_view(page, "scope=workspace&range=last_30_days")
        page.locator("tr[data-row] [data-select]").nth(1).check()
        expect(page.locator("[data-bulkbar]")).to_be_visible()
        assert_accessible(page, f"a selection with the bulk bar ({label})")
        screenshot(page, f"a11y-bulkbar-{label}.png", full_page=False)

        page.locator("tr[data-row] [data-details]").first.click()
        expect(page.locator("#detail-sentence")).to_be_focused()
        assert_accessible(page, f"the detail panel ({label})")
        screenshot(page, f"a11y-detail-{label}.png", full_page=False)
        page.keyboard.press("Escape")

        page.locator("[data-bulkbar]").get_by_role("button", name="Delete selected").click()
        expect(page.locator("dialog#confirm-delete")).to_be_visible()
        assert_accessible(page, f"the delete confirmation ({label})")
        page.keyboard.press("Escape")

        open_view(page, "scope=workspace&search=nothing-matches-this")
        expect(page.locator(".empty__title")).to_be_visible()
        assert_accessible(page, f"the empty state ({label})")

        page.goto(f"/activity/events/{row_ids_of(page, 'scope=workspace')[0]}")
        expect(page.locator("h1")).to_have_count(1)
        assert_accessible(page, f"an entry's page ({label})")
        screenshot(page, f"a11y-entry-page-{label}.png")

        reply = page.goto(f"/activity/events/{UNKNOWN_ID}")
        assert reply is not None
        assert reply.status == 404
        expect(page.locator("main h1")).to_have_text("Entry not found")
        assert_accessible(page, f"an unknown entry's URL ({label})")
        screenshot(page, f"a11y-entry-404-{label}.png")


def row_ids_of(page: Page, query: str) -> list[str]:
    open_view(page, query)
    return row_ids(page)


# -- focus and announcements ----------------------------------------------------------------
def test_focus_stays_on_the_control_used_after_a_fragment_update(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")

    page.locator("#sort-actor").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]sort=actor(&|$)"))
    expect(page.locator("#sort-actor")).to_be_focused()

    page.locator("#group-hourly").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]group=hourly(&|$)"))
    expect(page.locator("#group-hourly")).to_be_focused()

    page.locator(".pager").get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(page.locator("#events-title")).to_be_focused()

    page.locator("#filters-reset").focus()
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"sort=actor"))
    expect(page.locator("#filters-reset")).to_be_focused()

    page.locator("tr[data-row] [data-select]").first.check()
    page.locator("[data-bulkbar]").get_by_role("button", name="Clear").click()
    expect(page.locator("[data-bulkbar]")).to_be_hidden()
    expect(page.locator("#events-title")).to_be_focused()

    open_view(page, "scope=workspace&range=last_30_days&category=contacts")
    page.locator("tr[data-row] [data-details]").first.click()
    expect(page.locator("#detail-sentence")).to_be_focused()
    page.get_by_role("link", name="All activity on this subject").click()
    # the first contacts entry's subject (a contact, a segment: the shared world grows)
    expect(page).to_have_url(re.compile(r"[?&]subject_type=[a-z_]+&subject_id=[^&]+(&|$)"))
    expect(page.locator("#events-title")).to_be_focused()
    assert_accessible(page, "a subject's activity, after fragment updates")


def test_results_are_announced_in_a_polite_live_region(page: Page) -> None:
    announcer = page.locator(ANNOUNCER)
    expect(announcer).to_have_attribute("aria-live", "polite")
    open_view(page, "scope=workspace&range=last_30_days")
    page.locator("#f-category").select_option("inbox")
    expect(page).to_have_url(re.compile(r"[?&]category=inbox(&|$)"))
    total = showing(page)[2]
    expect(announcer).to_have_text(f"Showing 1–20 of {total:,}")

    page.locator("#f-search").fill("nothing-matches-this")
    expect(page.locator(".empty__title")).to_be_visible()
    expect(announcer).to_contain_text("No activity matches these filters")


# -- shortcuts ------------------------------------------------------------------------------
def test_slash_searches_only_where_no_control_wants_the_key(page: Page) -> None:
    search = page.locator("#f-search")
    box = page.locator("tr[data-row] [data-select]").first
    box.focus()
    page.keyboard.press("/")
    expect(search).to_be_focused()  # a checkbox does not take "/"
    expect(box).not_to_be_checked()

    page.locator("#f-per-page").focus()
    page.keyboard.press("/")
    expect(page.locator("#f-per-page")).to_be_focused()  # a select's type-ahead does

    page.locator("#delete-reason").evaluate("el => el.closest('dialog').showModal()")
    page.locator("#delete-reason").focus()
    page.keyboard.press("/")
    expect(page.locator("#delete-reason")).to_have_value("/")


def test_single_key_shortcuts_can_be_turned_off_and_it_is_kept(page: Page) -> None:
    switch = page.get_by_label("Single-key shortcuts")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(page.locator("[data-shortcut-hint]")).to_be_hidden()

    rows = page.locator("tr[data-row]")
    rows.first.focus()
    page.keyboard.press("/")
    expect(page.locator("#f-search")).not_to_be_focused()
    page.keyboard.press("j")
    expect(rows.first).to_be_focused()
    page.keyboard.press("x")
    expect(rows.first.locator("[data-select]")).not_to_be_checked()
    page.keyboard.press("ArrowDown")  # not a single character: still works
    expect(rows.nth(1)).to_be_focused()

    page.reload()
    settled(page)
    expect(page.get_by_label("Single-key shortcuts")).not_to_be_checked()
    page.locator("tr[data-row]").first.focus()
    page.keyboard.press("/")
    expect(page.locator("#f-search")).not_to_be_focused()
    page.get_by_label("Single-key shortcuts").check()
    page.locator("tr[data-row]").first.focus()
    page.keyboard.press("/")
    expect(page.locator("#f-search")).to_be_focused()


# -- selection and selects ------------------------------------------------------------------
def test_the_bulk_bar_is_the_next_tab_stop_after_a_selection(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")
    bar = page.locator("[data-bulkbar]")
    box = page.locator("tr[data-row] [data-select]").nth(3)
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(bar).to_be_visible()

    page.keyboard.press("Tab")
    expect(bar.get_by_role("button", name="Export selected")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(box).to_be_focused()
    page.keyboard.press("Tab")
    clear = bar.get_by_role("button", name="Clear")
    clear.focus()
    page.keyboard.press("Tab")
    expect(page.locator("tr[data-row] [data-details]").nth(3)).to_be_focused()
    screenshot(page, "a11y-bulkbar-after-tab.png", full_page=False)


def test_arrowing_through_a_filter_select_fetches_once_when_committed(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/activity/partials" in r.url else None)
    url = page.url
    select = page.locator("#f-category")
    select.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(400)
    assert fetched == [], "each keyboard step fetched"
    assert page.url == url
    chosen = select.input_value()
    assert chosen

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]category={chosen}(&|$)"))
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-loading\b"))
    assert len(fetched) == 1, fetched
    expect(page.locator("#f-category")).to_be_focused()

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # leaving the select commits the step too
    expect(page).not_to_have_url(re.compile(rf"[?&]category={chosen}(&|$)"))
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-loading\b"))
    assert len(fetched) == 2, fetched

    page.go_back()
    expect(page).to_have_url(re.compile(rf"[?&]category={chosen}(&|$)"))
    page.locator("#f-result").select_option("failure")  # a pick applies at once
    expect(page).to_have_url(re.compile(r"[?&]result=failure(&|$)"))


def test_the_drawer_heading_shows_its_focus(page: Page) -> None:
    page.locator("tr[data-row]").first.focus()
    page.keyboard.press("Enter")
    heading = page.locator("#detail-sentence")
    expect(heading).to_be_focused()
    style, width = heading.evaluate(
        "h => [getComputedStyle(h).outlineStyle, getComputedStyle(h).outlineWidth]"
    )
    assert style == "solid", style
    assert width != "0px", width


# -- phones ---------------------------------------------------------------------------------
def test_a_phone_offers_sort_and_select_all_and_hides_nothing_focusable(
    browser: Browser, server: LiveServer
) -> None:
    with signed_in(browser, server.url, OWNER, viewport=PHONE) as page:
        open_view(page, "scope=workspace&range=last_30_days")
        expect(page.locator(".events thead")).to_be_hidden()
        hidden = page.evaluate(
            """() => Array.from(document.querySelectorAll('#table :is(a[href],'
                + ' button:not([disabled]), input, select, [tabindex="0"])'))
              .filter((el) => !el.closest('[hidden]'))
              .filter((el) => getComputedStyle(el).visibility !== 'hidden')
              .filter((el) => {
                const r = el.getBoundingClientRect();
                const shown = el.getClientRects().length > 0;
                return shown && (r.width < 2 || r.height < 2);
              }).map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert hidden == [], f"focusable but not visible: {hidden}"

        select_all = page.get_by_label("Select all on this page")
        expect(select_all).to_be_visible()
        select_all.check()
        expect(page.locator("tr[data-row] [data-select]:checked")).to_have_count(20)
        expect(page.locator("[data-bulkbar] [data-selected-count]")).to_have_text("20")
        screenshot(page, "a11y-phone-select-all.png", full_page=False)
        select_all.uncheck()

        sort = page.get_by_label("Sort", exact=True)
        expect(sort).to_have_value(re.compile(r"^/activity"))
        sort.focus()
        sort.select_option(label="User (A–Z)")
        expect(page).to_have_url(re.compile(r"[?&]sort=actor(&|$)"))
        names = [n.strip() for n in page.locator(".who__name").all_inner_texts()]
        assert names == sorted(names, key=str.casefold), names
        expect(page.get_by_label("Sort", exact=True)).to_be_focused()

        ips = page.locator("tr[data-row] .col-ip")
        expect(ips.first).to_be_visible()
        screenshot(page, "a11y-phone-cards.png")
