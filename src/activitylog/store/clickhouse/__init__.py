"""The ClickHouse engine: ``clickhouse://`` and ``clickhouses://`` servers through
clickhouse-connect, and ``chdb:///path``, the same engine embedded (the ``clickhouse``
extra). See docs/CLICKHOUSE.md for operators and docs/ARCHITECTURE.md for the design."""
