"""Accounts: users, workspace memberships, API keys, web sessions, sign-in throttle.

These tables moved to the accounts' own migration tree (``activitylog/accounts/migrations``,
revision ``accounts_0001``), which creates them wherever ``accounts_db`` points. A database
this revision built them in keeps them, and that revision adopts them; the log's tree no
longer creates them.

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
