"""The page's PDF exports in headless Chromium: the current filters, and a selection."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reports._pdf import pdf_text  # tests/reports (pytest puts tests/ on the path)

from ._browser import expect, open_view, row_ids, screenshot, showing, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE

if TYPE_CHECKING:
    from playwright.sync_api import Browser

OWNER = EMAIL_BY_ROLE["owner"]


def test_export_pdf_downloads_a_report_of_the_view(browser: Browser, server: LiveServer) -> None:
    with signed_in(browser, server.url, OWNER) as page:
        open_view(page, "scope=workspace&category=auth&range=today&per_page=100")
        total = showing(page)[2]
        screenshot(page, "pdf-export-buttons.png", full_page=False)
        with page.expect_download() as info:
            page.get_by_role("link", name="Export PDF").click()
        download = info.value
        assert download.suggested_filename == "activity.pdf"
        text = " ".join(pdf_text(Path(download.path()).read_bytes()).split())
        assert "Activity report: acme" in text
        assert "Categories: Authentication" in text
        assert f"{total:,}, newest first" in text


def test_export_selected_as_pdf_reports_the_chosen_rows(
    browser: Browser, server: LiveServer
) -> None:
    with signed_in(browser, server.url, OWNER) as page:
        open_view(page, "scope=workspace&category=inbox")
        chosen = row_ids(page)[:2]
        for event_id in chosen:
            page.locator(f"tr[data-id='{event_id}'] [data-select]").check()
        bulkbar = page.locator("[data-bulkbar]")
        expect(bulkbar).to_be_visible()
        screenshot(page, "pdf-export-selected.png", full_page=False)
        with page.expect_download() as info:
            bulkbar.get_by_role("button", name="Selected entries as a PDF report").click()
        download = info.value
        assert download.suggested_filename == "activity-selected.pdf"
        text = " ".join(pdf_text(Path(download.path()).read_bytes()).split())
        assert "Chosen entries: 2" in text
