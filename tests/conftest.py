"""Shared fixtures: a fresh store per test on every engine, and a signing key.

PostgreSQL tests run when ``ACTIVITYLOG_TEST_POSTGRES`` names a server (each test gets its
own schema); outside CI they skip with a reason when it is unset, in CI they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from activitylog import ActivityLog
from activitylog.settings import Settings

# Tests never assert timings: no deadline per example, and no failure for data that is
# slow to generate on a busy machine (a test's own settings still apply on top).
hypothesis_settings.register_profile(
    "activitylog", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("activitylog")

POSTGRES_URL = os.environ.get("ACTIVITYLOG_TEST_POSTGRES")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema},public')}"


@contextmanager
def temporary_schema() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a schema of their own, dropped afterwards."""
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI needs PostgreSQL: set ACTIVITYLOG_TEST_POSTGRES")
        pytest.skip("PostgreSQL tests need ACTIVITYLOG_TEST_POSTGRES")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield postgres_schema_url(POSTGRES_URL, schema)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def postgres_schema() -> Callable[[], AbstractContextManager[str]]:
    """:func:`temporary_schema`, for fixtures of other scopes."""
    return temporary_schema


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a schema of its own for one test."""
    with temporary_schema() as url:
        yield url


@pytest.fixture(autouse=True)
def receivers_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run webhook, syslog and SMTP receivers on loopback: allow private destinations
    (tests of the refusal turn it off)."""
    monkeypatch.setenv("ACTIVITYLOG_PRIVATE_DESTINATIONS", "true")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once per engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'activitylog.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Test settings: checkpoints every 10 entries; apps run no followers (a test that
    wants them steps them, or turns ``followers`` on)."""
    return Settings(signing_key=tmp_path / "signing-key.pem", checkpoint_every=10, followers=False)


@pytest.fixture
def log(db_url: str, settings: Settings) -> Iterator[ActivityLog]:
    """An ActivityLog on a fresh database (each engine), checkpoints every 10 events."""
    with ActivityLog(db_url, settings=settings) as instance:
        yield instance
