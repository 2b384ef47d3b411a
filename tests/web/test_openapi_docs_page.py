"""``/docs`` in headless Chromium: Swagger UI renders the OpenAPI 3.1 document, every
operation under its tag, with the document's credentials behind "Authorize"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from ._browser import expect, screenshot
from ._server import LiveServer
from ._support import World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(Path(tmp_path_factory.mktemp("docs-page")), 10)
    yield built
    built.state.log.close()


def test_docs_page_shows_every_operation_and_the_credentials(
    browser: Browser, server: LiveServer, world: World
) -> None:
    doc = TestClient(world.app).get("/openapi.json").json()
    operations = [op for item in doc["paths"].values() for op in item.values()]
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    try:
        page.goto(server.url + "/docs")
        expect(page.locator(".opblock")).to_have_count(len(operations))
        expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
        for op in operations:
            expect(page.locator(f"#operations-{op['tags'][0]}-{op['operationId']}")).to_be_visible()
        screenshot(page, "api-docs.png", full_page=False)
        page.get_by_role("button", name="Authorize").first.click()
        dialog = page.locator(".modal-ux")
        for scheme in doc["components"]["securitySchemes"]:
            expect(dialog.get_by_text(scheme, exact=True)).to_be_visible()
        screenshot(page, "api-docs-authorize.png", full_page=False)
    finally:
        page.close()
