"""Documentation that cannot drift: CLI reference, event fields and settings."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from activitylog.events import EVENT_FIELDS
from activitylog.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
sys.path.insert(0, str(ROOT / "scripts"))

from cli_reference import reference  # noqa: E402


def test_cli_reference_is_generated_from_the_commands() -> None:
    assert (ROOT / "docs" / "CLI.md").read_text() == reference(), (
        "docs/CLI.md is stale: python scripts/cli_reference.py > docs/CLI.md"
    )


@pytest.mark.parametrize("field", EVENT_FIELDS)
def test_every_event_field_is_in_the_readme(field: str) -> None:
    assert f"`{field}`" in README


@pytest.mark.parametrize("setting", list(Settings.model_fields))
def test_every_setting_is_in_the_readme(setting: str) -> None:
    assert f"`ACTIVITYLOG_{setting.upper()}`" in README


def test_readme_leads_with_demo_and_test() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    assert "make demo" in first_block.group(1)
    assert "make test" in first_block.group(1)
