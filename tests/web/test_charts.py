"""The SVG charts: geometry, and the rendered markup parsed as XML."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from activitylog.web import charts
from activitylog.web.templating import templates

SVG = "{http://www.w3.org/2000/svg}"
VOLUME = [
    {"label": "2026-05-01", "auth": 2, "writes": 10, "other": 3},
    {"label": "2026-05-02", "auth": 0, "writes": 0, "other": 0},
    {"label": "2026-05-03", "auth": 1, "writes": 40, "other": 9},
]


def _svg(template: str, **context: object) -> ET.Element:
    """The first <svg> of a rendered partial, parsed (xmlns added as a browser would)."""
    html = templates.get_template(template).render(**context)
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    markup = html[start:end].replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(markup)


def test_volume_has_one_bar_per_bucket_stacked_to_its_total() -> None:
    chart = charts.volume_chart(VOLUME, "daily")
    assert len(chart.bars) == 3
    assert [b.total for b in chart.bars] == [15, 0, 50]
    assert chart.bars[1].segments == ()
    plot_height = charts.VOLUME_HEIGHT - charts.PLOT_TOP - charts.PLOT_BOTTOM
    top = charts.nice_max(50)
    assert sum(s.height for s in chart.bars[2].segments) == pytest.approx(
        50 / top * plot_height, abs=0.05
    )
    # Stacked bottom-up: auth at the baseline, then writes, then other.
    auth, writes, other = chart.bars[0].segments
    assert (auth.series, writes.series, other.series) == ("auth", "writes", "other")
    assert auth.y + auth.height == pytest.approx(chart.baseline, abs=0.01)
    assert writes.y + writes.height == pytest.approx(auth.y, abs=0.01)
    assert chart.totals == {"auth": 3, "writes": 50, "other": 12}
    assert chart.peak is not None
    assert chart.peak.label == "Sun, May 3"
    assert "65 events" in chart.summary


def test_volume_svg_is_valid_with_one_group_per_bar() -> None:
    chart = charts.volume_chart(VOLUME, "daily")
    svg = _svg("_chart_volume.html", chart=chart)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title") is not None
    assert svg.find(f"{SVG}desc") is not None
    bars = svg.findall(f".//{SVG}g[@class='volume__bar']")
    assert len(bars) == 3
    filled = [r for r in svg.iter(f"{SVG}rect") if (r.get("class") or "").startswith("s-")]
    assert {r.get("class") for r in filled} >= {"s-auth", "s-writes", "s-other"}
    assert (
        len(
            [
                r
                for r in filled
                if r.get("class") != "s-other-bg" and r.get("class") != "s-other-line"
            ]
        )
        == 6
    )


def test_hourly_axis_labels_name_hours_inside_a_day() -> None:
    volume = [
        {"label": f"2026-05-01 {h:02d}:00", "auth": 1, "writes": 0, "other": 0} for h in range(24)
    ]
    chart = charts.volume_chart(volume, "hourly")
    assert len(chart.x_labels) <= charts.MAX_X_LABELS
    assert chart.x_labels[0].text == "May 1"
    assert chart.x_labels[1].text.endswith(":00")


def test_hourly_bars_over_days_are_labelled_at_midnight() -> None:
    volume = [
        {"label": f"2026-05-0{1 + (h + 12) // 24} {(h + 12) % 24:02d}:00", "auth": 1}
        for h in range(72)
    ]
    chart = charts.volume_chart(volume, "hourly")
    assert [label.text for label in chart.x_labels] == ["May 2", "May 3", "May 4"]


def test_an_empty_window_still_draws_an_axis() -> None:
    chart = charts.volume_chart([], "daily")
    assert chart.bars == ()
    assert chart.total == 0
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    _svg("_chart_volume.html", chart=chart)


@pytest.mark.parametrize(
    ("value", "top"), [(0, 4), (3, 4), (9, 12), (43, 48), (100, 100), (1234, 1600)]
)
def test_nice_max(value: int, top: int) -> None:
    assert charts.nice_max(value) == top
    assert top % 4 == 0


def test_donut_slices_cover_the_circle() -> None:
    split = {"sign_ins": 10, "writes": 30, "reads_other": 60}
    donut = charts.donut(split, {"sign_ins": 10, "writes": 30, "reads_other": 60})
    assert [s.percent for s in donut.slices] == [10, 30, 60]
    assert [s.tone for s in donut.slices] == ["auth", "writes", "other"]
    circumference = 2 * math.pi * charts.DONUT_RADIUS
    lengths = [float(s.dasharray.split()[0]) for s in donut.slices]
    assert sum(lengths) == pytest.approx(circumference, abs=0.01)
    assert float(donut.slices[2].dashoffset) == pytest.approx(-(lengths[0] + lengths[1]), abs=0.01)
    svg = _svg("_chart_donut.html", donut=donut)
    slices = [c for c in svg.iter(f"{SVG}circle") if "donut__slice" in (c.get("class") or "")]
    assert len(slices) == 3
    assert "donut__slice--other" in (slices[2].get("class") or "")
    assert "Reads / other 60 (60%)" in (svg.findtext(f"{SVG}desc") or "")


def test_donut_labels_are_the_cards_whole_percentages() -> None:
    # 1 / 2 / 998 of 1,001: 0.1%, 0.2%, 99.7% -> 0 + 0 + 100 (largest remainder), and a
    # slice with events but 0% says "<1%".
    split = {"sign_ins": 1, "writes": 2, "reads_other": 998}
    donut = charts.donut(split, {"sign_ins": 0, "writes": 0, "reads_other": 100})
    assert [s.percent_text for s in donut.slices] == ["<1%", "<1%", "100%"]
    assert [s.label for s in donut.slices] == ["Sign-ins", "Writes", "Reads / other"]
    assert donut.total == 1001


def test_donut_without_events() -> None:
    donut = charts.donut({"sign_ins": 0, "writes": 0, "reads_other": 0}, {})
    assert donut.total == 0
    assert all(s.percent == 0 for s in donut.slices)
    svg = _svg("_chart_donut.html", donut=donut)
    assert not [c for c in svg.iter(f"{SVG}circle") if "donut__slice" in (c.get("class") or "")]


def test_category_bars_leave_out_zero_categories() -> None:
    bars = charts.category_bars(
        [
            {"category": "auth", "count": 12},
            {"category": "inbox", "count": 40},
            {"category": "notes", "count": 0},
            {"category": "teams", "count": 12},
        ]
    )
    assert [b.key for b in bars.bars] == ["inbox", "auth", "teams"]
    assert bars.bars[0].width == charts.HBAR_WIDTH
    assert bars.bars[1].label == "Authentication"
    svg = _svg("_chart_categories.html", categories=bars)
    rects = [r for r in svg.iter(f"{SVG}rect") if "hbars__bar" in (r.get("class") or "")]
    assert len(rects) == 3
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Notes" not in texts
    assert "Inbox" in texts


def test_chart_labels_are_escaped() -> None:
    bars = charts.category_bars([{"category": "<script>x</script>", "count": 3}])
    html = templates.get_template("_chart_categories.html").render(categories=bars)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html or "&lt;Script&gt;" in html
