"""axe-core in the browser tests: injected into a page (test-only, from npm: ``npm ci
--prefix tests/web``) and run over the whole document, failing on any violation.

axe-core is required, not optional: a missing copy fails the test with the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` as it stands (every rule axe runs by default)."""
    if not AXE.is_file():
        pytest.fail(
            f"the accessibility checks need axe-core at {AXE}: npm ci --prefix tests/web",
            pytrace=False,
        )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's devtools protocol: the page's CSP ("script-src
        # 'self'") refuses an injected <script>, and the app need not serve a test tool.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    # A panel sliding in is drawn half-transparent: judge the colours it settles on.
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
            }));
        }"""
    )
    return result


def assert_accessible(page: Page, state: str) -> None:
    """No axe-core violation in ``state`` (a name for the failure message)."""
    found = violations(page)
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
        for v in found
    )
    assert not found, f"axe-core found {len(found)} violation(s) in {state}:\n{report}"
