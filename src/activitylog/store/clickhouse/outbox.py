"""Appends made inside a caller's transaction of the side database.

ClickHouse cannot join a SQL transaction, so ``append_batch(batch, connection=conn)``
writes the prepared batch to ``clickhouse_outbox`` in the side database, inside ``conn``'s
transaction (kept or rolled back with the caller's other changes: an alert and the entry
recording it), and the store appends it to the log after the commit, before its next read
or append (:meth:`ClickHouseWrites.settle`). A batch is appended, then its row deleted;
appending one again after a crash in between stores nothing twice (its ids are found).

Whoever can write the side database can write the outbox, and the store signs what it
appends from it, so each row carries the Ed25519 signature of its batch by the log's
signing key (``put``), and a row whose signature does not check (changed, forged, copied
from another row, or written before rows were signed) is never appended: ``pending``
leaves it out and logs an error, keeping the row for the operator to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
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
    inspect,
    select,
    text,
)

from activitylog.catalog import ActionInfo
from activitylog.enrich import Prepared
from activitylog.signing import SigningKey
from activitylog.store.base import logger

metadata = MetaData()
outbox = Table(
    "clickhouse_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: A batch: orjson of ``[[body as text, content, occurred_us, info, device,
    #: location, stated_time], ...]``.
    Column("batch", LargeBinary, nullable=False),
    #: The signing key's 4-byte key hash, then the Ed25519 signature of :data:`DOMAIN`
    #: and ``batch``.
    Column("signature", LargeBinary, nullable=True),
)
#: What an outbox signature signs before the batch, so it signs nothing else.
DOMAIN = b"activitylog clickhouse outbox\n"
#: The rows refused already, by side database and row id: each is logged once.
_refused: set[tuple[str, int]] = set()
_refused_lock = threading.Lock()


def create(engine: Engine) -> None:
    """Make the outbox table in the side database if it is missing, and give one made
    before rows were signed its ``signature`` column."""
    metadata.create_all(engine, checkfirst=True)
    found = {c["name"] for c in inspect(engine).get_columns(outbox.name)}
    if "signature" not in found:
        with engine.begin() as conn:
            kind = outbox.c.signature.type.compile(dialect=engine.dialect)
            conn.execute(text(f"ALTER TABLE {outbox.name} ADD COLUMN signature {kind}"))


def signature(key: SigningKey, raw: bytes) -> bytes:
    """What ``signature`` holds for the batch ``raw``."""
    return key.public.key_hash + key.sign(DOMAIN + raw)


def put(conn: Connection, batch: Sequence[Prepared], key: SigningKey) -> None:
    """Keep ``batch`` in ``conn``'s transaction, to be appended after it commits, signed
    by ``key``."""
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
    raw = orjson.dumps(rows)
    conn.execute(insert(outbox).values(batch=raw, signature=signature(key, raw)))


def pending(engine: Engine, key: Callable[[], SigningKey]) -> list[tuple[int, list[Prepared]]]:
    """The committed batches not yet appended that the signing key signed, oldest first:
    ``(row id, batch)``. A row it did not sign is left out (and logged once). ``key`` is
    called only when the outbox holds a row (a log opened to be read makes no key)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.id, outbox.c.batch, outbox.c.signature).order_by(outbox.c.id)
        ).all()
    found: list[tuple[int, list[Prepared]]] = []
    for row_id, raw, signed in rows:
        if signed is not None and _signed_by(key(), bytes(raw), bytes(signed)):
            found.append((int(row_id), [_prepared(item) for item in orjson.loads(raw)]))
        else:
            _refuse(engine, int(row_id))
    return found


def _signed_by(key: SigningKey, raw: bytes, signed: bytes) -> bool:
    public = key.public
    return signed[:4] == public.key_hash and public.verify(signed[4:], DOMAIN + raw)


def _refuse(engine: Engine, row_id: int) -> None:
    with _refused_lock:
        seen = (str(engine.url), row_id)
        if seen in _refused:
            return
        _refused.add(seen)
    logger.error(
        "outbox row %d is not signed by this log's signing key (changed or written in the"
        " side database outside activitylog, or written before rotating the key): it is"
        " not appended, and kept in clickhouse_outbox for inspection",
        row_id,
    )


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
