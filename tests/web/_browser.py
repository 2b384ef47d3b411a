"""Headless Chromium driven by Playwright's sync API, for the browser tests.

Chromium and Playwright are required, not optional: CI installs Debian's ``chromium``
(``CHROMIUM`` names another binary), so a missing one fails the tests with the fix
rather than skipping them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # a collection error, so the run fails: never a silent skip
    raise ImportError(
        "the browser tests need Playwright for Python: pip install playwright "
        "(never `playwright install`: the tests drive the system's Chromium)"
    ) from exc

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

from ._support import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEZONE = "Europe/Berlin"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: How long ``expect`` waits for the page (the default 5 s is tight on a busy CI runner).
EXPECT_TIMEOUT_MS = 10_000


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium; fails (never skips) when the binary is missing."""
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).is_file():
        pytest.fail(
            f"the browser tests need Chromium at {executable}: "
            "apt-get install chromium, or set CHROMIUM to its path",
            pytrace=False,
        )
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def signed_in(
    browser: Browser, url: str, email: str, *, viewport: ViewportSize = DESKTOP
) -> Iterator[Page]:
    """A new context signed in as ``email`` through the real form, on the Activity page
    once its script has settled; fails the test if the page threw a script error."""
    context = browser.new_context(
        base_url=url,
        viewport=viewport,
        timezone_id=TIMEZONE,
        locale="en-US",
        accept_downloads=True,
    )
    errors: list[str] = []
    try:
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/signin")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/activity(\?|$)"))
        settled(page)
        yield page
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"


def settled(page: Page) -> None:
    """Wait for the page's script: the viewer's time zone in the URL, no fetch under way.

    On a link without ``tz`` the script reloads the fragments for the browser's zone and
    replaces the URL; acting before that lands would race it."""
    expect(page).to_have_url(re.compile(r"[?&]tz=Europe(%2F|/)Berlin(&|$)"))
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-loading\b"))


def open_view(page: Page, query: str) -> None:
    """A full page load of ``/activity?query`` in the test's time zone."""
    zone = urlencode({"tz": TIMEZONE})
    page.goto(f"/activity?{query}&{zone}" if query else f"/activity?{zone}")
    settled(page)


def showing(page: Page) -> tuple[int, int, int]:
    """(first, last, total) of the table's "Showing 1–20 of 1,234"."""
    text = page.locator("[data-showing]").inner_text()
    match = re.fullmatch(r"Showing ([\d,]+)–([\d,]+) of ([\d,]+)", text.strip())
    assert match, f"unexpected pagination text: {text!r}"
    first, last, total = (int(g.replace(",", "")) for g in match.groups())
    return first, last, total


def row_ids(page: Page) -> list[str]:
    return [
        str(i) for i in page.locator("tr[data-row]").evaluate_all("r => r.map(e => e.dataset.id)")
    ]


def column_texts(page: Page, selector: str) -> list[str]:
    """The text of ``selector`` in every row of the table, top to bottom."""
    texts: list[Any] = page.locator(f"tr[data-row] {selector}").all_inner_texts()
    return [str(t).strip() for t in texts]


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save ``tests/artifacts/name`` (the whole page, or what the viewport shows: a full
    page capture draws an open dialog and the fixed top bar mid-page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=path, full_page=full_page)
    return path
