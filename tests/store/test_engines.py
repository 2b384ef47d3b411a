"""Engines chosen by URL scheme: the built-in ones, entry points, and the errors of an
unknown scheme or a missing driver."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.errors import ConfigurationError
from activitylog.keyfile import KeyFile
from activitylog.sealing import SealPolicy
from activitylog.settings import Settings
from activitylog.store import engines, open_store
from activitylog.store.sqlite import SQLiteStore


def _policy(tmp_path: Path) -> SealPolicy:
    keys = KeyFile(tmp_path / "signing-key.pem")
    return SealPolicy(key=keys.key, ring=keys.ring)


def _plugins(monkeypatch: pytest.MonkeyPatch, **targets: str) -> None:
    """Make ``targets`` (scheme -> ``"module:Class"``) the installed entry points."""
    found = [EntryPoint(name, target, engines.GROUP) for name, target in targets.items()]

    def entry_points(*, group: str) -> list[EntryPoint]:
        return found if group == engines.GROUP else []

    monkeypatch.setattr(engines, "entry_points", entry_points)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("sqlite:///activitylog.db", "sqlite"),
        ("SQLite:///activitylog.db", "sqlite"),
        ("postgresql+psycopg://u@db/app", "postgresql"),
        ("postgres://u@db/app", "postgres"),
        ("duckdb:///log.duckdb", "duckdb"),
    ],
)
def test_the_scheme_is_the_engine_part_of_the_url(url: str, scheme: str) -> None:
    assert engines.scheme_of(url) == scheme


def test_both_postgresql_schemes_name_one_engine() -> None:
    assert engines.engine_for("postgres") == engines.engine_for("postgresql")
    assert engines.engine_for("postgresql").extra == "postgres"


def test_an_unknown_scheme_names_itself_and_the_known_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plugins(monkeypatch, lite="activitylog.store.sqlite:SQLiteStore")
    with pytest.raises(ConfigurationError) as caught:
        ActivityLog("mysql://u:secret@db/app", settings=Settings(signing_key=tmp_path / "k.pem"))
    message = str(caught.value)
    assert "'mysql'" in message
    assert "lite://, postgres://, postgresql://, sqlite://" in message
    assert "secret" not in message


def test_an_engine_registered_by_entry_point_opens_its_scheme(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # SQLite's class under a scheme of its own: it is called with the URL and the policy.
    _plugins(monkeypatch, lite="activitylog.store.sqlite:SQLiteStore")
    settings = Settings(signing_key=tmp_path / "k.pem")
    with ActivityLog(f"lite:///{tmp_path / 'plugin.db'}", settings=settings) as log:
        assert isinstance(log.store, SQLiteStore)
        log.record(action="contact.updated", actor={"id": "u_1"}, workspace="acme")
        assert log.count(workspace="acme") == 1
    assert (tmp_path / "plugin.db").exists()


def test_an_entry_point_cannot_replace_a_built_in_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plugins(monkeypatch, sqlite="no_such_module:Store")
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}", _policy(tmp_path))
    try:
        assert isinstance(store, SQLiteStore)
    finally:
        store.close()


def test_only_sqlite_is_given_the_durability(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[tuple[tuple[object, ...], dict[str, object]]] = []

    class Recording:
        def __init__(self, *args: object, **kwargs: object) -> None:
            seen.append((args, kwargs))

    monkeypatch.setattr(engines.Engine, "load", lambda self, scheme: Recording)
    policy = _policy(tmp_path)
    open_store("sqlite:///a.db", policy, durability="normal")
    open_store("postgresql://u@db/app", policy, durability="normal")
    assert seen == [
        (("sqlite:///a.db", policy), {"durability": "normal"}),
        (("postgresql://u@db/app", policy), {}),
    ]


def test_a_postgresql_url_without_psycopg_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As if psycopg were not installed: importing it fails, and so the engine's module.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "activitylog.store.postgres", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        open_store("postgresql://u@db/app", _policy(tmp_path))
    assert "pip install 'activitylog[postgres]'" in str(caught.value)
    assert str(caught.value).startswith("postgresql:// URLs need the postgres extra")


def test_a_sqlite_log_never_imports_psycopg(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from activitylog import ActivityLog
        from activitylog.settings import Settings

        settings = Settings(signing_key={str(tmp_path / "k.pem")!r})
        with ActivityLog({f"sqlite:///{tmp_path / 'a.db'}"!r}, settings=settings) as log:
            log.record(action="contact.updated", actor={{"id": "u_1"}}, workspace="acme")
            assert log.query(workspace="acme").total == 1
            assert log.verify().ok
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "psycopg")
        print(",".join(loaded) or "none")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "none"
