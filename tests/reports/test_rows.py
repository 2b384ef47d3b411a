"""Entry blocks: text wrapped to its column, and a block taller than a page split between
its changed fields."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportlab.pdfbase.pdfmetrics import stringWidth

from activitylog import ActivityLog
from activitylog.reports import ReportRequest, write_report
from activitylog.reports.fonts import report_fonts
from activitylog.reports.rows import Run, wrap
from activitylog.selection import Selection

from ._pdf import pages, pdf_text


def test_wrap_breaks_at_spaces_and_cuts_words_wider_than_the_column() -> None:
    fonts = report_fonts()
    run = Run(
        "a-very-long-address@a-very-long-domain.example and more\nnext", fonts.regular, 7, None
    )  # type: ignore[arg-type]
    lines = wrap(run, 60)
    assert all(stringWidth(text, fonts.regular, 7) <= 60 for text, *_ in lines)
    assert "".join(text for text, *_ in lines[:-2]).startswith("a-very-long-address@")
    assert lines[-1][0] == "next"  # a newline starts a line


def test_an_entry_with_more_changes_than_a_page_holds_continues_on_the_next(
    log: ActivityLog,
) -> None:
    changes = {f"field_{n:03}": {"before": f"old {n}", "after": f"new {n}"} for n in range(120)}
    log.record(
        workspace="acme",
        action="contact.updated",
        occurred_at=datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat(),
        subject={"type": "contact", "id": "c_1"},
        changes=changes,
    )
    out = io.BytesIO()
    selection = Selection(workspace="acme", since="2026-11-01", until="2026-11-03")
    write_report(log, ReportRequest(selection, generated_by="x"), out)
    every = pages(out.getvalue())
    text = "".join(every)
    assert all(f"field_{n:03}" in text for n in range(120))
    holding = [i for i, page in enumerate(every) if "field_" in page]
    assert len(holding) >= 2  # split across pages, nothing lost


def test_the_longest_entry_the_schema_allows_fits_on_a_page(log: ActivityLog) -> None:
    name = "N" * 200
    log.record(
        workspace="acme",
        action="team.member_added",
        occurred_at=datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat(),
        actor={"id": "u_1", "name": name, "email": "e" * 190 + "@x.example"},
        subject={"type": "team", "id": "t_1", "name": name},
        related=[{"type": "user", "id": f"u_{i}", "name": name} for i in range(100)],
        changes={"k" * 500: {"before": list(range(300)), "after": "x" * 5000}},
    )
    out = io.BytesIO()
    selection = Selection(workspace="acme", since="2026-11-01", until="2026-11-03")
    assert write_report(log, ReportRequest(selection, generated_by="x"), out) == 1
    assert "…" in "".join(pages(out.getvalue()))  # cut, the exports hold the rest


def test_an_entry_shows_its_ip_with_the_country_it_was_recorded_from(log: ActivityLog) -> None:
    for ip in ("2003::1", "10.0.0.8"):
        log.record(
            workspace="acme",
            action="contact.viewed",
            occurred_at=datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat(),
            ip=ip,
        )
    out = io.BytesIO()
    selection = Selection(workspace="acme", since="2026-11-01", until="2026-11-03")
    assert write_report(log, ReportRequest(selection, generated_by="x"), out) == 2
    lines = pdf_text(out.getvalue(), layout=True).splitlines()
    for ip, detail in (("2003::1", "DE"), ("10.0.0.8", "Private address")):
        at = next(i for i, line in enumerate(lines) if line.endswith(ip))
        column = lines[at].index(ip)
        assert lines[at + 1][column:].strip() == detail  # under the IP, in its cell
