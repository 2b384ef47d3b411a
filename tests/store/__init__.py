"""The store contract: the same tests against every engine (SQLite and PostgreSQL)."""
