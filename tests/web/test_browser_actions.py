"""The Activity Log page in headless Chromium: exporting, bulk deleting, what a member may
see, a phone-sized screen, and hostile text shown as text.

The delete test changes the module's log (it works inside the inbox, where nothing else
here looks); the hostile-input test records into a fresh, empty world of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from activitylog.exports import CSV_COLUMNS

from ._browser import (
    PHONE,
    column_texts,
    expect,
    open_view,
    row_ids,
    screenshot,
    showing,
    signed_in,
)
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OWNER = EMAIL_BY_ROLE["owner"]
MEMBER = EMAIL_BY_ROLE["member"]
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def api_events(page: Page, query: str) -> list[dict[str, Any]]:
    """``GET /api/v1/events`` with the page's session (the same cookie the page uses)."""
    reply = page.request.get(f"/api/v1/events?{query}")
    assert reply.ok, reply.text()
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def test_export_csv_downloads_the_view_and_is_recorded(
    browser: Browser, server: LiveServer
) -> None:
    with signed_in(browser, server.url, OWNER) as page:
        # Today's sign-ins and failures (this test's own sign-in among them): one page.
        open_view(page, "scope=workspace&category=auth&range=today&per_page=100")
        total = showing(page)[2]
        assert 0 < total <= 100, "a narrow view: every row fits the page"
        shown = set(row_ids(page))

        with page.expect_download() as info:
            page.get_by_role("link", name="Export CSV").click()
        download = info.value
        assert download.suggested_filename == "activity-acme.csv"
        text = Path(download.path()).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert len(rows) - 1 == total
        ids = {row[CSV_COLUMNS.index("id")] for row in rows[1:]}
        assert ids == shown
        assert {row[CSV_COLUMNS.index("category")] for row in rows[1:]} == {"auth"}

        recorded = api_events(page, "scope=workspace&event=activity_log.exported&range=today")
        mine = [e for e in recorded if e["actor"]["id"] == "u_ava"]
        assert mine, recorded
        details = mine[0]["details"]
        assert (details["format"], details["rows"]) == ("csv", total)
        assert details["filters"]["category"] == ["auth"]
        assert details["filters"]["completed"] is True


def test_owner_bulk_deletes_two_entries(browser: Browser, server: LiveServer) -> None:
    with signed_in(browser, server.url, OWNER) as page:
        # The inbox: this page's own audit entries (viewed, deleted) do not count here.
        open_view(page, "scope=workspace&category=inbox")
        total = showing(page)[2]
        victims = row_ids(page)[1:3]
        for event_id in victims:
            page.locator(f"tr[data-id='{event_id}'] [data-select]").check()
        bulkbar = page.locator("[data-bulkbar]")
        expect(bulkbar).to_be_visible()
        expect(bulkbar.locator("[data-selected-count]")).to_have_text("2")

        bulkbar.get_by_role("button", name="Delete selected").click()
        confirm = page.locator("dialog#confirm-delete")
        expect(confirm).to_be_visible()
        expect(confirm.locator("#delete-title")).to_have_text("Delete 2 entries?")
        expect(confirm.get_by_label("Reason")).to_be_focused()
        expect(confirm.get_by_label("Reason")).to_have_value("")
        reason = confirm.get_by_label("Reason")
        confirm.get_by_role("button", name="Delete entries").click()
        assert reason.evaluate("r => r.validity.valueMissing"), "the form asks for a reason"
        reason.fill("   ")
        confirm.get_by_role("button", name="Delete entries").click()
        expect(confirm.locator("[data-delete-error]")).to_have_text(
            "Give a reason: it is recorded with the deletion."
        )
        expect(confirm).to_be_visible()
        assert showing(page)[2] == total
        reason.fill("Personal data removal request #1234")
        confirm.get_by_role("button", name="Delete entries").click()

        expect(confirm).to_be_hidden()
        expect(page.locator("[data-toast]")).to_have_text("Deleted 2 entries")
        expect(page.locator("[data-showing]")).to_have_text(f"Showing 1–20 of {total - 2:,}")
        assert not set(victims) & set(row_ids(page))
        expect(bulkbar).to_be_hidden()

        for event_id in victims:
            reply = page.request.get(f"/api/v1/events/{event_id}")
            assert reply.ok, reply.text()
            tombstone = reply.json()
            assert tombstone["deleted_at"]
            assert tombstone["deleted_by"] == "u_ava"
            assert tombstone["delete_reason"] == "Personal data removal request #1234"
            assert (tombstone["description"], tombstone["actor"]) == (None, None)
        recorded = api_events(page, "scope=workspace&event=activity_log.deleted&range=today")
        assert any(sorted(e["details"]["ids"]) == sorted(victims) for e in recorded), recorded


def test_member_sees_only_their_own_activity(browser: Browser, server: LiveServer) -> None:
    with signed_in(browser, server.url, MEMBER) as page:
        # The seed names him; the test world's account has no name, so his sign-ins
        # show the default one (the address's local part). The hover names the address.
        names = column_texts(page, ".who__name")
        assert names
        assert set(names) <= {"Diego Alvarez", "diego.alvarez"}, names
        titles = page.locator("tr[data-row] .who").evaluate_all("w => w.map(e => e.title)")
        assert len(titles) == len(names)
        assert all(t.split(" · ")[0] == MEMBER for t in titles), titles
        expect(page.locator("#f-scope-workspace")).to_have_count(0)
        expect(page.locator("fieldset.segmented")).to_have_count(0)
        expect(page.locator("#f-user option").first).to_have_text("Me")
        expect(page.locator("[data-delete-selected]")).to_have_count(0)
        expect(page.locator("dialog#confirm-delete")).to_have_count(0)
        page.locator("tr[data-row] [data-select]").first.check()
        expect(page.locator("[data-bulkbar]")).to_be_visible()
        expect(page.get_by_role("button", name="Delete selected")).to_have_count(0)

        reply = page.goto("/activity?scope=workspace")
        assert reply is not None
        assert reply.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("You can’t see this activity")
        expect(page.locator(".error-card__message")).to_contain_text(
            "Your role (member) shows only your own activity"
        )


def test_phone_width_has_no_horizontal_overflow(browser: Browser, server: LiveServer) -> None:
    with signed_in(browser, server.url, OWNER, viewport=PHONE) as page:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page is {width}px wide on a 390px screen"
        kpis = page.locator("#kpis .kpi")
        expect(kpis).to_have_count(5)
        expect(kpis.first).to_be_in_viewport()
        for i in range(5):
            expect(kpis.nth(i)).to_be_visible()
        expect(page.locator("tr[data-row]").first).to_be_visible()
        screenshot(page, "browser-activity-phone.png")


@pytest.fixture
def hostile_server(tmp_path: Path) -> Iterator[tuple[World, LiveServer]]:
    world = build_world(tmp_path, 0)
    world.state.log.record(
        workspace="acme",
        occurred_at=datetime.now(UTC).isoformat(),
        actor={"id": "u_ava", "name": "Ava Thompson", "role": "owner", "type": "user"},
        action="contact.updated",
        subject={"type": "contact", "id": "c_1", "name": "Jane Doe"},
        description=HOSTILE,
        details={"note": HOSTILE},
    )
    live = LiveServer(world.app).start()
    yield world, live
    live.close()
    world.state.log.close()


def test_hostile_text_is_shown_as_text(
    browser: Browser, hostile_server: tuple[World, LiveServer]
) -> None:
    _world, live = hostile_server
    with signed_in(browser, live.url, OWNER) as page:
        row = page.locator("tr[data-row]", has_text="window.__pwned = 1")
        expect(row.locator(".desc")).to_have_text(HOSTILE)
        assert page.locator("img[src=x], #table script").count() == 0

        row.locator("a[data-details]").click()
        dialog = page.locator("dialog#detail")
        expect(dialog.locator("pre.json")).to_contain_text(HOSTILE.replace('"', '\\"'))
        expect(dialog.get_by_text(HOSTILE, exact=True)).to_be_visible()
        assert dialog.locator("img, script").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
