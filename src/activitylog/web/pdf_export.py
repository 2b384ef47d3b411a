"""``GET /api/v1/export?format=pdf``: the report of a view, built whole, then recorded.

A report is laid out before its first byte can be sent (page 1 states the digest of every
entry), so it is answered as one response rather than streamed; the export is recorded
before the reply leaves, and a report that cannot be recorded is not handed out.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from activitylog.reports import MEDIA_TYPE, ReportRequest, write_report
from activitylog.selection import Selection
from activitylog.web.params import ViewParams
from activitylog.web.principal import Principal
from activitylog.web.state import app_state


def pdf_response(
    request: Request,
    principal: Principal,
    view: ViewParams,
    selection: Selection,
    filters: dict[str, Any],
    filename: str,
) -> Response:
    state = app_state(request)
    report = ReportRequest(
        selection,
        generated_by=principal.name,
        order="time" if view.sort == "time" else "-time",
        group=view.group,
    )
    out = io.BytesIO()
    rows = write_report(state.log, report, out)
    state.audit.exported(
        request,
        principal,
        selection.workspace,
        fmt="pdf",
        filters={**filters, "completed": True},
        rows=rows,
    )
    return Response(
        out.getvalue(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
