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
    id String CODEC(ZSTD(3)),
    body String CODEC(ZSTD(3)),
    content_hash FixedString(32) CODEC(NONE),
    chain_hash FixedString(32) CODEC(NONE),
    layer LowCardinality(String),
    actor_id String CODEC(ZSTD(3)),
    actor_name Nullable(String) CODEC(ZSTD(3)),
    action LowCardinality(String),
    category LowCardinality(String),
    verb LowCardinality(String),
    kind LowCardinality(String),
    result LowCardinality(String),
    ip Nullable(String) CODEC(ZSTD(3)),
    subject_type LowCardinality(Nullable(String)),
    subject_id Nullable(String) CODEC(ZSTD(3)),
    search_text String CODEC(ZSTD(3)),
    country LowCardinality(Nullable(String)),
    actor_role LowCardinality(Nullable(String)),
    INDEX ix_id id TYPE bloom_filter(0.001) GRANULARITY 1,
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


def statements(database: str, cluster: str | None = None) -> list[str]:
    """The DDL creating the log's database and tables (each ``IF NOT EXISTS``); with
    ``cluster``, replicated tables on every node of it and Distributed tables over them,
    sharded by ``cityHash64(workspace)`` so a workspace's chain lives on one shard."""
    db = quote_name(database)
    if cluster is None:
        out = [f"CREATE DATABASE IF NOT EXISTS {db}"]
        for name, (columns, family, args, clauses) in _TABLES.items():
            dedup = f" SETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"
            out.append(
                f"CREATE TABLE IF NOT EXISTS {db}.{name} ({columns}\n)"
                f" ENGINE = {family}({args}) {clauses}" + (dedup if family == "MergeTree" else "")
            )
        return out
    on = f" ON CLUSTER {quote_name(cluster)}"
    out = [f"CREATE DATABASE IF NOT EXISTS {db}{on}"]
    for name, (columns, family, args, clauses) in _TABLES.items():
        path = f"'/clickhouse/tables/{{shard}}/{database}/{name}', '{{replica}}'"
        replicated = f"Replicated{family}({path}{', ' + args if args else ''})"
        out.append(
            f"CREATE TABLE IF NOT EXISTS {db}.{name}_local{on} ({columns}\n)"
            f" ENGINE = {replicated} {clauses}"
        )
        out.append(
            f"CREATE TABLE IF NOT EXISTS {db}.{name}{on} AS {db}.{name}_local"
            f" ENGINE = Distributed({quote_name(cluster)}, {db}, {name}_local,"
            " cityHash64(workspace))"
        )
    return out


def quote_name(name: str) -> str:
    """``name`` as a ClickHouse identifier (back-quoted)."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
