"""Request bodies: read JSON with a size limit, before anything is parsed or stored."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from activitylog.errors import ActivityLogError, FieldError, ValidationError
from activitylog.events import parse_json


class PayloadTooLarge(ActivityLogError):
    status = 413


async def read_json_body(request: Request, limit: int) -> Any:
    """The parsed JSON body; 413 past ``limit`` bytes (checked while reading, so a lying
    or missing Content-Length cannot get more through), 422 when it is not JSON."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body over {limit:,} bytes; send smaller batches")
    received = bytearray()
    async for part in request.stream():
        received += part
        if len(received) > limit:
            raise PayloadTooLarge(f"request body over {limit:,} bytes; send smaller batches")
    if not received:
        raise ValidationError([FieldError("body", "is empty; send JSON")])
    try:
        return parse_json(received)  # integers kept exact, so validation can name big ones
    except orjson.JSONDecodeError as exc:
        raise ValidationError([FieldError("body", f"is not valid JSON ({exc})")]) from None
