"""Request bodies: read JSON with a size limit, before anything is parsed or stored."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from activitylog.errors import ActivityLogError, FieldError, ValidationError
from activitylog.events import parse_json


class PayloadTooLarge(ActivityLogError):
    status = 413


class UnsupportedMediaType(ActivityLogError):
    status = 415


def is_json_type(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type, parameters (charset) aside."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json_body(request: Request, limit: int) -> Any:
    """The parsed JSON body; 415 when a Content-Type other than JSON is declared (none
    is read as JSON), 413 past ``limit`` bytes (checked while reading, so a lying or
    missing Content-Length cannot get more through), 422 when it is not JSON."""
    declared_type = request.headers.get("content-type")
    if declared_type is not None and not is_json_type(declared_type):
        raise UnsupportedMediaType(
            f"Content-Type {declared_type!r} is not JSON; send application/json"
        )
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
