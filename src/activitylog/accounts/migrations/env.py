"""Alembic environment of the accounts' tree: its own version table, on the connection
:mod:`activitylog.accounts.migrate` hands over."""

from alembic import context

from activitylog.accounts.migrate import TREE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    version_table=TREE.version_table,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
