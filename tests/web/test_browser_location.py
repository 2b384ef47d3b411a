"""Where an entry's IP was, in headless Chromium: the Country filter (with its counts) narrows
the table, the IP's tooltip names the country and network, and the detail panel's "IP address
and location" section says it in full (or that the address is private)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from ._browser import PHONE, expect, open_view, screenshot, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: ip -> how many entries come from it.
FROM = {"2003::1": 3, "81.2.69.142": 2, "10.20.30.40": 1}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, LiveServer]]:
    world = build_world(tmp_path_factory.mktemp("location"), 0)
    log = world.state.log
    actor = {"id": "u_ben", "name": "Ben Ortiz", "role": "admin", "type": "user"}
    for ip, count in FROM.items():
        for n in range(count):
            log.record(
                workspace="acme",
                occurred_at=datetime.now(UTC).isoformat(),
                actor=actor,
                action="contact.updated",
                subject={"type": "contact", "id": f"c_{ip}_{n}", "name": f"Contact {n}"},
                ip=ip,
            )
    live = LiveServer(world.app).start()
    yield world, live
    live.close()
    log.close()


@pytest.fixture
def page(browser: Browser, site: tuple[World, LiveServer]) -> Iterator[Page]:
    with signed_in(browser, site[1].url, EMAIL_BY_ROLE["owner"]) as signed:
        yield signed


def test_the_country_filter_narrows_the_table(page: Page) -> None:
    open_view(page, "scope=workspace&range=today")
    country = page.get_by_label("Country", exact=True)
    expect(country.locator("option")).to_have_text(
        ["All countries", "Germany (3)", "United Kingdom (2)"]
    )
    country.select_option("DE")
    expect(page).to_have_url(re.compile(r"[?&]countries=DE(&|$)"))
    expect(page.locator("tr[data-row]")).to_have_count(3)
    expect(page.locator("tr[data-row] .ip")).to_have_text(["2003::1"] * 3)
    screenshot(page, "page-country-filter.png", full_page=False)


def test_the_ip_tooltip_and_the_detail_panel_say_where(page: Page) -> None:
    open_view(page, "scope=workspace&range=today")
    german = page.locator("tr[data-row] .ip", has_text="2003::1").first
    expect(german).to_have_attribute("title", "2003::1 · Germany (DE) · Deutsche Telekom AG")
    private = page.locator("tr[data-row] .ip", has_text="10.20.30.40")
    expect(private).to_have_attribute("title", "10.20.30.40 · Private address")

    rows = page.locator("tr[data-row]")
    rows.filter(has=page.locator(".ip", has_text="2003::1")).first.locator("[data-details]").click()
    dialog = page.locator("dialog#detail")
    expect(dialog.locator("#detail-sentence")).to_be_focused()
    section = dialog.locator(
        "section", has=page.get_by_role("heading", name="IP address and location")
    )
    expect(section).to_be_visible()
    expect(section).to_contain_text("2003::1")
    expect(section).to_contain_text("Germany (DE)")
    expect(section).to_contain_text("Deutsche Telekom AG")
    section.scroll_into_view_if_needed()
    screenshot(page, "page-ip-location.png", full_page=False)
    page.keyboard.press("Escape")

    rows.filter(has=page.locator(".ip", has_text="10.20.30.40")).locator("[data-details]").click()
    expect(dialog.locator("#detail-sentence")).to_be_focused()
    expect(dialog).to_contain_text("Private address")


def test_phones_show_the_location_too(browser: Browser, site: tuple[World, LiveServer]) -> None:
    with signed_in(browser, site[1].url, EMAIL_BY_ROLE["owner"], viewport=PHONE) as phone:
        open_view(phone, "scope=workspace&range=today&countries=GB")
        expect(phone.locator("tr[data-row]")).to_have_count(2)
        phone.locator("tr[data-row] [data-details]").first.click()
        dialog = phone.locator("dialog#detail")
        heading = dialog.get_by_role("heading", name="IP address and location")
        heading.scroll_into_view_if_needed()
        expect(heading).to_be_in_viewport()
        section = dialog.locator(
            "section", has=phone.get_by_role("heading", name="IP address and location")
        )
        expect(section).to_contain_text("United Kingdom (GB)")
        expect(section).to_contain_text("Andrews & Arnold Ltd")
        width = section.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        assert width, "the section is wider than the phone"
        screenshot(phone, "page-phone-ip-location.png", full_page=False)
