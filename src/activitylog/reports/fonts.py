"""The fonts a PDF report draws with, and text made drawable by them.

PDF's standard fonts only know Latin-1, and names, subjects and descriptions come from
users in any script, so reports embed a TrueType font: DejaVu Sans where the system has it
(it covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic letters, and most
symbols), else Bitstream Vera, which reportlab ships (Latin-1 and a few symbols). A
character the font has no glyph for is printed as its code point, ``<U+4E2D>``, rather
than as a blank box: the report then still says exactly what was recorded, and the JSON
and CSV exports hold the text itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: Where Linux distributions install DejaVu Sans (Debian and Ubuntu, Fedora, Arch, Alpine).
DEJAVU_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu",
)
#: Hashes and commands: ASCII only, so PDF's standard monospaced font serves.
MONO = "Courier"


@dataclass(frozen=True)
class FontSet:
    """Registered font names and the code points the regular face can draw."""

    family: str
    regular: str
    bold: str
    covered: frozenset[int]

    def drawable(self, text: str) -> str:
        """``text`` with every character the font lacks written as ``<U+XXXX>``."""
        if text.isascii():  # every face here has ASCII: the common case costs one check
            return text
        covered = self.covered
        return "".join(c if ord(c) in covered else f"<U+{ord(c):04X}>" for c in text)

    def has(self, char: str) -> bool:
        return ord(char) in self.covered


@cache
def report_fonts(search: tuple[str, ...] = DEJAVU_DIRS) -> FontSet:
    """Register the report's fonts once per process: DejaVu Sans found in ``search``,
    else the Vera that ships with reportlab."""
    for directory in search:
        regular, bold = Path(directory, "DejaVuSans.ttf"), Path(directory, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            return _register("DejaVuSans", str(regular), str(bold))
    return _register("Vera", "Vera.ttf", "VeraBd.ttf")


def _register(family: str, regular: str, bold: str) -> FontSet:
    regular_name, bold_name = f"Report-{family}", f"Report-{family}-Bold"
    face = TTFont(regular_name, regular)
    pdfmetrics.registerFont(face)
    pdfmetrics.registerFont(TTFont(bold_name, bold))
    pdfmetrics.registerFontFamily(
        regular_name, normal=regular_name, bold=bold_name, italic=regular_name, boldItalic=bold_name
    )
    covered = frozenset(c for c in face.face.charToGlyph if c < 0xFFFE)
    return FontSet(family, regular_name, bold_name, covered)
