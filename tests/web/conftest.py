"""Web fixtures: ``world`` (a seeded app, built once per module: seeding and Argon2 hashing
are slow) and ``fresh`` (an empty one, for tests that change the log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher

from activitylog.accounts import passwords

from ._server import LiveServer
from ._support import World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Web tests sign in a lot: hash with minimal argon2 cost here (the accounts tests
    keep the real parameters)."""
    real = passwords._HASHER
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._HASHER = real


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("world"), 3000)
    yield built
    built.state.log.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    built = build_world(tmp_path, 0)
    yield built
    built.state.log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the browser tests of one module."""
    from ._browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[LiveServer]:
    """The module's world served on loopback."""
    live = LiveServer(world.app).start()
    yield live
    live.close()
