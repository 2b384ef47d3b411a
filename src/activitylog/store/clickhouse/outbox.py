"""Appends made inside a caller's transaction of the side database.

ClickHouse cannot join a SQL transaction, so ``append_batch(batch, connection=conn)``
writes the prepared batch to ``clickhouse_outbox`` in the side database, inside ``conn``'s
transaction (kept or rolled back with the caller's other changes: an alert and the entry
recording it), and the store appends it to the log after the commit, before its next read
or append (:meth:`ClickHouseWrites.settle`). A batch is appended, then its row deleted;
appending one again after a crash in between stores nothing twice (its ids are found).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    delete,
    insert,
    select,
)

from activitylog.catalog import ActionInfo
from activitylog.enrich import Prepared

metadata = MetaData()
outbox = Table(
    "clickhouse_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: A batch: orjson of ``[[body as text, content, occurred_us, info, device,
    #: location, stated_time], ...]``.
    Column("batch", LargeBinary, nullable=False),
)


def create(engine: Engine) -> None:
    """Make the outbox table in the side database if it is missing."""
    metadata.create_all(engine, checkfirst=True)


def put(conn: Connection, batch: Sequence[Prepared]) -> None:
    """Keep ``batch`` in ``conn``'s transaction, to be appended after it commits."""
    rows = [
        [
            p.body.decode(),
            p.content,
            p.occurred_us,
            astuple(p.info),
            p.device,
            p.location,
            p.stated_time,
        ]
        for p in batch
    ]
    conn.execute(insert(outbox).values(batch=orjson.dumps(rows)))


def pending(engine: Engine) -> list[tuple[int, list[Prepared]]]:
    """The committed batches not yet appended, oldest first: ``(row id, batch)``."""
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.id, outbox.c.batch).order_by(outbox.c.id)).all()
    return [(int(row_id), [_prepared(item) for item in orjson.loads(raw)]) for row_id, raw in rows]


def appended(engine: Engine, row_id: int) -> None:
    """Forget the batch of ``row_id``: it is in the log."""
    with engine.begin() as conn:
        conn.execute(delete(outbox).where(outbox.c.id == row_id))


def _prepared(item: list[Any]) -> Prepared:
    body, content, occurred_us, info, device, location, stated_time = item
    # the id is in the content now: appending it again finds it rather than storing twice
    return Prepared(
        content,
        body.encode(),
        occurred_us,
        ActionInfo(*info),
        device,
        location,
        fresh_id=False,
        stated_time=stated_time,
    )
