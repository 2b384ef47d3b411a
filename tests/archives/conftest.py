"""Fixtures for archives: a seeded log on every engine, a directory and an S3-compatible
server on loopback (moto's server mode, reached by boto3 over HTTP as in production)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from activitylog.archives import Location, open_location
from store._tamper import Seeded, seeded_log

CUTOFF = "2026-01-01T00:00:00Z"


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[Seeded]:
    """The tamper suite's log: acme has 47 entries (seq 5 deleted, its record at 26),
    checkpoints kept at 10, 20, 30, 40 and 43."""
    with seeded_log(db_url, tmp_path) as log:
        yield log


@pytest.fixture
def directory(tmp_path: Path) -> Location:
    return open_location(str(tmp_path / "archives"))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server on loopback for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; boto3 finds the server and credentials in the usual AWS variables."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    name = f"archives-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name
