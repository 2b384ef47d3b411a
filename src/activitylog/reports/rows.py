"""An entry drawn as one block: its row of cells and, under it, its changed fields.

Platypus paragraphs parse markup and measure text run by run, several milliseconds per
cell, too slow for the tens of thousands of cells of a large report. A block wraps its
plain text itself (word by word, with ``stringWidth`` in C; a word wider than its column
is cut between characters) and draws it with a handful of canvas calls. A block moves to
the next page whole, unless its changed fields make it taller than what is left: then it
splits between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from activitylog.reports.entries import EntryRow
from activitylog.reports.fonts import FontSet

INK = HexColor("#111827")
TEXT_2 = HexColor("#374151")
MUTED = HexColor("#636a76")
RULE = HexColor("#d1d5db")
PANEL = HexColor("#f8fafc")
BEFORE = HexColor("#b91c1c")
AFTER = HexColor("#15803d")
RESULT_COLOURS = {"Success": HexColor("#15803d"), "Warning": HexColor("#b45309")}
RESULT_COLOURS["Failure"] = HexColor("#b91c1c")
#: Entry table columns: heading and width (points).
COLUMNS: tuple[tuple[str, float], ...] = (
    ("#", 36),
    ("Time", 54),
    ("Actor", 92),
    ("Action", 148),
    ("Subject", 83),
    ("Result", 42),
    ("IP address", 68),
)
PAD_X, PAD_Y = 3.0, 3.5
SIZE, SMALL = 7.2, 6.4
#: Changed fields: name, before, arrow, after (they start under the Time column).
CHANGE_COLUMNS: tuple[float, ...] = (78, 190, 12, 0)


@dataclass(frozen=True, slots=True)
class Run:
    """Text in one font, size and colour, wrapped to its cell."""

    text: str
    font: str
    size: float
    colour: Color


Line = tuple[str, str, float, Color]  # text, font, size, colour


def wrap(run: Run, width: float) -> list[Line]:
    """``run`` broken into lines no wider than ``width``: at spaces, else between characters."""
    lines: list[Line] = []
    for part in run.text.split("\n"):
        lines += _wrap_line(Run(part, run.font, run.size, run.colour), width)
    return lines


def _wrap_line(run: Run, width: float) -> list[Line]:
    lines: list[Line] = []
    current = ""
    for word in run.text.replace("\t", " ").split(" "):
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, run.font, run.size) <= width:
            current = candidate
            continue
        if current:
            lines.append((current, run.font, run.size, run.colour))
        current = word
        while stringWidth(current, run.font, run.size) > width and len(current) > 1:
            cut = _fitting(current, run.font, run.size, width)
            lines.append((current[:cut], run.font, run.size, run.colour))
            current = current[cut:]
    if current or not lines:
        lines.append((current, run.font, run.size, run.colour))
    return lines


def _fitting(text: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``text`` fit in ``width`` (at least one)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _height(lines: Sequence[Line]) -> float:
    return sum(size * 1.22 for _, _, size, _ in lines)


class EntryBlock(Flowable):
    """One entry: its cells in :data:`COLUMNS`, then its changed fields ``first`` to
    ``last`` (all by default). Its text is laid out when first measured, so a story of
    thousands of blocks holds little more than their entries."""

    def __init__(
        self,
        entry: EntryRow,
        fonts: FontSet,
        *,
        workspaces: bool,
        changes: slice = slice(None),
        continued: bool = False,
    ) -> None:
        super().__init__()
        self.entry = entry
        self.fonts = fonts
        self.workspaces = workspaces
        self.change_slice = changes
        self.continued = continued
        self._cell_lines: list[list[Line]] | None = None
        self._change_lines: list[list[list[Line]]] | None = None

    def _lay_out(self) -> tuple[list[list[Line]], list[list[list[Line]]]]:
        if self._cell_lines is None or self._change_lines is None:
            cells = _cells(self.entry, self.fonts, self.workspaces)
            changes = _changes(self.entry, self.fonts)[self.change_slice]
            self._cell_lines = [
                [line for run in runs for line in wrap(run, width - 2 * PAD_X)]
                for runs, (_, width) in zip(cells, COLUMNS, strict=True)
            ]
            widths = _change_widths()
            self._change_lines = [
                [wrap(run, width - 2 * PAD_X) for run, width in zip(row, widths, strict=True)]
                for row in changes
            ]
        return self._cell_lines, self._change_lines

    def _row_height(self) -> float:
        cells, _ = self._lay_out()
        return 0.0 if self.continued else max(_height(c) for c in cells) + 2 * PAD_Y

    def _change_heights(self) -> list[float]:
        _, changes = self._lay_out()
        return [max(_height(c) for c in row) + 2.5 for row in changes]

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        heights = self._change_heights()
        self.height = self._row_height() + (sum(heights) + 5 if heights else 0)
        self.width = sum(w for _, w in COLUMNS)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        """Between changed fields, when at least one fits with the row above it."""
        room = available_height - self._row_height() - 5
        fitting, used = 0, 0.0
        heights = self._change_heights()
        for height in heights:
            if used + height > room:
                break
            fitting, used = fitting + 1, used + height
        if not fitting or fitting == len(heights):
            return []
        first = self.change_slice.start or 0
        middle = first + fitting
        head = EntryBlock(
            self.entry,
            self.fonts,
            workspaces=self.workspaces,
            changes=slice(first, middle),
            continued=self.continued,
        )
        tail = EntryBlock(
            self.entry,
            self.fonts,
            workspaces=self.workspaces,
            changes=slice(middle, self.change_slice.stop),
            continued=True,
        )
        return [head, tail]

    def draw(self) -> None:
        canvas = self.canv
        cells, changes = self._lay_out()
        top = self.height
        if changes:  # the panel behind the changed fields, under their text
            start = COLUMNS[0][1]
            below_row = top - self._row_height()
            canvas.saveState()
            canvas.setFillColor(PANEL)
            canvas.rect(start, 0.5, self.width - start, below_row - 1.5, stroke=0, fill=1)
            canvas.restoreState()
        text = _Text(canvas.beginText())
        if not self.continued:
            x = 0.0
            for lines, (_, width) in zip(cells, COLUMNS, strict=True):
                text.lines(lines, x + PAD_X, top - PAD_Y)
                x += width
            top -= self._row_height()
        y = top - 2.5
        for row, height in zip(changes, self._change_heights(), strict=True):
            x = COLUMNS[0][1]
            for lines, width in zip(row, _change_widths(), strict=True):
                text.lines(lines, x + PAD_X, y)
                x += width
            y -= height
        canvas.drawText(text.target)
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(0, 0, self.width, 0)
        canvas.restoreState()


class _Text:
    """One PDF text object for a whole block: font and colour set only when they change
    (a text object per string costs a third of the drawing time)."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self._font: tuple[str, float] | None = None
        self._colour: Color | None = None

    def lines(self, lines: Sequence[Line], x: float, top: float) -> None:
        y = top
        target = self.target
        for text, font, size, colour in lines:
            y -= size * 1.22
            if not text:
                continue
            if self._font != (font, size):
                target.setFont(font, size)
                self._font = (font, size)
            if self._colour != colour:
                target.setFillColor(colour)
                self._colour = colour
            target.setTextOrigin(x, y + size * 0.22)
            target.textOut(text)


def _change_widths() -> tuple[float, ...]:
    rest = sum(w for _, w in COLUMNS[1:]) - sum(CHANGE_COLUMNS)
    return (*CHANGE_COLUMNS[:-1], rest)


def entry_block(entry: EntryRow, fonts: FontSet, *, workspaces: bool) -> EntryBlock:
    """The block of one entry; ``workspaces`` puts its workspace above its seq."""
    return EntryBlock(entry, fonts, workspaces=workspaces)


def _cells(entry: EntryRow, fonts: FontSet, workspaces: bool) -> list[list[Run]]:
    d, regular, bold = fonts.drawable, fonts.regular, fonts.bold

    def runs(main: str, detail: str, *, strong: bool = False) -> list[Run]:
        first = Run(d(main), bold if strong else regular, SIZE, INK)
        return [first, Run(d(detail), regular, SMALL, MUTED)] if detail else [first]

    seq = [Run(entry.seq, regular, SIZE, MUTED)]
    if workspaces:
        seq.insert(0, Run(d(entry.workspace), regular, SMALL, MUTED))
    return [
        seq,
        [Run(entry.date, regular, SIZE, INK), Run(entry.time, regular, SIZE, TEXT_2)],
        runs(entry.actor, entry.actor_detail, strong=True),
        runs(entry.action, entry.action_code),
        runs(entry.subject, entry.subject_detail),
        [Run(entry.result, bold, SIZE, RESULT_COLOURS.get(entry.result, TEXT_2))],
        runs(entry.ip, entry.ip_detail),
    ]


def _changes(entry: EntryRow, fonts: FontSet) -> list[list[Run]]:
    d, regular, bold, size = fonts.drawable, fonts.regular, fonts.bold, SMALL + 0.4
    arrow = "→" if fonts.has("→") else "»"  # Vera has no arrow
    return [
        [
            Run(d(name), bold, size, TEXT_2),
            Run(d(before), regular, size, BEFORE),
            Run(arrow, regular, size, MUTED),
            Run(d(after), regular, size, AFTER),
        ]
        for name, before, after in entry.changes
    ]
