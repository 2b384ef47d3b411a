"""The page's own fixes in headless Chromium, over a small log built for them: selecting all
N matching (export and delete), search matches marked, subject links after the workspace's
``link_base``, IPv6 addresses, and the small ones (1 event, clipped names, nothing over the
rows, lined-up meters, disabled exports, one way of writing seq, chart and border contrast).

The select-all test deletes the day's entries: it comes last.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from activitylog.access import OPERATOR

from ._browser import PHONE, expect, open_view, screenshot, showing, signed_in
from ._server import LiveServer
from ._support import EMAIL_BY_ROLE, PEOPLE, World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OWNER = EMAIL_BY_ROLE["owner"]
GLOBEX_OWNER = next(e for e, (_, ws, role) in PEOPLE.items() if (ws, role) == ("globex", "owner"))
NOTES = 45
IPV6 = "2001:db8:85a3:1234:5678:8a2e:370:7334"
LONG_NAME = "Maximiliana Alexandrina Konstantinopoulou-Vandenberghe de la Fuente"
LINK_BASE = "https://app.example.com/"


def _now() -> str:
    return datetime.now(UTC).isoformat()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, LiveServer]]:
    world = build_world(tmp_path_factory.mktemp("page"), 0)
    log = world.state.log
    diego = {"id": "u_diego", "name": "Diego Alvarez", "role": "member", "type": "user"}
    for i in range(NOTES):
        log.record(
            workspace="acme",
            occurred_at=_now(),
            actor=diego,
            action="note.created",
            subject={"type": "note", "id": f"n_{i}", "name": f"Renewal plan {i}"},
            ip="198.51.100.7",
        )
    log.record(
        workspace="acme",
        occurred_at=_now(),
        actor=diego,
        action="contact.merged",
        description="Merged duplicate records",
        subject={"type": "contact", "id": "c_zq", "name": "Zelda Quux", "url": "/contacts/c_zq"},
        related=[{"type": "contact", "id": "c_old", "name": "Old Zelda", "url": "/contacts/c_old"}],
        ip=IPV6,
    )
    log.record(
        workspace="acme",
        occurred_at=_now(),
        actor={"id": "u_max", "name": LONG_NAME, "role": "member", "type": "user"},
        action="contact.updated",
        subject={"type": "contact", "id": "c_1", "name": "Jane Doe"},
        ip=IPV6,
    )
    log.record(
        workspace="globex",
        occurred_at=_now(),
        actor={"id": "u_jonas", "name": "Jonas Weber", "role": "owner", "type": "user"},
        action="note.created",
        subject={"type": "note", "id": "n_g", "name": "Kickoff"},
    )
    live = LiveServer(world.app).start()
    yield world, live
    live.close()
    log.close()


@pytest.fixture
def page(browser: Browser, site: tuple[World, LiveServer]) -> Iterator[Page]:
    with signed_in(browser, site[1].url, OWNER) as signed:
        yield signed


def covered_rows(page: Page, selector: str) -> list[int]:
    """Indexes of the table rows the element ``selector`` overlaps (it must be shown)."""
    found: list[int] = page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            const a = el.getBoundingClientRect();
            if (!a.width || !a.height) throw new Error(selector + " is not shown");
            return Array.from(document.querySelectorAll("tr[data-row]")).flatMap((row, i) => {
                const b = row.getBoundingClientRect();
                const apart = a.right <= b.left || b.right <= a.left
                    || a.bottom <= b.top || b.bottom <= a.top;
                return apart ? [] : [i];
            });
        }""",
        selector,
    )
    return found


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(...)`` colours."""

    def luminance(color: str) -> float:
        parts = [float(x) / 255 for x in re.findall(r"[\d.]+", color)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# -- search ----------------------------------------------------------------------------------
def test_search_marks_its_matches_and_names_a_matching_subject(page: Page) -> None:
    open_view(page, "scope=workspace&range=today&search=zelda")
    row = page.locator("tr[data-row]")
    expect(row).to_have_count(1)
    expect(row.locator(".desc")).to_have_text("Merged duplicate records")
    subject = row.locator(".desc__subject")
    expect(subject).to_have_text("Contact: Zelda Quux")
    expect(subject.locator("mark")).to_have_text("Zelda")
    row.scroll_into_view_if_needed()
    screenshot(page, "page-search-subject.png", full_page=False)

    open_view(page, "scope=workspace&range=today&search=DIEGO")
    marks = page.locator("tr[data-row] .who__name mark")
    expect(marks.first).to_have_text("Diego")
    assert page.locator("tr[data-row] .desc__subject").count() == 0

    open_view(page, "scope=workspace&range=today&search=8a2e")
    expect(page.locator("tr[data-row] .ip mark").first).to_have_text("8a2e")
    expect(page.locator("tr[data-row] .ip").first).to_have_text(IPV6)


# -- links -----------------------------------------------------------------------------------
def test_subject_links_follow_the_workspace_link_base(
    page: Page, site: tuple[World, LiveServer]
) -> None:
    accounts = site[0].state.accounts
    open_view(page, "scope=workspace&range=today&search=zelda")
    page.locator("tr[data-row] [data-details]").first.click()
    dialog = page.locator("dialog#detail")
    expect(dialog.locator("#detail-sentence")).to_be_focused()
    expect(dialog.get_by_role("link", name=re.compile("Zelda Quux"))).to_have_count(0)
    expect(dialog).to_contain_text("/contacts/c_zq")  # the URL as text
    page.keyboard.press("Escape")

    accounts.change_workspace_settings("acme", {"link_base": LINK_BASE}, by="test")
    try:
        page.locator("tr[data-row] [data-details]").first.click()
        expect(dialog.locator("#detail-sentence")).to_be_focused()
        subject = dialog.get_by_role("link", name=re.compile("Zelda Quux"))
        expect(subject).to_have_attribute("href", f"{LINK_BASE}contacts/c_zq")
        expect(subject).to_have_attribute("target", "_blank")
        related = dialog.get_by_role("link", name="Old Zelda")
        expect(related).to_have_attribute("href", f"{LINK_BASE}contacts/c_old")
        screenshot(page, "page-subject-link.png", full_page=False)
    finally:
        accounts.change_workspace_settings("acme", {"link_base": None}, by="test")


# -- IP addresses ----------------------------------------------------------------------------
def test_an_ipv6_address_is_shown_whole_and_phones_show_the_ip(
    page: Page, browser: Browser, site: tuple[World, LiveServer]
) -> None:
    open_view(page, "scope=workspace&range=today&category=contacts")
    cell = page.locator("tr[data-row] .ip").first
    expect(cell).to_have_text(IPV6)
    expect(cell).to_have_attribute("title", f"{IPV6} · Reserved address")  # documentation
    clipped = cell.evaluate("el => el.scrollWidth > el.clientWidth + 1")
    assert not clipped, "the address is cut off"
    lines = cell.evaluate("el => el.getClientRects().length && el.offsetHeight")
    assert lines > 20, "a long address wraps onto more lines instead"

    with signed_in(browser, site[1].url, OWNER, viewport=PHONE) as phone:
        open_view(phone, "scope=workspace&range=today&category=contacts")
        ip = phone.locator("tr[data-row] .col-ip").first
        expect(ip).to_be_visible()
        expect(ip).to_contain_text(IPV6)
        ip.scroll_into_view_if_needed()
        screenshot(phone, "page-phone-ipv6.png", full_page=False)


# -- the small ones --------------------------------------------------------------------------
def test_one_event_is_one_event(browser: Browser, site: tuple[World, LiveServer]) -> None:
    with signed_in(browser, site[1].url, GLOBEX_OWNER) as page:
        open_view(page, "scope=workspace&category=notes")
        expect(page.locator(".chart--volume .card__sub")).to_have_text("1 event in the last 7 days")
        expect(page.locator(".donut__caption")).to_have_text("event")


def test_a_long_actor_name_is_clipped_with_its_full_name_on_hover(page: Page) -> None:
    open_view(page, "scope=workspace&range=today&category=contacts")
    name = page.locator("tr[data-row] .who__name", has_text="Maximiliana")
    expect(name).to_have_attribute("title", LONG_NAME)
    assert name.evaluate("el => el.scrollWidth > el.clientWidth"), "shown with an ellipsis"
    box = name.bounding_box()
    assert box is not None
    assert box["width"] < 260


def test_nothing_covers_the_rows(page: Page) -> None:
    open_view(page, "scope=workspace&range=today")
    page.locator("tr[data-row] [data-select]").nth(2).check()
    bar = page.locator("[data-bulkbar]")
    expect(bar).to_be_visible()
    page.get_by_role("button", name="Refresh").click()
    toast = page.locator("[data-toast]")
    expect(toast).to_have_text("Refreshed")
    page.locator("tr[data-row] [data-select]").nth(2).check()
    expect(bar).to_be_visible()
    assert covered_rows(page, "[data-toast]") == []
    assert covered_rows(page, "[data-bulkbar]") == []
    screenshot(page, "page-bulkbar-and-status.png", full_page=False)


def test_meters_line_up_and_seq_reads_the_same_in_table_and_panel(page: Page) -> None:
    open_view(page, "scope=workspace&range=today")
    tracks = page.locator(".actor .meter").evaluate_all(
        "ms => ms.map((m) => { const r = m.getBoundingClientRect(); return [r.left, r.width]; })"
    )
    assert len(tracks) > 1
    assert len({(round(x), round(w)) for x, w in tracks}) == 1, tracks

    row = page.locator("tr[data-row]").first
    seq = row.locator(".col-num").inner_text().strip()
    assert re.fullmatch(r"#\d+", seq), seq
    row.locator("[data-details]").click()
    sequence = page.locator("dialog#detail dt", has_text="Sequence").locator("+ dd")
    expect(sequence).to_have_text(seq)


def test_export_is_disabled_when_nothing_matches(page: Page) -> None:
    open_view(page, "scope=workspace&search=nothing-matches-this")
    for name in ("Export CSV", "Export JSON"):
        expect(page.get_by_role("button", name=name)).to_be_disabled()
    open_view(page, "scope=workspace&range=today")
    for name in ("Export CSV", "Export JSON"):
        expect(page.get_by_role("link", name=name)).to_have_attribute("href", re.compile("export"))


def test_chart_series_and_control_borders_meet_3_to_1(page: Page) -> None:
    open_view(page, "scope=workspace&range=today")
    colours: dict[str, Any] = page.evaluate(
        """() => {
            const fill = (sel) => getComputedStyle(document.querySelector(sel)).fill;
            return {
                auth: getComputedStyle(document.body).getPropertyValue('--s-auth'),
                writes: fill('.texture__writes'),
                other: fill('.texture__other'),
                bars: fill('.hbars__bar'),
                select: getComputedStyle(document.querySelector('#f-category')).borderTopColor,
                search: getComputedStyle(document.querySelector('#f-search')).borderTopColor,
                segments: Array.from(document.querySelectorAll('.volume__bars .s-writes'))
                    .map((r) => [getComputedStyle(r).fill, getComputedStyle(r).stroke]),
            };
        }"""
    )
    card = "rgb(255, 255, 255)"
    auth = colours.pop("auth").strip()
    rgb = tuple(int(auth[i : i + 2], 16) for i in (1, 3, 5))
    assert contrast(f"rgb{rgb}", card) >= 3, auth
    segments = colours.pop("segments")
    assert segments, "the volume chart draws writes"
    for fill, stroke in segments:
        assert "texture-writes" in fill, "a texture, not colour alone"
        assert contrast(stroke, card) == 1.0, "a gap of the card's colour between neighbours"
    for name, colour in colours.items():
        assert contrast(colour, card) >= 3, f"{name}: {colour}"


# -- select all N matching -------------------------------------------------------------------
def test_select_all_matching_exports_and_deletes_every_matching_entry(
    page: Page, site: tuple[World, LiveServer]
) -> None:
    world = site[0]
    # No filter but today: the page's own visit, the export and the deletion are recorded
    # after it counted, and are not part of what it deletes.
    open_view(page, "scope=workspace&range=today")
    total = showing(page)[2]
    assert total > NOTES
    bar = page.locator("[data-bulkbar]")
    offer = bar.get_by_role("button", name=f"Select all {total} matching")
    page.locator("tr[data-row] [data-select]").first.check()
    expect(offer).to_be_hidden()  # offered once the whole page is selected

    page.locator("[data-select-all]").check()
    expect(offer).to_be_visible()
    offer.click()
    expect(bar.locator("[data-selected-count]")).to_have_text(str(total))
    expect(bar).to_contain_text("every entry matching the filters")
    expect(bar.get_by_role("button", name="Select only this page")).to_be_focused()
    screenshot(page, "page-select-all-matching.png", full_page=False)

    with page.expect_download() as info:
        bar.get_by_role("button", name="Export selected").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert len(rows) >= total  # the export reads the filters as they match now
    assert sum(r["action"] == "note.created" for r in rows) == NOTES

    bar.get_by_role("button", name="Delete selected").click()
    confirm = page.locator("dialog#confirm-delete")
    expect(confirm.locator("#delete-title")).to_have_text(f"Delete {total} entries?")
    confirm.get_by_label("Reason").fill("Test data")
    confirm.get_by_role("button", name="Delete entries").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("[data-toast]")).to_have_text(f"Deleted {total} entries")
    expect(page.locator("[data-announce]")).to_contain_text(f"Deleted {total} entries")
    left = world.state.log.query(workspace="acme", range="today", viewer=OPERATOR, per_page=100)
    assert left.items, "what was recorded after the count is still there"
    assert {e["category"] for e in left.items} == {"activity_log"}, left.items
