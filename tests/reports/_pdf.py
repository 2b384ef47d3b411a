"""Reading a PDF back with poppler's command-line tools (``pdftotext``, ``pdftoppm``).

poppler-utils is required, not optional: CI installs it, so a missing tool fails the tests
with the fix rather than skipping them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"the PDF tests need {name}: apt-get install poppler-utils", pytrace=False)
    return found


def pdf_text(pdf: bytes, *, layout: bool = False) -> str:
    """The text of every page, pages separated by form feeds."""
    args = [_tool("pdftotext"), *(["-layout"] if layout else []), "-enc", "UTF-8", "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def pages(pdf: bytes) -> list[str]:
    return pdf_text(pdf).split("\f")[:-1]


def first_page_png(pdf: bytes, name: str) -> Path:
    """Page 1 rendered at 80 dpi to tests/artifacts/``name``.png (to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    stem = ARTIFACTS / name
    subprocess.run(
        [_tool("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, stem],
        check=True,
    )
    return stem.with_suffix(".png")
