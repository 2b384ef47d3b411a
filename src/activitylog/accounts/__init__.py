"""Who may use a log's web UI and HTTP API: users with workspace roles, sign-in with
lockout, web sessions, API keys, short-lived viewer tokens for embedding, and each
workspace's settings.

| module | job |
|---|---|
| ``schema`` | the tables (a metadata of their own) |
| ``migrate`` | their migration tree (``migrations``, version table ``alembic_version_accounts``) |
| ``fields`` | what each account field may hold |
| ``database`` | the engine every part shares (the log's, or one for ``accounts_db``) |
| ``passwords`` | argon2id hashes |
| ``users`` | :class:`User` and reading users with their memberships |
| ``throttle`` | the sign-in lockout policy (per email and client address), :class:`SignInFailed` |
| ``sessions`` | web sessions (:class:`WebSession`; the ``WebSessions`` methods) |
| ``keys`` | API keys (:class:`ApiKey`; the ``ApiKeys`` methods) |
| ``workspaces`` | each workspace's settings (:class:`WorkspaceSettings`) |
| ``service`` | :class:`Accounts`: users and sign-in, plus the session and key methods |
| ``secret`` | the server secret file that signs viewer tokens |
| ``tokens`` | viewer tokens (JWT, HS256) |
"""

from activitylog.accounts.keys import ApiKey
from activitylog.accounts.service import Accounts
from activitylog.accounts.sessions import WebSession
from activitylog.accounts.throttle import (
    FAILURE_WINDOW,
    LOCKOUT,
    MAX_CLIENT_FAILURES,
    MAX_FAILURES,
    SignInFailed,
)
from activitylog.accounts.users import User
from activitylog.accounts.workspaces import WorkspaceSettings

__all__ = [
    "FAILURE_WINDOW",
    "LOCKOUT",
    "MAX_CLIENT_FAILURES",
    "MAX_FAILURES",
    "Accounts",
    "ApiKey",
    "SignInFailed",
    "User",
    "WebSession",
    "WorkspaceSettings",
]
