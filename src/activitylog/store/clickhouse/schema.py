"""The ClickHouse tables, as DDL for one server or for a cluster.

``events`` is the log and its copies in one row per entry: the canonical body that was
hashed, its seq and hashes, and the columns pages filter, sort, search and count on
(:data:`activitylog.store.copies.COPY_COLUMNS`), all written by the append itself. A column
store reads only the columns a question names, so keeping them side by side costs no
reads, and nothing trails the log. Ordered by ``(workspace, rid)`` (``rid`` is
time-ordered, :mod:`activitylog.store.rids`), partitioned by month, each column with its
own codec. ``chain_heads`` keeps a row per head write (the newest revision wins),
``checkpoints`` the kept checkpoints, ``tombstones`` what deletions leave.

``events`` keeps counts ahead of the questions in aggregate projections by hour and day
(:data:`PROJECTIONS`): ClickHouse writes them with each part, answers a count from the
smallest that has every column it names, and rebuilds them with the parts a deletion,
purge or reindex changes (``lightweight_mutation_projection_mode = 'rebuild'``), so they
never count a row the table no longer holds. A subject's entries, scattered across the
time-ordered rows, are found through the ``by_subject`` projection
(:data:`SUBJECT_COLUMNS`, ordered by workspace, subject and rid): a few granules of its
rows instead of every granule of the window.

On a cluster (:func:`statements` with ``cluster``) each table is a ReplicatedMergeTree
(``<table>_local``) sharded by workspace, and a Distributed table of the plain name reads
and writes across the shards.
"""

from __future__ import annotations

from collections.abc import Collection

from activitylog.store.rollups import DAY_US, HOUR_US
from activitylog.store.schema import RID_SLOTS

#: Rows an insert is remembered by (its deduplication token) on a table of one server.
DEDUPLICATION_WINDOW = 10_000

_EVENTS_COLUMNS = """
    rid Int64 CODEC(DoubleDelta, ZSTD(1)),
    workspace LowCardinality(String),
    seq UInt64 CODEC(Delta, ZSTD(1)),
    id String CODEC(ZSTD(9)),
    body String CODEC(ZSTD(9)),
    content_hash FixedString(32) ALIAS SHA256(concat('\\0', body)),
    chain_hash FixedString(32) CODEC(NONE),
    layer LowCardinality(String) CODEC(ZSTD(1)),
    actor_id String CODEC(ZSTD(3)),
    actor_name Nullable(String) CODEC(ZSTD(3)),
    action LowCardinality(String) CODEC(ZSTD(1)),
    category LowCardinality(String) CODEC(ZSTD(1)),
    verb LowCardinality(String) CODEC(ZSTD(1)),
    kind LowCardinality(String) CODEC(ZSTD(1)),
    result LowCardinality(String) CODEC(ZSTD(1)),
    ip Nullable(String) CODEC(ZSTD(3)),
    subject_type LowCardinality(Nullable(String)) CODEC(ZSTD(1)),
    subject_id Nullable(String) CODEC(ZSTD(3)),
    search_text String CODEC(ZSTD(9)),
    country LowCardinality(Nullable(String)) CODEC(ZSTD(1)),
    actor_role LowCardinality(Nullable(String)) CODEC(ZSTD(1)),
    INDEX ix_id id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX ix_seq seq TYPE minmax GRANULARITY 1,
    INDEX ix_actor actor_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX ix_subject subject_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX ix_ip ip TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX ix_search search_text TYPE ngrambf_v1(3, 8192, 3, 0) GRANULARITY 1"""
#: The hour and the day (UTC, since the epoch) of a rid, as the projections group by
#: them and queries on whole hours or days must write them.
HOUR = f"intDiv(rid, {HOUR_US * RID_SLOTS})"
DAY = f"intDiv(rid, {DAY_US * RID_SLOTS})"
#: The count, and the newest rid with the actor's name there (the page's top actors).
_NEWEST = "count(), max(rid), argMax(actor_name, rid)"
#: The aggregate projections of ``events``: name -> (time grain, columns grouped by after
#: workspace and time, aggregates). Narrowest first; a count of the Activity Log page
#: names a subset.
PROJECTIONS: dict[str, tuple[str, str, str]] = {
    "kinds_by_hour": (HOUR, "layer, category, kind, verb", "count()"),
    "actors_by_hour": (HOUR, "layer, category, actor_id", _NEWEST),
    "ips_by_hour": (HOUR, "layer, category, actor_id, ip", "count()"),
    "counts_by_hour": (
        HOUR,
        "layer, category, kind, verb, action, result, actor_id",
        _NEWEST,
    ),
    # a window's whole days of the two questions with the most rows per hour
    "actors_by_day": (DAY, "layer, category, actor_id", _NEWEST),
    "ips_by_day": (DAY, "layer, category, actor_id, ip", "count()"),
}
#: The columns the projections group by: a count naming another (a filter on the subject,
#: the IP, the country, the role, ids, a search) is read from the rows.
PROJECTED = frozenset(
    name.strip() for _, keys, _ in PROJECTIONS.values() for name in keys.split(",")
)
#: The columns the day projections group by.
BY_DAY = frozenset(
    name.strip()
    for grain, keys, _ in PROJECTIONS.values()
    if grain == DAY
    for name in keys.split(",")
)


#: The ``by_subject`` projection's columns: the subject's, the rid and what a visibility
#: names; ordered by the first four. A page of a subject's history takes its rids from it
#: and the count is answered from it (ClickHouse picks it when a question names no other
#: column).
SUBJECT_COLUMNS = ("workspace", "subject_type", "subject_id", "rid", "layer", "category")
SUBJECT_PROJECTION = (
    f"PROJECTION by_subject (SELECT {', '.join(SUBJECT_COLUMNS)}"
    f" ORDER BY ({', '.join(SUBJECT_COLUMNS[:4])}))"
)
#: Every projection of ``events``, aggregate and ordered.
ALL_PROJECTIONS = (*PROJECTIONS, "by_subject")


def projection(name: str) -> str:
    """The ``PROJECTION`` clause of one of :data:`ALL_PROJECTIONS`."""
    if name == "by_subject":
        return SUBJECT_PROJECTION
    grain, keys, aggregates = PROJECTIONS[name]
    grouped = f"workspace, {grain}, {keys}"
    return f"PROJECTION {name} (SELECT {grouped}, {aggregates} GROUP BY {grouped})"


#: Whole months (UTC) of the rid's time: rid // 10^9 is seconds since the epoch.
_MONTH = "toYYYYMM(toDateTime(intDiv(rid, 1000000000), 'UTC'))"

_HEADS_COLUMNS = """
    workspace String,
    revision UInt64,
    seq UInt64,
    chain_hash String,
    frontier String,
    note Nullable(String),
    checkpoint_seq UInt64,
    checkpoint_at Int64"""

_CHECKPOINTS_COLUMNS = """
    workspace String,
    size UInt64,
    note String"""

_TOMBSTONES_COLUMNS = """
    workspace String,
    seq UInt64,
    id String,
    occurred_at Int64,
    content_hash String,
    chain_hash String,
    deleted_at Int64,
    deleted_by String,
    reason String,
    INDEX ix_id id TYPE bloom_filter(0.001) GRANULARITY 1"""


#: name -> (columns, engine family, engine arguments, table clauses).
_TABLES: dict[str, tuple[str, str, str, str]] = {
    "events": (
        _EVENTS_COLUMNS + "".join(f",\n    {projection(name)}" for name in ALL_PROJECTIONS),
        "MergeTree",
        "",
        f"PARTITION BY {_MONTH} ORDER BY (workspace, rid)",
    ),
    "chain_heads": (_HEADS_COLUMNS, "ReplacingMergeTree", "revision", "ORDER BY workspace"),
    "checkpoints": (_CHECKPOINTS_COLUMNS, "ReplacingMergeTree", "", "ORDER BY (workspace, size)"),
    "tombstones": (_TOMBSTONES_COLUMNS, "ReplacingMergeTree", "", "ORDER BY (workspace, seq)"),
}
TABLES = tuple(_TABLES)
#: Table settings beside the engine's: ``events`` compresses its columns in blocks of 1 to
#: 4 MiB (the default 64 KiB to 1 MiB leaves the bodies' likeness across rows unused).
#: A lightweight DELETE rebuilds the projections of the parts it changes (the default
#: refuses it on a table with projections).
_SETTINGS: dict[str, dict[str, int | str]] = {
    "events": {
        "min_compress_block_size": 1 << 20,
        "max_compress_block_size": 1 << 22,
        "lightweight_mutation_projection_mode": "rebuild",
    }
}


def statements(database: str, cluster: str | None = None) -> list[str]:
    """The DDL creating the log's database and tables (each ``IF NOT EXISTS``); with
    ``cluster``, replicated tables on every node of it and Distributed tables over them,
    sharded by ``cityHash64(workspace)`` so a workspace's chain lives on one shard."""
    db = quote_name(database)
    if cluster is None:
        out = [f"CREATE DATABASE IF NOT EXISTS {db}"]
        for name, (columns, family, args, clauses) in _TABLES.items():
            settings: dict[str, int | str] = dict(_SETTINGS.get(name, {}))
            if family == "MergeTree":
                settings["non_replicated_deduplication_window"] = DEDUPLICATION_WINDOW
            out.append(
                f"CREATE TABLE IF NOT EXISTS {db}.{name} ({columns}\n)"
                f" ENGINE = {family}({args}) {clauses}{_settings(settings)}"
            )
        return out
    on = f" ON CLUSTER {quote_name(cluster)}"
    out = [f"CREATE DATABASE IF NOT EXISTS {db}{on}"]
    for name, (columns, family, args, clauses) in _TABLES.items():
        path = f"'/clickhouse/tables/{{shard}}/{database}/{name}', '{{replica}}'"
        replicated = f"Replicated{family}({path}{', ' + args if args else ''})"
        out.append(
            f"CREATE TABLE IF NOT EXISTS {db}.{name}_local{on} ({columns}\n)"
            f" ENGINE = {replicated} {clauses}{_settings(_SETTINGS.get(name, {}))}"
        )
        out.append(
            f"CREATE TABLE IF NOT EXISTS {db}.{name}{on} AS {db}.{name}_local"
            f" ENGINE = Distributed({quote_name(cluster)}, {db}, {name}_local,"
            " cityHash64(workspace))"
        )
    return out


def upgrades(
    database: str,
    content_hash_stored: bool,
    projections: Collection[str],
    cluster: str | None = None,
) -> list[str]:
    """The statements bringing an ``events`` made by an earlier layout to this one (empty
    when it has it): of layout 1 (the content hash stored, bodies ``ZSTD(3)``) the stored
    content hash dropped for the column computed from the body (the hashes stay what they
    were: the alias is the hash every append stored), the codecs and block sizes above
    for the parts written or merged from then on; and the :data:`ALL_PROJECTIONS` it lacks
    (``projections`` are those it has), added and filled from the rows it holds (a
    mutation, waited for). With ``cluster``, the projections of a cluster's
    ``events_local`` on every node (the content hash is one server's upgrade)."""
    out: list[str] = []
    table = f"{quote_name(database)}.events"
    if cluster is not None:
        table = f"{quote_name(database)}.events_local ON CLUSTER {quote_name(cluster)}"
    elif content_hash_stored:
        alias = next(line for line in _EVENTS_COLUMNS.splitlines() if "content_hash" in line)
        out += [
            f"ALTER TABLE {table} DROP COLUMN content_hash",
            f"ALTER TABLE {table} ADD COLUMN {alias.strip().rstrip(',')} AFTER body",
        ]
        for line in _EVENTS_COLUMNS.splitlines():
            line = line.strip().rstrip(",")
            if " CODEC(" in line and not line.startswith(("INDEX", "content_hash")):
                out.append(f"ALTER TABLE {table} MODIFY COLUMN {line}")
        out.append(f"ALTER TABLE {table} MODIFY SETTING {_assigned(_SETTINGS['events'])}")
    missing = [name for name in ALL_PROJECTIONS if name not in projections]
    if missing:
        mode = _assigned({"lightweight_mutation_projection_mode": "rebuild"})
        out.append(f"ALTER TABLE {table} MODIFY SETTING {mode}")
        out += [f"ALTER TABLE {table} ADD {projection(name)}" for name in missing]
        out += [
            f"ALTER TABLE {table} MATERIALIZE PROJECTION {name} SETTINGS mutations_sync = 2"
            for name in missing
        ]
    return out


def _settings(settings: dict[str, int | str]) -> str:
    if not settings:
        return ""
    return f" SETTINGS {_assigned(settings)}"


def _assigned(settings: dict[str, int | str]) -> str:
    """``name = value, ...`` (strings quoted)."""
    return ", ".join(
        f"{k} = {v}" if isinstance(v, int) else f"{k} = '{v}'" for k, v in settings.items()
    )


def quote_name(name: str) -> str:
    """``name`` as a ClickHouse identifier (back-quoted)."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
