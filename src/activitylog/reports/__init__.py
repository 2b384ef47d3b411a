"""PDF reports of activity for compliance: what a selection matches, its KPIs and charts,
every entry, and an integrity statement that lets anyone check the report against the log.

from activitylog.reports import ReportRequest, write_report

with open("report.pdf", "wb") as out:
    write_report(log, ReportRequest(Selection(workspace="acme", range="last_30_days"),
                                    generated_by="Ava Thompson"), out)
"""

from activitylog.reports.report import MAX_ENTRIES, ReportRequest, write_report

MEDIA_TYPE = "application/pdf"

__all__ = ["MAX_ENTRIES", "MEDIA_TYPE", "ReportRequest", "write_report"]
