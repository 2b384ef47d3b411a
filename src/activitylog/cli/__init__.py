"""The ``activitylog`` command line: record, ingest, query, stats, verify, export, seed,
delete, checkpoint, prove, verify-proof, signing, migrate, reindex, purge, export-scheduled,
users, keys, token, workspace, archive, follow, serve and demo. ``activitylog --help`` lists
them; each has ``--help``.

``main`` is the click group (the console script's entry point, and what tests invoke).
"""

from __future__ import annotations

from activitylog.cli import (
    accounts,
    alert_channels,
    alerts,
    archives,
    follow,
    integrity,
    maintenance,
    migrate,
    read,
    retention,
    scheduled_exports,
    server,
    signing,
    streams,
    workspaces,
    write,
)
from activitylog.cli.app import CliError, cli

main = cli

__all__ = [
    "CliError",
    "accounts",
    "alert_channels",
    "alerts",
    "archives",
    "cli",
    "follow",
    "integrity",
    "main",
    "maintenance",
    "migrate",
    "read",
    "retention",
    "scheduled_exports",
    "server",
    "signing",
    "streams",
    "workspaces",
    "write",
]
