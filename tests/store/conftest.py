"""Fixtures of the store contract suite (on top of tests/conftest.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_log(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActivityLog]:
    """Like ``log`` (each engine, checkpoints every 10 events), but one database shared by
    a module's tests: for read-only tests over one data set, recorded once."""
    tmp = tmp_path_factory.mktemp("module_log")
    settings = Settings(signing_key=tmp / "signing-key.pem", checkpoint_every=10)
    if request.param == "sqlite":
        with ActivityLog(f"sqlite:///{tmp / 'activitylog.db'}", settings=settings) as log:
            yield log
        return
    base = os.environ.get("ACTIVITYLOG_TEST_POSTGRES")
    if not base:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI needs PostgreSQL: set ACTIVITYLOG_TEST_POSTGRES")
        pytest.skip("PostgreSQL tests need ACTIVITYLOG_TEST_POSTGRES")
    schema = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema},public')}"
    try:
        with ActivityLog(url, settings=settings) as log:
            yield log
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
