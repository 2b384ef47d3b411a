"""Bodies compressed with dictionaries, hashes as bytes: ``body_dictionaries`` holds the zstd
dictionaries entry bodies may be compressed with (store/bodies.py names the stored forms;
bodies stored before stay as they are, readable as they are), and ``entries`` keeps
``content_hash`` and ``chain_hash`` as their 32 bytes instead of 64 hex digits.

PostgreSQL converts the hash columns to ``bytea`` (a value that is not 64 hex digits,
written outside activitylog, is kept as its text's bytes, so verify still reports it). On
SQLite a column's declared type does not bind what it holds: rows written before keep their
hex text, which the store reads as it is, and new rows hold the bytes (no table rebuild).

Revision ID: 0016
Revises: 0015
"""

from alembic import op
from sqlalchemy import BigInteger, Column, Integer, LargeBinary, text

from activitylog.store.bodies import BodyCodec

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_HASHES = ("content_hash", "chain_hash")


def upgrade() -> None:
    op.create_table(
        "body_dictionaries",
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", BigInteger, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE entries "
            + ", ".join(
                f"ALTER COLUMN {name} TYPE bytea USING CASE WHEN {name} ~ '^[0-9a-f]{{64}}$'"
                f" THEN decode({name}, 'hex') ELSE convert_to({name}, 'UTF8') END"
                for name in _HASHES
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    stored = bind.execute(text("SELECT id, data FROM body_dictionaries")).all()
    if stored:
        bodies = BodyCodec({int(i): bytes(data) for i, data in stored})
        last = None
        while True:
            after = "" if last is None else f" WHERE rid > {int(last)}"
            rows = bind.execute(
                text(f"SELECT rid, body FROM entries{after} ORDER BY rid LIMIT 5000")
            ).all()
            if not rows:
                break
            plain = [
                {"r": rid, "b": bodies.decode(body)}
                for rid, body in rows
                if bytes(body[:1]) != b"{"
            ]
            if plain:
                bind.execute(text("UPDATE entries SET body = :b WHERE rid = :r"), plain)
            last = rows[-1][0]
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE entries "
            + ", ".join(
                f"ALTER COLUMN {name} TYPE varchar(64) USING encode({name}, 'hex')"
                for name in _HASHES
            )
        )
    else:
        for name in _HASHES:
            op.execute(
                f"UPDATE entries SET {name} = lower(hex({name})) WHERE typeof({name}) = 'blob'"
            )
    op.drop_table("body_dictionaries")
