CREATE DATABASE IF NOT EXISTS `activitylog` ON CLUSTER `logs`;

CREATE TABLE IF NOT EXISTS `activitylog`.events_local ON CLUSTER `logs` (
    rid Int64 CODEC(DoubleDelta, ZSTD(1)),
    workspace LowCardinality(String),
    seq UInt64 CODEC(Delta, ZSTD(1)),
    id String CODEC(ZSTD(9)),
    body String CODEC(ZSTD(9)),
    content_hash FixedString(32) ALIAS SHA256(concat('\0', body)),
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
    INDEX ix_search search_text TYPE ngrambf_v1(3, 8192, 3, 0) GRANULARITY 1,
    PROJECTION kinds_by_hour (SELECT workspace, intDiv(rid, 3600000000000), layer, category, kind, verb, count() GROUP BY workspace, intDiv(rid, 3600000000000), layer, category, kind, verb),
    PROJECTION actors_by_hour (SELECT workspace, intDiv(rid, 3600000000000), layer, category, actor_id, count(), max(rid), argMax(actor_name, rid) GROUP BY workspace, intDiv(rid, 3600000000000), layer, category, actor_id),
    PROJECTION ips_by_hour (SELECT workspace, intDiv(rid, 3600000000000), layer, category, actor_id, ip, count() GROUP BY workspace, intDiv(rid, 3600000000000), layer, category, actor_id, ip),
    PROJECTION counts_by_hour (SELECT workspace, intDiv(rid, 3600000000000), layer, category, kind, verb, action, result, actor_id, count(), max(rid), argMax(actor_name, rid) GROUP BY workspace, intDiv(rid, 3600000000000), layer, category, kind, verb, action, result, actor_id),
    PROJECTION actors_by_day (SELECT workspace, intDiv(rid, 86400000000000), layer, category, actor_id, count(), max(rid), argMax(actor_name, rid) GROUP BY workspace, intDiv(rid, 86400000000000), layer, category, actor_id),
    PROJECTION ips_by_day (SELECT workspace, intDiv(rid, 86400000000000), layer, category, actor_id, ip, count() GROUP BY workspace, intDiv(rid, 86400000000000), layer, category, actor_id, ip),
    PROJECTION by_subject (SELECT workspace, subject_type, subject_id, rid, layer, category ORDER BY (workspace, subject_type, subject_id, rid))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/activitylog/events', '{replica}') PARTITION BY toYYYYMM(toDateTime(intDiv(rid, 1000000000), 'UTC')) ORDER BY (workspace, rid) SETTINGS min_compress_block_size = 1048576, max_compress_block_size = 4194304, lightweight_mutation_projection_mode = 'rebuild';

CREATE TABLE IF NOT EXISTS `activitylog`.events ON CLUSTER `logs` AS `activitylog`.events_local ENGINE = Distributed(`logs`, `activitylog`, events_local, cityHash64(workspace));

CREATE TABLE IF NOT EXISTS `activitylog`.chain_heads_local ON CLUSTER `logs` (
    workspace String,
    revision UInt64,
    seq UInt64,
    chain_hash String,
    frontier String,
    note Nullable(String),
    checkpoint_seq UInt64,
    checkpoint_at Int64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/activitylog/chain_heads', '{replica}', revision) ORDER BY workspace;

CREATE TABLE IF NOT EXISTS `activitylog`.chain_heads ON CLUSTER `logs` AS `activitylog`.chain_heads_local ENGINE = Distributed(`logs`, `activitylog`, chain_heads_local, cityHash64(workspace));

CREATE TABLE IF NOT EXISTS `activitylog`.checkpoints_local ON CLUSTER `logs` (
    workspace String,
    size UInt64,
    note String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/activitylog/checkpoints', '{replica}') ORDER BY (workspace, size);

CREATE TABLE IF NOT EXISTS `activitylog`.checkpoints ON CLUSTER `logs` AS `activitylog`.checkpoints_local ENGINE = Distributed(`logs`, `activitylog`, checkpoints_local, cityHash64(workspace));

CREATE TABLE IF NOT EXISTS `activitylog`.tombstones_local ON CLUSTER `logs` (
    workspace String,
    seq UInt64,
    id String,
    occurred_at Int64,
    content_hash String,
    chain_hash String,
    deleted_at Int64,
    deleted_by String,
    reason String,
    INDEX ix_id id TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/activitylog/tombstones', '{replica}') ORDER BY (workspace, seq);

CREATE TABLE IF NOT EXISTS `activitylog`.tombstones ON CLUSTER `logs` AS `activitylog`.tombstones_local ENGINE = Distributed(`logs`, `activitylog`, tombstones_local, cityHash64(workspace));
