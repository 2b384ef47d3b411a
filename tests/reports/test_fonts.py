"""The report's fonts: DejaVu Sans where the system has it, else reportlab's Vera; what
neither can draw is printed as its code point."""

from __future__ import annotations

from activitylog.reports.fonts import report_fonts


def test_vera_ships_with_reportlab_and_code_points_stand_in_for_missing_glyphs() -> None:
    vera = report_fonts(search=())
    assert vera.family == "Vera"
    assert vera.drawable("Zoë Müller") == "Zoë Müller"  # Latin-1
    assert vera.drawable("李 Д") == "<U+674E> <U+0414>"


def test_dejavu_draws_more_scripts_when_installed() -> None:
    fonts = report_fonts()
    if fonts.family != "DejaVuSans":  # a system without DejaVu: Vera, covered above
        assert fonts.family == "Vera"
        return
    assert fonts.drawable("Łukasz Ζωή Дмитрий") == "Łukasz Ζωή Дмитрий"
    assert fonts.drawable("李") == "<U+674E>"
    assert fonts.has("→")
