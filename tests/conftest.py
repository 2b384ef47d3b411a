"""Shared fixtures: a fresh store per test on every engine, and a signing key; at the end
of a run, a short account of any exception raised where Python could not raise it.

PostgreSQL tests run when ``ACTIVITYLOG_TEST_POSTGRES`` names a server (each test gets its
own schema); outside CI they skip with a reason when it is unset, in CI they fail.
"""

from __future__ import annotations

import os
import re
import shutil
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
    schema = _new_schema()
    try:
        yield postgres_schema_url(str(POSTGRES_URL), schema)
    finally:
        _drop_schemas([schema])


def _new_schema() -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(str(POSTGRES_URL), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema


def _drop_schemas(schemas: list[str]) -> None:
    with psycopg.connect(str(POSTGRES_URL), autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def postgres_schema() -> Callable[[], AbstractContextManager[str]]:
    """:func:`temporary_schema`, for fixtures of other scopes."""
    return temporary_schema


#: Schemas this process's earlier tests left, their rows deleted: the next test takes one
#: instead of migrating a new schema (a fifth of a PostgreSQL test's time otherwise).
_CLEAN_SCHEMAS: list[str] = []
#: What a freshly migrated schema's tables, columns, indexes, triggers and functions are
#: (the log's tree alone, and with the accounts'): only a schema still like one is reused.
_FRESH_SHAPES: set[str] = set()
#: Every object of the current schema, with what a test could change about it.
_SHAPE = """
SELECT md5(string_agg(replace(item, current_schema() || '.', ''), ',' ORDER BY item)) FROM (
  SELECT 'r ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(pg_get_indexdef(c.oid), '')
    || ' ' || coalesce(array_to_string(c.reloptions, ';'), '') AS item
    FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
  UNION ALL
  SELECT 'c ' || a.attrelid::regclass::text || ' ' || a.attname || ' ' || a.atttypid::text
    || ' ' || a.attnotnull::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0
      AND NOT a.attisdropped
  UNION ALL
  SELECT 't ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'k ' || pg_get_constraintdef(k.oid) FROM pg_constraint k
    WHERE k.connamespace = current_schema()::regnamespace
  UNION ALL
  SELECT 'f ' || p.proname || ' ' || md5(p.prosrc) FROM pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace
  UNION ALL
  SELECT 'v ' || version_num FROM alembic_version
) AS shape
"""


def _version_tables(conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
    return [
        name
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename LIKE 'alembic_version%%'"
        )
    ]


def _shape(conn: psycopg.Connection[tuple[object, ...]]) -> str | None:
    """The schema's shape with its migrations' revisions, or None if it has no log."""
    versions = _version_tables(conn)
    if "alembic_version" not in versions:
        return None
    shape = conn.execute(_SHAPE).fetchone()
    revisions = [str(row) for name in sorted(versions) for row in conn.execute(f"TABLE {name}")]
    return f"{shape}{revisions}"


def _learn_fresh_shapes(tmp: Path) -> None:
    """Migrate a new schema (the log's tree, then the accounts' too) and note its shapes."""
    from activitylog.accounts.database import AccountsDatabase

    with temporary_schema() as url:
        settings = Settings(signing_key=tmp / "signing-key.pem", followers=False)
        with ActivityLog(url, settings=settings):
            pass
        with psycopg.connect(url, autocommit=True) as conn:
            _FRESH_SHAPES.add(str(_shape(conn)))
        AccountsDatabase.open(url).close()
        with psycopg.connect(url, autocommit=True) as conn:
            _FRESH_SHAPES.add(str(_shape(conn)))


def _emptied(schema: str) -> bool:
    """Delete every row but the revisions from a schema still shaped as freshly
    migrated; False (the schema to be dropped) otherwise, or if anything holds it."""
    url = postgres_schema_url(str(POSTGRES_URL), schema)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            if _shape(conn) not in _FRESH_SHAPES:
                return False
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename NOT LIKE 'alembic_version%%'"
                )
            ]
            sequences = [
                name
                for (name,) in conn.execute(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
                )
            ]
            # one transaction, triggers off (the log's refuse deletions)
            conn.execute(
                "SET lock_timeout = '2s'; SET session_replication_role = replica; BEGIN;"
                + "".join(f'DELETE FROM "{name}";' for name in tables)
                + "".join(f"SELECT setval('\"{name}\"', 1, false);" for name in sequences)
                + "COMMIT;"
            )
        return True
    except psycopg.Error:
        return False


@contextmanager
def reused_schema(tmp: Path) -> Iterator[str]:
    """Like :func:`temporary_schema`, but a schema an earlier test of this process left
    (emptied, and shaped as freshly migrated) when there is one."""
    if not POSTGRES_URL:
        with temporary_schema() as url:  # fails or skips with the reason
            yield url
        return
    if not _FRESH_SHAPES:
        _learn_fresh_shapes(tmp)
    schema = _CLEAN_SCHEMAS.pop() if _CLEAN_SCHEMAS else _new_schema()
    try:
        yield postgres_schema_url(POSTGRES_URL, schema)
    finally:
        if _emptied(schema):
            _CLEAN_SCHEMAS.append(schema)
        else:
            _drop_schemas([schema])


@pytest.fixture(scope="session", autouse=True)
def _drop_reused_schemas() -> Iterator[None]:
    yield
    if POSTGRES_URL and _CLEAN_SCHEMAS:
        _drop_schemas(_CLEAN_SCHEMAS)


@pytest.fixture
def postgres_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A PostgreSQL URL with a schema of its own for one test: empty, or holding an empty
    log (migrated, as every test's log is at its first open); a new schema for tests
    marked ``empty_database`` (migrations from the first revision)."""
    if request.node.get_closest_marker("empty_database"):
        with temporary_schema() as url:
            yield url
        return
    with reused_schema(tmp_path_factory.getbasetemp()) as url:
        yield url


@pytest.fixture(autouse=True)
def receivers_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run webhook, syslog and SMTP receivers on loopback: allow private destinations
    (tests of the refusal turn it off)."""
    monkeypatch.setenv("ACTIVITYLOG_PRIVATE_DESTINATIONS", "true")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding an empty log, migrated once per process to be copied."""
    path = tmp_path_factory.mktemp("migrated") / "activitylog.db"
    settings = Settings(signing_key=path.with_name("signing-key.pem"), followers=False)
    with ActivityLog(f"sqlite:///{path}", settings=settings):
        pass
    return path


def sqlite_url(request: pytest.FixtureRequest, directory: Path) -> str:
    """A SQLite URL in ``directory``: a copy of :func:`migrated_sqlite` (what every
    test's log is at its first open, without a migration each time), or no file at all
    for tests marked ``empty_database``."""
    path = directory / "activitylog.db"
    if not request.node.get_closest_marker("empty_database"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once per engine."""
    if request.param == "sqlite":
        return sqlite_url(request, tmp_path)
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


#: The lines of a failure's text that say where an exception Python could not raise (in a
#: finalizer, a garbage-collected object, another thread) came from, and what it was.
_UNRAISABLE_LINES = re.compile(
    r"Exception ignored in|File \"|^[\s|]*[\w.]+(Error|Warning|Exception): "
)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeat the gist of each unraisable exception just above the short summary: pytest
    reports one at the test during which it was collected, often not the one that made
    it, and the full text may be far above the end of a long run's output."""
    lines: list[str] = []
    for key in ("error", "failed"):
        for report in terminalreporter.stats.get(key, []):
            text = str(getattr(report, "longrepr", "") or "")
            if "unraisable" not in text:
                continue
            lines.append(f"{report.nodeid} ({report.when}):")
            for line in text.splitlines():
                if _UNRAISABLE_LINES.search(line) and "site-packages" not in line:
                    gist = f"  {line.strip(' |')}"
                    if gist not in lines:
                        lines.append(gist)
    if lines:
        terminalreporter.write_sep("=", "unraisable exceptions")
        for line in lines[:60]:
            terminalreporter.write_line(line)
