"""The dictionaries bodies are compressed with (:mod:`activitylog.store.bodies`), kept in
the log's own database: a body names its dictionary by id, so rows are only ever added
(a dictionary trained later gets the next id) and every body stays readable. They are part
of what a body's hash depends on as stored: verification reads them in its snapshot.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Integer, LargeBinary, Table, select

from activitylog.store.schema import metadata

body_dictionaries = Table(
    "body_dictionaries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    # microseconds since the epoch
    Column("created_at", BigInteger, nullable=False),
)

#: Bodies a log holds before a dictionary is trained for it (5,000 bodies, about 5 MB of
#: samples, train in about 0.3 s; four times as many gave bodies 2% smaller, in 1 s).
TRAIN_AFTER = 5000
#: The newest bodies a dictionary is trained on.
SAMPLE = 5000


def stored_dictionaries(conn: Connection) -> dict[int, bytes]:
    """Every dictionary, by id."""
    rows = conn.execute(select(body_dictionaries.c.id, body_dictionaries.c.data))
    return {int(i): bytes(data) for i, data in rows}


def stored_dictionary(conn: Connection, dictionary_id: int) -> bytes | None:
    stmt = select(body_dictionaries.c.data).where(body_dictionaries.c.id == dictionary_id)
    data = conn.execute(stmt).scalar()
    return None if data is None else bytes(data)


def newest_dictionary(conn: Connection) -> int | None:
    """The id of the newest dictionary (the one appends compress with); None: none yet."""
    stmt = select(body_dictionaries.c.id).order_by(body_dictionaries.c.id.desc()).limit(1)
    found = conn.execute(stmt).first()
    return None if found is None else int(found[0])
