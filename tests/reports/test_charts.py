"""The report's charts: reportlab drawings of the page's statistics."""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.pdfbase.pdfmetrics import stringWidth

from activitylog.reports.charts import (
    MAX_CATEGORIES,
    category_chart,
    nice_ceiling,
    volume_chart,
)
from activitylog.reports.fonts import report_fonts


def _strings(drawing: Drawing) -> list[String]:
    return [shape for shape in drawing.contents if isinstance(shape, String)]


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 11, 199, 201, 5000)] == [
        1, 1, 5, 10, 20, 200, 500, 5000,
    ]  # fmt: skip


def test_volume_bars_stack_by_kind_on_whole_steps() -> None:
    fonts = report_fonts()
    volume = [
        {"label": "2026-12-05", "auth": 2, "writes": 3, "other": 4},
        {"label": "2026-12-06", "auth": 0, "writes": 0, "other": 0},
    ]
    drawing = volume_chart(volume, 300, 150, fonts)
    texts = [s.text for s in _strings(drawing)]
    assert texts[:4] == ["0", "5", "10", "15"]  # three round steps above the tallest bar (9)
    assert "12-05" in texts
    assert "12-06" in texts
    bars = [r for r in drawing.contents if isinstance(r, Rect) and r.width > 7]
    assert len(bars) == 3  # one per kind of the first day, none for an empty day


def test_category_bars_sum_the_rest_and_keep_labels_clear_of_bars() -> None:
    fonts = report_fonts()
    rows = [{"category": f"a_very_long_category_name_{i}", "count": 100 - i} for i in range(14)]
    drawing = category_chart(rows, 200, fonts)
    labels = [s for s in _strings(drawing) if s.textAnchor == "start"]
    assert len(labels) == MAX_CATEGORIES
    assert labels[-1].text == "Other categories"
    assert all(stringWidth(s.text, s.fontName, s.fontSize) <= 74 for s in labels)
    values = [s.text for s in _strings(drawing) if s.textAnchor == "end"]
    assert values[-1] == "445 (34%)"  # 91 + 90 + 89 + 88 + 87 of 1,309
