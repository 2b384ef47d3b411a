"""The ClickHouse tables, as DDL for one server or for a cluster.

``events`` is the log and its copies in one row per entry: the canonical body that was
hashed, its seq and hashes, and the columns pages filter, sort, search and count on
(:data:`activitylog.store.copies.COPY_COLUMNS`), all written by the append itself. A column
store reads only the columns a question names, so keeping them side by side costs no
reads, and nothing trails the log. Ordered by ``(workspace, rid)`` (``rid`` is
time-ordered, :mod:`activitylog.store.rids`), partitioned by month, each column with its
own codec. ``chain_heads`` keeps a row per head write (the newest revision wins),
``checkpoints`` the kept checkpoints, ``tombstones`` what deletions leave.

On a cluster (:func:`statements` with ``cluster``) each table is a ReplicatedMergeTree
(``<table>_local``) sharded by workspace, and a Distributed table of the plain name reads
and writes across the shards.
"""

from __future__ import annotations

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
        _EVENTS_COLUMNS,
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
_SETTINGS: dict[str, dict[str, int]] = {
    "events": {"min_compress_block_size": 1 << 20, "max_compress_block_size": 1 << 22}
}


def statements(database: str, cluster: str | None = None) -> list[str]:
    """The DDL creating the log's database and tables (each ``IF NOT EXISTS``); with
    ``cluster``, replicated tables on every node of it and Distributed tables over them,
    sharded by ``cityHash64(workspace)`` so a workspace's chain lives on one shard."""
    db = quote_name(database)
    if cluster is None:
        out = [f"CREATE DATABASE IF NOT EXISTS {db}"]
        for name, (columns, family, args, clauses) in _TABLES.items():
            settings = dict(_SETTINGS.get(name, {}))
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


def upgrades(database: str, content_hash_stored: bool) -> list[str]:
    """The statements bringing a one-server ``events`` made by an earlier layout (layout
    1: the content hash stored, bodies ``ZSTD(3)``) to this one (layout 2): the stored
    content hash dropped for the column computed from the body (the hashes stay what they
    were: the alias is the hash every append stored), the codecs and block sizes above for
    the parts written or merged from then on. Empty when ``events`` has the layout."""
    if not content_hash_stored:
        return []
    table = f"{quote_name(database)}.events"
    alias = next(line for line in _EVENTS_COLUMNS.splitlines() if "content_hash" in line)
    out = [
        f"ALTER TABLE {table} DROP COLUMN content_hash",
        f"ALTER TABLE {table} ADD COLUMN {alias.strip().rstrip(',')} AFTER body",
    ]
    for line in _EVENTS_COLUMNS.splitlines():
        line = line.strip().rstrip(",")
        if " CODEC(" in line and not line.startswith(("INDEX", "content_hash")):
            out.append(f"ALTER TABLE {table} MODIFY COLUMN {line}")
    settings = ", ".join(f"{k} = {v}" for k, v in _SETTINGS["events"].items())
    out.append(f"ALTER TABLE {table} MODIFY SETTING {settings}")
    return out


def _settings(settings: dict[str, int]) -> str:
    if not settings:
        return ""
    return " SETTINGS " + ", ".join(f"{k} = {v}" for k, v in settings.items())


def quote_name(name: str) -> str:
    """``name`` as a ClickHouse identifier (back-quoted)."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
