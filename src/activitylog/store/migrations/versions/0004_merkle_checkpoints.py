"""Signed Merkle trees: each chain head keeps its tree's frontier and the signed note of
its latest append; checkpoints are C2SP signed notes of (size, root).

Entries written before this revision were hashed without the derived fields in their
bodies and signed in another message format, so a database holding them is not upgraded
in place (its history could not be vouched for): export it with the version that wrote it
and ingest the export into a new database.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import BigInteger, Column, LargeBinary, PrimaryKeyConstraint, String, Text, text

from activitylog.errors import ConfigurationError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    held = bind.execute(text("SELECT count(*) FROM chain_heads")).scalar()
    if held:
        raise ConfigurationError(
            "db: this database holds entries written by activitylog 0.1, whose bodies and "
            "checkpoints this version cannot vouch for: export them with 0.1 "
            "(activitylog export --format ndjson) and ingest the file into a new database "
            "(a demo database can simply be deleted)"
        )
    op.drop_table("checkpoints")
    op.drop_table("chain_heads")
    op.create_table(
        "chain_heads",
        Column("workspace", String(200), primary_key=True),
        Column("seq", BigInteger, nullable=False),
        Column("chain_hash", String(64), nullable=False),
        Column("frontier", LargeBinary, nullable=False),
        Column("note", Text),
        Column("checkpoint_seq", BigInteger, nullable=False),
        Column("checkpoint_at", BigInteger, nullable=False),
    )
    op.create_table(
        "checkpoints",
        Column("workspace", String(200), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("note", Text, nullable=False),
        PrimaryKeyConstraint("workspace", "size", name="pk_checkpoints"),
    )
