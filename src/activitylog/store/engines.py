"""Storage engines by URL scheme, each imported only when a URL names it.

:data:`ENGINES` holds the built-in ones. Other packages add theirs under the
``activitylog.engines`` entry-point group, the entry's name being the scheme and its value
the ``"module:Class"`` to open it with::

    [project.entry-points."activitylog.engines"]
    duckdb = "activitylog_duckdb:DuckDBStore"

An engine is called as ``Class(url, policy)``, plus the keyword options its entry lists,
and returns the open (migrated) :class:`~activitylog.store.protocol.Store`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, cast

from activitylog.errors import ConfigurationError

if TYPE_CHECKING:
    from activitylog.store.protocol import Store

GROUP = "activitylog.engines"


@dataclass(frozen=True)
class Engine:
    """Where one scheme's store class lives, and what opening it needs."""

    #: ``"module:Class"``, imported when a URL of the scheme is opened.
    target: str
    #: The ``activitylog[...]`` extra that installs the engine's driver (None: built in).
    extra: str | None = None
    #: The keyword options of :func:`~activitylog.store.open_store` the class takes.
    options: tuple[str, ...] = ()
    #: Whether one process at a time may open a log (chdb holds its directory): ``serve``
    #: then runs the followers in its own process, not in a child.
    one_process: bool = False

    def load(self, scheme: str) -> Callable[..., Store]:
        """Import the class; a :class:`ConfigurationError` naming the extra to install
        when its driver is missing."""
        module, _, name = self.target.partition(":")
        try:
            return cast("Callable[..., Store]", getattr(import_module(module), name))
        except ImportError as exc:
            if self.extra is None or (exc.name or "").startswith("activitylog"):
                raise
            raise ConfigurationError(
                f"{scheme}:// URLs need the {self.extra} extra ({exc}): "
                f"pip install 'activitylog[{self.extra}]'"
            ) from exc


_POSTGRES = Engine("activitylog.store.postgres:PostgresStore", extra="postgres")
_CLICKHOUSE = Engine("activitylog.store.clickhouse.store:ClickHouseStore", extra="clickhouse")
_CHDB = Engine(_CLICKHOUSE.target, extra="clickhouse", one_process=True)
#: The built-in engines; an entry point cannot replace one.
ENGINES: dict[str, Engine] = {
    "sqlite": Engine("activitylog.store.sqlite:SQLiteStore", options=("durability",)),
    "postgresql": _POSTGRES,
    "postgres": _POSTGRES,
    "chdb": _CHDB,
    "clickhouse": _CLICKHOUSE,
    "clickhouses": _CLICKHOUSE,
}


def scheme_of(url: str) -> str:
    """The engine part of a database URL's scheme: ``postgresql+psycopg://`` ->
    ``postgresql``."""
    return url.split(":", 1)[0].split("+", 1)[0].lower()


def engine_for(scheme: str) -> Engine:
    """The engine registered for ``scheme``: built in, else an entry point (the installed
    packages' metadata is read only then). A :class:`ConfigurationError` naming the known
    schemes for any other."""
    if scheme in ENGINES:
        return ENGINES[scheme]
    plugins = {entry.name.lower(): entry.value for entry in entry_points(group=GROUP)}
    if scheme in plugins:
        return Engine(plugins[scheme])
    known = ", ".join(f"{name}://" for name in sorted({*ENGINES, *plugins}))
    raise ConfigurationError(f"unsupported database URL scheme {scheme!r}; known: {known}")


__all__ = ["ENGINES", "GROUP", "Engine", "engine_for", "scheme_of"]
