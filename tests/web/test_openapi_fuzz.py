"""Schemathesis against ``/openapi.json``: generated requests to every operation, with
valid credentials, never get a 5xx, and every reply is one the document declares: its
status, media type, headers and body schema."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ._support import build_world

# Schemathesis reads the schema at import time, so the app is built then too.
_ROOT = Path(tempfile.mkdtemp(prefix="activitylog-fuzz-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
WORLD = build_world(_ROOT, 300)
schema = schemathesis.openapi.from_asgi("/openapi.json", WORLD.app)
KEY_FOR = {"POST /api/v1/events": "platform_ingest"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_replies_as_declared(case: schemathesis.Case) -> None:
    key = KEY_FOR.get(f"{case.method.upper()} {case.path}", "platform_read")
    response = case.call(headers=WORLD.bearer(key))
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=CHECKS)
