"""The page's numbers in headless Chromium: the KPI cards add up and agree with the donut
in every view, the chart offers only groupings that draw more than one bar, and a deleted
entry's page says who deleted it, when and why, and that its kept hashes still verify.

Deleting changes the module's log: that test runs last here and works in the inbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._browser import TIMEZONE, expect, open_view, screenshot, settled, showing, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OWNER = EMAIL_BY_ROLE["owner"]
CLASSES = ("sign_ins", "writes", "reads_other")


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with signed_in(browser, server.url, OWNER) as signed:
        yield signed


def _number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def cards(page: Page) -> dict[str, tuple[int, str]]:
    """Each KPI card's value and hint, by key."""
    out = {}
    for card in page.locator("#kpis .kpi").all():
        key = str(card.get_attribute("aria-labelledby")).removeprefix("kpi-")
        hint = card.locator(".kpi__hint")
        out[key] = (_number(card.locator(".kpi__value").inner_text()), hint.inner_text().strip())
    return out


def donut_rows(page: Page) -> list[tuple[str, int, str]]:
    """The donut's legend: (label, value, percent text)."""
    rows = page.locator("#charts .donut__row").all()
    return [
        (
            row.locator(".donut__label").inner_text().strip(),
            _number(row.locator(".donut__value").inner_text()),
            row.locator(".donut__pct").inner_text().strip(),
        )
        for row in rows
    ]


@pytest.mark.parametrize(
    "query",
    [
        "scope=workspace",
        "scope=workspace&result=failure",
        "scope=workspace&category=auth",
        "scope=workspace&event=signed_out",
        "scope=workspace&search=sign",
        "scope=mine",
    ],
)
def test_kpi_cards_add_up_and_match_the_donut(page: Page, query: str) -> None:
    open_view(page, f"{query}&range=last_30_days")
    shown = cards(page)
    total = shown["total"][0]
    if total:
        assert showing(page)[2] == total
    assert sum(shown[key][0] for key in CLASSES) == total, shown
    legend = donut_rows(page)
    assert [label for label, _, _ in legend] == ["Sign-ins", "Writes", "Reads / other"]
    assert [value for _, value, _ in legend] == [shown[key][0] for key in CLASSES]
    percents = [pct for _, _, pct in legend]
    assert [shown[key][1] for key in CLASSES] == [
        f"{pct} of events" if total else "No events" for pct in percents
    ], "the cards' shares are the donut's"
    if total:
        whole = [0 if pct == "<1%" else int(pct.rstrip("%")) for pct in percents]
        assert sum(whole) == 100, percents
    expect(page.locator("#charts .donut__total")).to_have_text(f"{total:,}")
    series = page.locator("#charts .chart--volume .legend__value").all_inner_texts()
    assert sum(_number(text) for text in series) == total, "the volume counts the same events"
    if "result=failure" in query:
        # Failed sign-ins are neither sign-ins nor writes: they count as reads / other.
        assert shown["reads_other"][0] > 0, shown
        screenshot(page, "browser-kpis-failures.png")


@pytest.mark.parametrize(
    ("range_", "group", "offered", "current"),
    [
        ("today", "daily", ["Hourly"], "Hourly"),
        ("yesterday", "weekly", ["Hourly"], "Hourly"),
        ("last_7_days", "weekly", ["Hourly", "Daily"], "Daily"),
        ("last_7_days", "daily", ["Hourly", "Daily"], "Daily"),
        ("last_30_days", "weekly", ["Hourly", "Daily", "Weekly"], "Weekly"),
    ],
)
def test_the_chart_offers_only_groupings_with_more_than_one_bar(
    page: Page, range_: str, group: str, offered: list[str], current: str
) -> None:
    open_view(page, f"scope=workspace&range={range_}&group={group}")
    toggle = page.locator("#charts .chart--volume .toggle__item")
    expect(toggle).to_have_text(offered)
    expect(page.locator("#charts .toggle__item[aria-current='true']")).to_have_text(current)
    assert page.locator("#charts .volume__bar").count() > 1
    if range_ == "today":
        screenshot(page, "browser-chart-today-hourly.png")


def test_switching_the_grouping_keeps_to_bars_that_fit(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days&group=weekly")
    weekly = page.locator("#charts .volume__bar").count()
    assert 1 < weekly <= 6
    page.locator("#charts .toggle__item", has_text="Daily").click()
    expect(page).not_to_have_url(re.compile(r"[?&]group="))  # daily: the default
    expect(page.locator("#charts .toggle__item[aria-current='true']")).to_have_text("Daily")
    expect(page.locator("#charts .volume__bar")).to_have_count(30)
    # Down to one day: the daily choice goes, the chart draws hours.
    page.locator("#f-range").select_option("today")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]range=today(&|$)"))
    expect(page.locator("#charts .chart--volume .toggle__item")).to_have_text(["Hourly"])
    assert page.locator("#charts .volume__bar").count() > 1


def test_a_deleted_entrys_page_says_who_deleted_it_and_that_it_still_verifies(
    page: Page,
) -> None:
    open_view(page, "scope=workspace&category=inbox")
    victim = str(page.locator("tr[data-row]").nth(2).get_attribute("data-id"))
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    reply = page.request.post(
        "/api/v1/events/delete",
        headers={"X-CSRF-Token": str(token)},
        data={"ids": [victim], "reason": "Customer asked for erasure #77"},
    )
    assert reply.ok, reply.text()

    reported = page.request.get(f"/api/v1/events/{victim}").json()["integrity"]
    assert reported | {"checkpoint_seq": 0} == {
        "seq": reported["seq"],
        "content_ok": None,
        "linked": True,
        "checkpoint_seq": 0,
        "signature_ok": True,
        "verified": True,
        "deleted": True,
    }

    page.goto(f"/activity/events/{victim}?tz={TIMEZONE}")
    detail = page.locator("article.detail")
    expect(detail.locator("#detail-sentence")).to_have_text("This entry was deleted")
    badges = detail.locator(".detail__badges > span")
    expect(badges).to_have_text(["Deleted", "Content erased", re.compile("Hashes verify")])
    banner = detail.locator(".banner")
    expect(banner).to_contain_text(re.compile(r"Deleted by Ava Thompson \(u_ava\) on \w+ \d+, "))
    expect(banner).to_contain_text(f"({TIMEZONE}). Reason: Customer asked for erasure #77")
    integrity = detail.locator("[aria-labelledby=d-integrity]")
    expect(integrity.locator(".integrity")).to_have_text(
        "Deleted: the content is erased; its hashes are kept and still verify"
    )
    expect(integrity.locator(".integrity")).to_have_class(re.compile(r"integrity--ok"))
    expect(integrity).to_contain_text("Erased by the deletion; its hash is kept")
    expect(integrity.locator("dt:text-is('Link to previous') + dd")).to_have_text("Verifies")
    expect(integrity).to_contain_text("signature verifies")
    expect(integrity).not_to_contain_text("Broken")
    expect(integrity).not_to_contain_text("does not match")
    screenshot(page, "browser-deleted-entry.png")

    banner.get_by_role("link", name="See the deletion record").click()
    expect(page.locator("#detail-sentence")).to_contain_text("Ava Thompson")
    expect(page.locator("article.detail .integrity")).to_have_text("Verified")
    named = page.locator("article.detail [aria-labelledby=d-deleted]")
    expect(named.locator(".count")).to_have_text("1")
    screenshot(page, "browser-deletion-record.png")
    named.get_by_role("link", name=victim).click()
    expect(page.locator("#detail-sentence")).to_have_text("This entry was deleted")
    expect(page).to_have_url(re.compile(f"/activity/events/{victim}$"))


def test_the_api_and_the_page_count_alike(page: Page) -> None:
    open_view(page, "scope=workspace&range=last_30_days&result=failure")
    shown = cards(page)
    stats = page.request.get(
        f"/api/v1/stats?scope=workspace&range=last_30_days&result=failure&tz={TIMEZONE}"
    ).json()
    assert {key: shown[key][0] for key in ("total", *CLASSES)} == {
        key: stats["kpis"][key] for key in ("total", *CLASSES)
    }
    assert [f"{stats['split_percent'][key]}% of events" for key in CLASSES] == [
        shown[key][1].replace("<1%", "0%") for key in CLASSES
    ]
    settled(page)
