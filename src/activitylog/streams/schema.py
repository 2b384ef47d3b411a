"""The ``streams`` table, on the shared :data:`~activitylog.store.schema.metadata`.

One row per stream: where it sends (``kind`` and ``target``), in which format, which
entries (``filters``, the JSON of the filter fields), and for webhooks the signing secret
(kept as given: the sender needs it to sign). ``workspace`` NULL is a platform stream (every
workspace). Names are unique per workspace, and among platform streams. Times are epoch
microseconds (UTC).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table, Text, func

from activitylog.store.schema import metadata

streams = Table(
    "streams",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("workspace", String(200)),  # NULL: a platform stream
    Column("kind", String(16), nullable=False),  # webhook | syslog | file
    Column("target", Text, nullable=False),  # URL, HOST:PORT or file path
    Column("tls", Boolean, nullable=False),  # syslog over TLS
    Column("ca_file", Text),  # syslog TLS: CA bundle to trust instead of the system's
    Column("format", String(16), nullable=False),  # json | ocsf | cef
    Column("filters", Text, nullable=False),  # JSON object of filter fields
    Column("secret", Text),  # webhook: the whsec_ signing secret
    Column("start", String(16), nullable=False),  # beginning | end
    Column("created_us", BigInteger, nullable=False),
    Column("created_by", String(200), nullable=False),
)

Index(
    "uq_streams_workspace_name",
    func.coalesce(streams.c.workspace, ""),
    streams.c.name,
    unique=True,
)
