"""The Store protocol holds exactly what the package outside ``store/`` asks of an engine,
and every engine offers it with the same signatures."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings
from activitylog.store import SQLStore, Store
from activitylog.store.postgres import PostgresStore
from activitylog.store.sqlite import SQLiteStore

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "activitylog"
#: The names the store goes by outside ``store/``: ``log.store``, ``self.store``,
#: ``store`` parameters (purges, proofs, verification, statistics, reports).
STORE_NAMES = {"store", "_store"}


def _members(protocol: type) -> set[str]:
    return {
        name for name in (*vars(protocol), *protocol.__annotations__) if not name.startswith("_")
    }


def _used_outside_store() -> dict[str, list[str]]:
    """Each member read from a store outside ``store/``, with where."""
    used: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            named = (isinstance(owner, ast.Name) and owner.id in STORE_NAMES) or (
                isinstance(owner, ast.Attribute) and owner.attr in STORE_NAMES
            )
            if named:
                used.setdefault(node.attr, []).append(f"{relative}:{node.lineno}")
    return used


def test_the_protocol_is_what_the_package_uses() -> None:
    used = _used_outside_store()
    members = _members(Store)
    unused = members - set(used)
    assert not unused, f"Store members nothing outside store/ uses: {sorted(unused)}"
    missing = {name: where for name, where in used.items() if name not in members}
    assert not missing, f"used outside store/ but not in the Store protocol: {missing}"


def test_the_scan_finds_store_uses() -> None:
    used = _used_outside_store()
    assert any(where.startswith("client.py:") for where in used["append_batch"])
    assert any(where.startswith("followers/core.py:") for where in used["after"])


def _offers_as_stated(engine: type, name: str) -> None:
    stated = inspect.signature(getattr(Store, name))
    offered = inspect.signature(getattr(engine, name))
    for parameter in stated.parameters.values():
        assert parameter.name in offered.parameters, f"{engine.__name__}.{name}"
        assert offered.parameters[parameter.name].kind == parameter.kind
        assert offered.parameters[parameter.name].default == parameter.default


@pytest.mark.parametrize("name", sorted(_members(Store) - {"engine"}))
def test_the_sql_engines_have_each_method_as_the_protocol_states_it(name: str) -> None:
    for engine in (SQLStore, SQLiteStore, PostgresStore):
        _offers_as_stated(engine, name)


@pytest.mark.clickhouse
@pytest.mark.parametrize("name", sorted(_members(Store) - {"engine"}))
def test_the_clickhouse_engine_has_each_method_as_the_protocol_states_it(
    name: str, chdb_url: Callable[[], str]
) -> None:
    from activitylog.store.clickhouse.store import ClickHouseStore

    _offers_as_stated(ClickHouseStore, name)


def test_an_open_store_has_every_member(log: ActivityLog) -> None:
    store = log.store
    for name in _members(Store):
        assert hasattr(store, name), name


@pytest.mark.clickhouse
def test_an_open_clickhouse_store_has_every_member(
    chdb_url: Callable[[], str], settings: Settings
) -> None:
    with ActivityLog(chdb_url(), settings=settings) as log:
        for name in _members(Store):
            assert hasattr(log.store, name), name
