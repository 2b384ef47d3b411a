"""The followers' tables, on the shared :data:`~activitylog.store.schema.metadata`.

``followers`` names each follower once (where its cursors started); ``follower_cursors``
holds, per follower and workspace, the last seq it handled and the state of its retries.
Times are epoch microseconds (UTC).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String, Table, Text

from activitylog.store.schema import metadata

followers = Table(
    "followers",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("created_us", BigInteger, nullable=False),
)

follower_cursors = Table(
    "follower_cursors",
    metadata,
    Column("follower", String(200), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),  # the last seq handled (0: none yet)
    Column("updated_us", BigInteger, nullable=False),
    Column("failures", Integer, nullable=False),  # failed attempts in a row at this seq
    Column("last_error", Text),
    Column("error_us", BigInteger),
    Column("retry_us", BigInteger),  # no attempt before this time (backoff)
    PrimaryKeyConstraint("follower", "workspace", name="pk_follower_cursors"),
)
