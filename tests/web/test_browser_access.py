"""Who sees what, in headless Chromium: the owner's settings panel, the 403 page a member
gets when the log is for admins, the role filter, platform admins' view across workspaces
(Workspace column, workspace and layer filters, the layer in the detail) and the header's
workspace switcher being recorded; axe-core over the new states. Screenshots go to
tests/artifacts/access-*.png."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._axe import assert_accessible
from ._browser import (
    ARTIFACTS,
    DESKTOP,
    TIMEZONE,
    column_texts,
    expect,
    open_view,
    screenshot,
    settled,
    signed_in,
)
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, PASSWORD, PEOPLE, World

if TYPE_CHECKING:
    from playwright.sync_api import Browser

OWNER = EMAIL_BY_ROLE["owner"]
MEMBER = EMAIL_BY_ROLE["member"]
STAFF = EMAIL_BY_ROLE["platform_admin"]


def test_an_owner_closes_the_log_to_members_who_then_get_the_403_page(
    browser: Browser, server: LiveServer, world: World
) -> None:
    with signed_in(browser, server.url, OWNER) as page:
        page.get_by_text("Workspace settings").click()
        panel = page.locator(".settings-panel__body")
        expect(panel).to_be_visible()
        expect(page.get_by_label("Everyone sees their own activity", exact=False)).to_be_checked()
        page.get_by_role("radio", name="Owners and admins", exact=True).check()
        screenshot(page, "access-settings-panel.png", full_page=False)
        assert_accessible(page, "the open settings panel")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"/activity"))
        settled(page)
        assert world.state.accounts.workspace_settings("acme").log_access == "admins"
        changed = world.state.log.query(events=["workspace.settings_updated"]).items
        assert changed[0]["changes"] == {"log_access": {"before": "own", "after": "admins"}}

    context = browser.new_context(base_url=server.url, viewport=DESKTOP, timezone_id=TIMEZONE)
    try:
        page = context.new_page()
        page.goto("/signin")
        page.get_by_label("Email").fill(MEMBER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/activity"))
        expect(page.get_by_role("heading", level=1)).to_have_text("The activity log is for admins")
        expect(page.get_by_text("open to owners and admins only")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert page.locator("html").get_attribute("lang") == "en"
        screenshot(page, "access-member-403.png")
        assert_accessible(page, "the 403 page of a log kept for admins")
    finally:
        context.close()
        world.state.accounts.change_workspace_settings("acme", {"log_access": "own"}, by="test")


def test_the_role_filter_shows_entries_by_the_actors_role_then(
    browser: Browser, server: LiveServer
) -> None:
    with signed_in(browser, server.url, OWNER) as page:
        open_view(page, "scope=workspace&range=last_30_days")
        page.get_by_label("Role", exact=True).select_option("admin")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"[?&]roles=admin(&|$)"))
        settled(page)
        reply = page.request.get("/api/v1/events?scope=workspace&range=last_30_days&roles=admin")
        admins = {e["actor"]["name"] for e in reply.json()["items"]}
        assert admins
        shown = set(column_texts(page, ".col-actor .who__name"))
        assert shown
        assert shown <= admins
        page.locator("#filters").screenshot(path=ARTIFACTS / "access-role-filter.png")


def test_platform_admins_see_which_workspace_and_layer(
    browser: Browser, server: LiveServer, world: World
) -> None:
    # The seeded entries hold only a few of acme's platform layer, which may sit just
    # outside the window at some times of day: one of the window for certain.
    staff_id = PEOPLE[STAFF][0]
    world.state.log.record(
        workspace="acme",
        layer="platform",
        action="impersonation.started",
        actor={"id": staff_id, "name": "Platform Staff", "type": "user"},
        details={"ticket": "SUP-4242"},
    )
    with signed_in(browser, server.url, STAFF) as page:
        open_view(page, "scope=workspace&range=last_30_days")
        expect(page.get_by_role("columnheader", name="Workspace")).to_be_visible()
        numbers = column_texts(page, ".col-num")
        assert numbers
        assert all(re.fullmatch(r"[\w-]+ #[\d,]+", n) for n in numbers), numbers
        assert {n.split(" #")[0] for n in numbers} >= {"acme"}
        screenshot(page, "access-all-workspaces.png", full_page=False)
        assert_accessible(page, "a platform admin's view of all workspaces")
        page.locator(".table-card").screenshot(path=ARTIFACTS / "access-all-workspaces-table.png")

        page.get_by_label("Layer", exact=True).select_option("platform")
        page.get_by_label("In workspace").select_option("acme")
        page.get_by_role("button", name="Filter").click()
        for applied in ("layer=platform", "workspace=acme", "range=last_30_days"):
            expect(page).to_have_url(re.compile(applied))
        settled(page)
        expect(page.get_by_role("columnheader", name="Workspace")).to_have_count(0)
        # acme's platform-layer entries of the window: impersonations by platform staff
        first = page.locator("tr[data-row] [data-details]").first
        expect(first).to_be_visible()
        first.click()
        detail = page.locator("#detail")
        expect(detail).to_be_visible()
        layer = detail.locator("dt:text-is('Layer') + dd")
        expect(layer).to_have_text("Platform · done by platform staff")
        screenshot(page, "access-platform-detail.png", full_page=False)


def test_the_header_switcher_records_entering_a_workspace(
    browser: Browser, server: LiveServer, world: World
) -> None:
    world.state.accounts.set_role(OWNER, "globex", "admin")
    assert PEOPLE[OWNER][1] == "acme"
    try:
        with signed_in(browser, server.url, OWNER) as page:
            page.locator("#ws-select").select_option("globex")
            expect(page.locator(".page-sub")).to_contain_text("globex")
            settled(page)
            screenshot(page, "access-switched.png", full_page=False)
        entered = world.state.log.query(
            events=["workspace.switched"], workspace="globex", range="today"
        ).items
        assert entered[0]["details"] == {"from": "acme", "to": "globex"}
        assert entered[0]["actor"]["role"] == "admin"
    finally:
        world.state.accounts.remove_user(OWNER, "globex")
