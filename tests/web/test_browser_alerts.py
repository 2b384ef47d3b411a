"""The Alerts page in headless Chromium: an owner follows the header's count to the open
alerts, opens one, sees its entries in the Activity Log, acknowledges and resolves it,
turns a rule off, and adds a rule from the Activity Log's filters; axe-core finds nothing
on the way (desktop and phone); a member has no way in. Screenshots go to
tests/artifacts/alerts-*.png."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from activitylog.alerts import Alerts
from activitylog.alerts.follower import AlertFollower
from activitylog.delivery import Channels, Sender, delivery_followers
from activitylog.followers import Following

from ._axe import assert_accessible
from ._browser import PHONE, expect, open_view, row_ids, screenshot, settled, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OWNER = EMAIL_BY_ROLE["owner"]


def _follow(world: World) -> None:
    assert Following(world.state.log).catch_up([AlertFollower(world.state.log)]) == []


def _failed_sign_ins(world: World, account: str, ip: str, count: int) -> None:
    subject = {"type": "user", "id": account, "name": account}
    world.state.log.record_many(
        [
            {
                "workspace": "acme",
                "action": "auth.sign_in_failed",
                "result": "failure",
                "ip": ip,
                "subject": subject,
            }
            for _ in range(count)
        ]
    )
    _follow(world)


@pytest.fixture(scope="module")
def alerted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A seeded log whose ``alerts`` follower raised two alerts in acme."""
    world = build_world(tmp_path_factory.mktemp("alerts"), 500)
    log = world.state.log
    with socket.socket() as sock:  # a receiver that is down: the attempts fail
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    Channels(log.store.engine).add(
        "acme", "webhook", f"http://127.0.0.1:{port}/hook", by="test", allow_private=True
    )
    _follow(world)  # from the end of the seeded log
    assert Following(log).catch_up(delivery_followers(log)) == []
    _failed_sign_ins(world, "ava.thompson@acme.example", "203.0.113.9", 6)
    _failed_sign_ins(world, "ben.ortiz@acme.example", "198.51.100.7", 5)
    assert Following(log).catch_up(delivery_followers(log)) == []
    assert Sender(log).send_due() == 2
    yield world
    world.state.log.close()


@pytest.fixture(scope="module")
def live(alerted: World) -> Iterator[LiveServer]:
    server = LiveServer(alerted.app).start()
    yield server
    server.close()


def _open_alerts(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Alerts")
    ).click()
    page.wait_for_url(re.compile(r"/alerts\?"))
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()


def test_an_owner_handles_an_alert_from_the_header_to_resolved(
    browser: Browser, live: LiveServer, alerted: World
) -> None:
    facade = Alerts(alerted.state.log)
    newest, older = facade.list("acme")  # newest first
    with signed_in(browser, live.url, OWNER) as page:
        badge = page.locator("[data-open-alerts]")
        expect(badge).to_have_text("2")
        _open_alerts(page)
        expect(page).to_have_url(re.compile(r"tz=Europe%2FBerlin"))
        rows = page.locator("tr[data-alert]")
        expect(rows).to_have_count(2)
        assert rows.evaluate_all("rs => rs.map(r => r.dataset.alert)") == [newest.id, older.id]
        assert_accessible(page, "the alerts list")
        screenshot(page, "alerts-list-desktop.png")

        page.get_by_role("link", name=older.summary).click()
        page.wait_for_url(re.compile(rf"/alerts/{older.id}"))
        expect(page.get_by_role("heading", level=1)).to_have_text(older.summary)
        expect(page.locator("tr[data-entry]")).to_have_count(6)
        attempt = page.locator(".deliveries-table tbody tr")
        expect(attempt).to_have_count(1)
        expect(attempt).to_contain_text("Failed")
        expect(attempt).to_contain_text("next try")
        assert_accessible(page, "an open alert")
        screenshot(page, "alerts-detail-desktop.png")

        page.get_by_role("link", name="Show in Activity Log").click()
        page.wait_for_url(re.compile(r"/activity\?"))
        settled(page)
        assert sorted(row_ids(page)) == sorted(older.event_ids)
        page.go_back()
        page.wait_for_url(re.compile(rf"/alerts/{older.id}"))

        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_role("status")).to_have_text("Alert acknowledged.")
        expect(page.locator("[data-alert-status]")).to_have_text("Acknowledged")
        expect(badge).to_have_text("1")  # one alert is open now
        expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)

        page.get_by_label("Note").fill("Ava had a new password manager; nothing malicious.")
        page.get_by_role("button", name="Resolve").click()
        expect(page.get_by_role("status")).to_have_text("Alert resolved.")
        expect(page.locator("[data-alert-status]")).to_have_text("Resolved")
        expect(page.locator(".alert-note")).to_have_text(
            "Ava had a new password manager; nothing malicious."
        )
        expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
        assert_accessible(page, "a resolved alert")
        screenshot(page, "alerts-resolved-desktop.png")

    done = facade.get(older.id)
    assert done is not None
    assert (done.status, done.acknowledged_by, done.resolved_by) == (
        "resolved",
        "Ava Thompson",
        "Ava Thompson",
    )


def test_an_owner_turns_a_rule_off_and_adds_one_from_the_activity_log(
    browser: Browser, live: LiveServer, alerted: World
) -> None:
    with signed_in(browser, live.url, OWNER) as page:
        _open_alerts(page)
        rule = page.locator('[data-rule="failed_sign_in_burst"]')
        switch = rule.get_by_role("checkbox", name=re.compile("^On"))
        expect(switch).to_be_checked()
        switch.uncheck()
        rule.get_by_role("button", name=re.compile("^Save")).click()
        expect(page.get_by_role("status")).to_have_text("Rule saved.")
        expect(switch).not_to_be_checked()

        open_view(page, "scope=workspace&events=auth.signed_in")
        screenshot(page, "alerts-activity-header.png", full_page=False)
        # the script updates the URL
        page.get_by_label("Result", exact=True).select_option("success")
        expect(page).to_have_url(re.compile(r"result=success"))
        settled(page)
        page.get_by_role("link", name="Alert on these filters").click()
        page.wait_for_url(re.compile(r"/alerts\?.*#new-rule"))
        filters = page.get_by_label("Activity Log filters")
        expect(filters).to_have_value(re.compile(r"^/activity\?.*events=auth\.signed_in"))
        expect(filters).to_have_value(re.compile(r"result=success"))
        page.get_by_label("Name", exact=True).fill("sign_ins_per_person")
        page.get_by_label("At least (entries)").fill("20")
        page.get_by_label("Within", exact=True).select_option("60")
        page.get_by_label("Counted for").select_option("actor")
        page.locator("#new-severity").select_option("low")
        assert_accessible(page, "the rules, a rule being added")
        page.locator("#new-rule").scroll_into_view_if_needed()
        screenshot(page, "alerts-rules-desktop.png", full_page=False)
        page.get_by_role("button", name="Add rule").click()
        expect(page.get_by_role("status")).to_have_text("Rule added.")
        expect(page.locator('[data-rule="sign_ins_per_person"]')).to_be_visible()

    facade = Alerts(alerted.state.log)
    assert facade.rule("acme", "failed_sign_in_burst").enabled is False
    added = facade.rule("acme", "sign_ins_per_person")
    assert (added.threshold, added.window, added.per, added.severity) == (20, 60, "actor", "low")
    assert dict(added.filters or {}) == {"events": ["auth.signed_in"], "results": ["success"]}


def test_the_alerts_page_on_a_phone(browser: Browser, live: LiveServer, alerted: World) -> None:
    with signed_in(browser, live.url, OWNER, viewport=PHONE) as page:
        page.goto("/alerts?status=open")  # a link without a zone: shown in the browser's
        expect(page).to_have_url(re.compile(r"/alerts\?status=open&tz=Europe%2FBerlin$"))
        expect(page.locator("time").first).to_have_attribute("datetime", re.compile("Z$"))
        _open_alerts(page)
        assert_accessible(page, "the alerts list on a phone")
        screenshot(page, "alerts-list-phone.png", full_page=False)
        followers = page.locator("#followers")
        followers.scroll_into_view_if_needed()
        for label in ("Position", "Behind", "Delay"):  # nothing of the lag hidden
            expect(
                followers.locator(f'[data-follower="alerts"] [data-label="{label}"]')
            ).to_be_visible()
        followers.screenshot(path=screenshot(page, "alerts-followers-phone.png", full_page=False))
        page.locator("tr[data-alert] a").first.click()
        page.wait_for_url(re.compile(r"/alerts/"))
        assert_accessible(page, "an alert on a phone")
        screenshot(page, "alerts-detail-phone.png")


def test_a_member_has_no_way_in(browser: Browser, live: LiveServer) -> None:
    with signed_in(browser, live.url, EMAIL_BY_ROLE["member"]) as page:
        expect(page.get_by_role("link", name=re.compile("^Alerts"))).to_have_count(0)
        expect(page.get_by_role("link", name="Alert on these filters")).to_have_count(0)
        reply = page.goto("/alerts")
        assert reply is not None
        assert reply.status == 403
        expect(page.get_by_role("heading", name="Alerts are for admins")).to_be_visible()
        assert_accessible(page, "the member's 403 page")
