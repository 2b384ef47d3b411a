"""Workspace settings: one row per workspace and setting (``log_access``, ``link_base``, ...).

The table moved to the accounts' own migration tree (``activitylog/accounts/migrations``,
revision ``accounts_0001``), which creates it wherever ``accounts_db`` points. A database
this revision built it in keeps it, and that revision adopts it; the log's tree no longer
creates it.

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
