"""``activitylog export --format pdf --out FILE``: a PDF report of the matching entries."""

from __future__ import annotations

import io

from activitylog.access import OPERATOR
from activitylog.cli.app import CliError
from activitylog.client import ActivityLog
from activitylog.reports import ReportRequest, write_report
from activitylog.selection import Selection


def write_pdf_report(log: ActivityLog, selection: Selection, out: str) -> int:
    """Write the report to the file ``out`` (whole, once laid out: nothing is left behind
    when the filters are refused); returns the entries it holds."""
    if out == "-":
        raise CliError("out: a PDF report is written to a file: give --out FILE")
    viewer = selection.viewer
    by = (
        "the operator (command line)"
        if viewer == OPERATOR
        else f"{viewer.user_id} as {viewer.role} (command line)"
    )
    buffer = io.BytesIO()
    rows = write_report(log, ReportRequest(selection, generated_by=by), buffer)
    try:
        with open(out, "wb") as target:
            target.write(buffer.getbuffer())
    except OSError as exc:
        raise CliError(f"out: cannot write {out} ({exc.strerror})") from None
    return rows
