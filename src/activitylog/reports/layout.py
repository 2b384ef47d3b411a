"""The PDF itself: A4 pages laid out with reportlab's Platypus.

Page 1 holds the title, what the report covers, the five KPIs, the two charts (vector
drawings) and the integrity summary; the entries follow, one
:class:`~activitylog.reports.rows.EntryBlock` each, under column headings repeated at the
top of every page they continue on; the integrity statement ends the report.
"Page x of y" is written on every page once the last one is known
(:class:`_NumberedCanvas` keeps each page's drawing until then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from activitylog.reports.charts import category_chart, volume_chart
from activitylog.reports.entries import EntryRow
from activitylog.reports.fonts import MONO, FontSet
from activitylog.reports.rows import COLUMNS, INK, MUTED, PANEL, RULE, TEXT_2, entry_block

PAGE_W, PAGE_H = A4
_NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 36.0, 42.0, 42.0
WIDTH = PAGE_W - 2 * MARGIN_X
HEADING_H = 16.0
ACCENT = colors.HexColor("#4338ca")
SOFT = colors.HexColor("#f3f4f6")


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    hint: str


@dataclass(frozen=True)
class Statement:
    """What the integrity statement says about one workspace's entries (plain text)."""

    workspace: str
    lines: tuple[tuple[str, str], ...]
    ok: bool


@dataclass(frozen=True)
class Cover:
    """Everything page 1 and the closing statement print, as text."""

    title: str
    workspace: str
    facts: tuple[tuple[str, str], ...]
    kpis: tuple[Kpi, ...]
    volume: Sequence[dict[str, Any]]
    by_category: Sequence[dict[str, Any]]
    volume_caption: str
    count: int
    digest: str
    digest_rule: str
    summary: str
    statement_intro: str
    statements: tuple[Statement, ...]
    #: Each step: what it shows, and its command (lines separated by newlines).
    how_to_check: tuple[tuple[str, str], ...]
    footer: str


class Styles:
    """The paragraph styles of one report, in its fonts."""

    def __init__(self, fonts: FontSet) -> None:
        regular, bold = fonts.regular, fonts.bold

        def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
            kw.setdefault("leading", size * 1.25)
            kw.setdefault("textColor", INK)
            return ParagraphStyle(name, fontName=kw.pop("font", regular), fontSize=size, **kw)

        self.fonts = fonts
        self.kicker = style("kicker", 7.5, font=bold, textColor=ACCENT)
        self.title = style("title", 20, font=bold, leading=24, spaceBefore=2, spaceAfter=10)
        self.h2 = style("h2", 11, font=bold, spaceBefore=12, spaceAfter=6)
        self.body = style("body", 8.5, textColor=TEXT_2)
        self.label = style("label", 7, textColor=MUTED)
        self.fact = style("fact", 8.5)
        self.kpi_value = style("kpi_value", 15, font=bold, leading=18)
        self.cell_muted = style("cell_muted", 6.4, leading=7.8, textColor=MUTED)
        self.mono = style("mono", 7.4, font=MONO, leading=9.2)
        self.head = style("head", 6.8, font=bold, textColor=MUTED)

    def text(self, value: str) -> str:
        """``value`` escaped for Paragraph markup and drawable in the report's font."""
        return escape(self.fonts.drawable(value))


def write_pdf(
    out: BinaryIO,
    cover: Cover,
    entries: Iterable[EntryRow],
    fonts: FontSet,
    *,
    workspaces_column: bool,
) -> None:
    """Lay the report out and write it to ``out``."""
    styles = Styles(fonts)
    story: list[Flowable] = [
        *_first_page(cover, styles),
        *_entries(entries, styles, workspaces_column),
    ]
    story += [NextPageTemplate("later"), PageBreak(), *_statement(cover, styles)]
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=cover.title,
        author=cover.footer,
        subject=f"Activity of {cover.workspace}",
        creator="activitylog",
    )
    full = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        WIDTH,
        PAGE_H - MARGIN_TOP - MARGIN_BOTTOM,
        id="body",
        **_NO_PADDING,
    )
    under_heading = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        WIDTH,
        PAGE_H - MARGIN_TOP - MARGIN_BOTTOM - HEADING_H,
        id="entries",
        **_NO_PADDING,
    )
    running = _running_header(cover, styles)
    doc.addPageTemplates(
        [
            PageTemplate("first", [full], onPage=_footer(cover, styles)),
            PageTemplate(
                "entries",
                [under_heading],
                onPage=_both(running, _column_headings(styles), _footer(cover, styles)),
            ),
            PageTemplate("later", [full], onPage=_both(running, _footer(cover, styles))),
        ]
    )
    doc.build(story, canvasmaker=_numbered(fonts))


# -- page 1 ----------------------------------------------------------------------------------
def _first_page(cover: Cover, styles: Styles) -> list[Flowable]:
    t = styles.text
    facts = [
        [Paragraph(t(label).upper(), styles.label), Paragraph(t(value), styles.fact)]
        for label, value in cover.facts
    ]
    facts_table = Table(facts, colWidths=[92, WIDTH - 92])
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, SOFT),
                ("TOPPADDING", (0, 0), (-1, -1), 3.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        Paragraph("ACTIVITY LOG  ·  COMPLIANCE REPORT", styles.kicker),
        Paragraph(t(cover.title), styles.title),
        facts_table,
        Paragraph("Key figures", styles.h2),
        _kpi_cards(cover.kpis, styles),
        _charts(cover, styles),
        Spacer(1, 10),
        _summary_box(cover, styles),
    ]


def _kpi_cards(kpis: Sequence[Kpi], styles: Styles) -> Table:
    t = styles.text
    cells = [
        [
            Paragraph(t(k.label).upper(), styles.label),
            Paragraph(t(k.value), styles.kpi_value),
            Paragraph(t(k.hint), styles.cell_muted),
        ]
        for k in kpis
    ]
    gap = 6.0
    width = (WIDTH - gap * (len(kpis) - 1)) / len(kpis)
    row: list[Any] = []
    widths: list[float] = []
    for index, cell in enumerate(cells):
        if index:
            row.append("")
            widths.append(gap)
        row.append(cell)
        widths.append(width)
    table = Table([row], colWidths=widths)
    commands: list[tuple[Any, ...]] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    for col in range(0, len(widths), 2):
        commands += [
            ("BOX", (col, 0), (col, 0), 0.6, RULE),
            ("BACKGROUND", (col, 0), (col, 0), PANEL),
            ("TOPPADDING", (col, 0), (col, 0), 7),
            ("BOTTOMPADDING", (col, 0), (col, 0), 7),
            ("LEFTPADDING", (col, 0), (col, 0), 8),
        ]
    table.setStyle(TableStyle(commands))
    return table


def _charts(cover: Cover, styles: Styles) -> Table:
    left_w, gap = 318.0, 14.0
    right_w = WIDTH - left_w - gap
    volume = volume_chart(cover.volume, left_w, 150, styles.fonts)
    categories: Flowable = (
        category_chart(cover.by_category, right_w, styles.fonts)
        if cover.by_category
        else Paragraph("No events in this window.", styles.body)
    )
    heads = [
        Paragraph(
            f"Volume <font color='#636a76' size='7.5'>{styles.text(cover.volume_caption)}</font>",
            styles.h2,
        ),
        "",
        Paragraph("Events by category", styles.h2),
    ]
    table = Table([heads, [volume, "", categories]], colWidths=[left_w, gap, right_w])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _summary_box(cover: Cover, styles: Styles) -> Table:
    t = styles.text
    rows = [
        [Paragraph("<b>Integrity</b>", styles.fact)],
        [Paragraph(t(cover.summary), styles.body)],
        [Paragraph(f"SHA-256 of the {cover.count:,} entries: {cover.digest}", styles.mono)],
    ]
    table = Table(rows, colWidths=[WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LINEBEFORE", (0, 0), (0, -1), 3, ACCENT),
                ("BACKGROUND", (0, 0), (-1, -1), PANEL),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, 0), 7),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ]
        )
    )
    return table


# -- entries ---------------------------------------------------------------------------------
def _entries(entries: Iterable[EntryRow], styles: Styles, workspaces: bool) -> list[Flowable]:
    story: list[Flowable] = [
        CondPageBreak(120),
        Paragraph("Entries", styles.h2),
        _heading_table(styles),
        NextPageTemplate("entries"),
    ]
    count = 0
    for row in entries:
        story.append(entry_block(row, styles.fonts, workspaces=workspaces))
        count += 1
    if not count:
        story.append(Paragraph("No entries match these filters.", styles.body))
    return story


def _heading_table(styles: Styles) -> Table:
    table = Table(
        [[Paragraph(name.upper(), styles.head) for name, _ in COLUMNS]],
        colWidths=[w for _, w in COLUMNS],
        rowHeights=[HEADING_H],
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SOFT),
                ("LINEBELOW", (0, 0), (-1, -1), 0.6, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


# -- the closing statement -----------------------------------------------------------------
def _statement(cover: Cover, styles: Styles) -> list[Flowable]:
    t = styles.text
    story: list[Flowable] = [
        Paragraph("Integrity statement", styles.h2),
        Paragraph(t(cover.statement_intro), styles.body),
        Spacer(1, 8),
        Paragraph(f"<b>SHA-256 of the report's {cover.count:,} entries</b>", styles.fact),
        Spacer(1, 2),
        _code(cover.digest, styles),
        Paragraph(t(cover.digest_rule) + ".", styles.body),
    ]
    for statement in cover.statements:
        rows = [
            [Paragraph(t(label).upper(), styles.label), _fact(label, value, statement, styles)]
            for label, value in statement.lines
        ]
        table = Table(rows, colWidths=[120, WIDTH - 120])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.4, SOFT),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        story += [Paragraph(f"Workspace {t(statement.workspace)}", styles.h2), table]
    story.append(Paragraph("How to check this report", styles.h2))
    for number, (text, command) in enumerate(cover.how_to_check, 1):
        story.append(
            KeepTogether(
                [
                    Paragraph(f"<b>{number}.</b> {t(text)}", styles.body),
                    Spacer(1, 3),
                    _code(command, styles),
                    Spacer(1, 6),
                ]
            )
        )
    return story


def _fact(label: str, value: str, statement: Statement, styles: Styles) -> Paragraph:
    text = styles.text(value)
    if label == "Signature":
        colour = "#15803d" if statement.ok else "#b91c1c"
        return Paragraph(f"<font color='{colour}'><b>{text}</b></font>", styles.fact)
    return Paragraph(text, styles.mono if label in _MONO_FACTS else styles.fact)


def _code(text: str, styles: Styles) -> Table:
    """A command or hash in a shaded box, one line per line of ``text``."""
    lines = "<br/>".join(styles.text(line) for line in text.split("\n"))
    box = Table([[Paragraph(lines, styles.mono)]], colWidths=[WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), PANEL),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return box


_MONO_FACTS = frozenset({"Root hash", "Verifier key", "Key id", "Export command"})


# -- page furniture --------------------------------------------------------------------------
PageHook = Callable[[Canvas, BaseDocTemplate], None]


def _both(*hooks: PageHook) -> PageHook:
    def run(canvas: Canvas, doc: BaseDocTemplate) -> None:
        for hook in hooks:
            hook(canvas, doc)

    return run


def _footer(cover: Cover, styles: Styles) -> PageHook:
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, MARGIN_BOTTOM - 12, PAGE_W - MARGIN_X, MARGIN_BOTTOM - 12)
        canvas.setFont(styles.fonts.regular, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, MARGIN_BOTTOM - 23, styles.fonts.drawable(cover.footer))
        canvas.restoreState()

    return draw


def _running_header(cover: Cover, styles: Styles) -> PageHook:
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        top = PAGE_H - MARGIN_TOP + 14
        canvas.setFont(styles.fonts.bold, 7.5)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN_X, top, styles.fonts.drawable(cover.title))
        canvas.setFont(styles.fonts.regular, 7)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(PAGE_W - MARGIN_X, top, styles.fonts.drawable(cover.facts[1][1]))
        canvas.restoreState()

    return draw


def _column_headings(styles: Styles) -> PageHook:
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        table = _heading_table(styles)
        table.wrapOn(canvas, WIDTH, HEADING_H)
        table.drawOn(canvas, MARGIN_X, PAGE_H - MARGIN_TOP - HEADING_H)

    return draw


def _numbered(fonts: FontSet) -> type[Canvas]:
    class _NumberedCanvas(Canvas):
        """Keeps every page until the document ends, then stamps "Page x of y" on each."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's own reset

        def save(self) -> None:
            total = len(self._pages)
            for number, page in enumerate(self._pages, 1):
                self.__dict__.update(page)
                self.setFont(fonts.regular, 7)
                self.setFillColor(MUTED)
                self.drawRightString(
                    PAGE_W - MARGIN_X, MARGIN_BOTTOM - 23, f"Page {number} of {total}"
                )
                super().showPage()
            super().save()

    return _NumberedCanvas
