"""The settings panel's retention, legal hold and scheduled export, in headless Chromium:
an owner keeps entries 30 days and exports weekly PDFs, on a desktop and a phone.
Screenshots go to tests/artifacts/settings-panel-*.png."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._axe import assert_accessible
from ._browser import PHONE, expect, screenshot, settled, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, World

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OWNER = EMAIL_BY_ROLE["owner"]


def _open_panel(page: Page) -> None:
    page.locator(".settings-panel > summary").click()
    expect(page.locator(".settings-panel__body")).to_be_visible()


def test_an_owner_sets_retention_and_a_scheduled_export(
    browser: Browser, server: LiveServer, world: World
) -> None:
    accounts = world.state.accounts
    accounts.change_workspace_settings("acme", {"legal_hold": "Litigation 2026-114"}, by="op")
    with signed_in(browser, server.url, OWNER) as page:
        _open_panel(page)
        expect(page.get_by_role("radio", name="Platform default (forever)")).to_be_checked()
        expect(page.get_by_role("note")).to_have_text(
            "Legal hold: Litigation 2026-114. Nothing is purged until the hold is released."
        )
        days = page.get_by_role("spinbutton", name="Days to keep entries")
        days.fill("30")  # typing a number chooses "For N days"
        expect(page.locator("#retention-days-choice")).to_be_checked()
        page.get_by_label("Schedule", exact=True).select_option("weekly")
        page.get_by_label("Format", exact=True).select_option("pdf")
        assert_accessible(page, "the settings panel, open")
        screenshot(page, "settings-panel-desktop.png", full_page=False)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"/activity"))
        settled(page)

        after = accounts.workspace_settings("acme")
        assert (after.retention_days, after.export_schedule, after.export_format) == (
            30,
            "weekly",
            "pdf",
        )
        [entry] = world.state.log.query(events=["workspace.settings_updated"]).items
        assert entry["changes"] == {
            "retention_days": {"before": None, "after": 30},
            "export_schedule": {"before": "off", "after": "weekly"},
            "export_format": {"before": "csv", "after": "pdf"},
        }
        _open_panel(page)
        expect(page.locator("#retention-days-choice")).to_be_checked()
        expect(days).to_have_value("30")
        expect(page.get_by_label("Schedule", exact=True)).to_have_value("weekly")
        expect(page.get_by_text("Each closed ISO week is exported once")).to_be_visible()

        # then forever
        page.get_by_role("radio", name="Forever", exact=True).check()
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"/activity"))
        assert accounts.workspace_settings("acme").retention_days == "forever"

    with signed_in(browser, server.url, OWNER, viewport=PHONE) as phone:
        _open_panel(phone)
        screenshot(phone, "settings-panel-phone.png", full_page=False)
        body = phone.locator(".settings-panel__body")
        box = body.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        phone.get_by_role("button", name="Save").scroll_into_view_if_needed()
        expect(phone.get_by_role("button", name="Save")).to_be_in_viewport()
        screenshot(phone, "settings-panel-phone.png", full_page=False)
