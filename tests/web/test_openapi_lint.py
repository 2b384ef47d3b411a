"""Redocly's CLI (test-only, from npm: ``npm ci --prefix tests/web``) lints
``/openapi.json`` with its recommended ruleset: no errors, and no warning but those the
document means (``/health`` answers no 4xx: it needs no credentials and takes no input; an
alert's ``ack`` and ``resolve`` look like the rules' and channels' paths, but take another
method)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ._support import build_world

REDOCLY = Path(__file__).resolve().parent / "node_modules" / ".bin" / "redocly"
EXPECTED_WARNINGS = {
    ("operation-4xx-response", "#/paths/~1api~1v1~1health/get/responses"),
    # /alerts/{alert_id}/ack|resolve (POST) beside /alerts/rules/{name} (PATCH) and
    # /alerts/channels/{id} (DELETE): other methods, and an alert id is a UUID
    ("no-ambiguous-paths", "#/paths/~1api~1v1~1alerts~1{alert_id}~1ack"),
    ("no-ambiguous-paths", "#/paths/~1api~1v1~1alerts~1{alert_id}~1resolve"),
}


def test_redocly_recommended_ruleset(tmp_path: Path) -> None:
    if not REDOCLY.is_file():
        pytest.fail(f"the lint needs Redocly's CLI at {REDOCLY}: npm ci --prefix tests/web")
    world = build_world(tmp_path, 10)
    spec = tmp_path / "openapi.json"
    spec.write_text(TestClient(world.app).get("/openapi.json").text)
    env = {
        **os.environ,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        # nothing is fetched: a request would go to a proxy that does not answer
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [str(REDOCLY), "lint", str(spec), "--extends", "recommended", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout[result.stdout.index("{") :])
    problems = {
        (p["ruleId"], p["location"][0]["pointer"], p["severity"]) for p in report["problems"]
    }
    errors = {p for p in problems if p[2] == "error"}
    assert not errors, report["problems"]
    assert {p[:2] for p in problems} <= EXPECTED_WARNINGS, report["problems"]
    assert result.returncode == 0, result.stderr


SPECTRAL = REDOCLY.parent / "spectral"


def test_spectral_oas_ruleset(tmp_path: Path) -> None:
    if not SPECTRAL.is_file():
        pytest.fail(f"the lint needs Spectral at {SPECTRAL}: npm ci --prefix tests/web")
    world = build_world(tmp_path, 10)
    spec = tmp_path / "openapi.json"
    spec.write_text(TestClient(world.app).get("/openapi.json").text)
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n')
    result = subprocess.run(
        [str(SPECTRAL), "lint", str(spec), "--ruleset", str(ruleset), "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"},
        timeout=120,
        check=False,
    )
    report, _ = json.JSONDecoder().raw_decode(result.stdout[result.stdout.index("[") :])
    assert report == [], report  # no error, warning, information or hint
    assert result.returncode == 0, result.stderr
