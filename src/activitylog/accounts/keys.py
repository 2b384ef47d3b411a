"""API keys for the HTTP API: a secret shown once, stored only as its SHA-256.

A secret is ``alk_`` plus 43 URL-safe characters (256 random bits), so a hash of it cannot
be reversed by guessing and a lookup is one unique-index probe. ``prefix`` (the first 12
characters) is kept to tell keys apart in lists. A key with a ``workspace`` writes or
reads that workspace only; a platform key (workspace None) any.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, bindparam, select

from activitylog.accounts._time import maybe_moment, micros, moment, span
from activitylog.accounts.database import AccountsDatabase
from activitylog.accounts.fields import check, text_problem
from activitylog.accounts.schema import api_keys
from activitylog.errors import NotFound

KeyScope = Literal["ingest", "read"]
KEY_SCOPES: tuple[str, ...] = ("ingest", "read")
SECRET_PREFIX = "alk_"
PREFIX_LENGTH = 12
SECRET_MAX = 128
#: ``last_used_at`` is refreshed at most this often per key (a write per request would
#: serialise every API call behind the SQLite writer).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKey:
    """An API key as listed: never the secret, only its first characters (``prefix``)."""

    id: str
    name: str
    workspace: str | None
    scope: KeyScope
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def is_platform(self) -> bool:
        """A platform key: not tied to one workspace."""
        return self.workspace is None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "workspace": self.workspace,
            "scope": self.scope,
            "prefix": self.prefix,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "revoked_at": _iso(self.revoked_at),
            "last_used_at": _iso(self.last_used_at),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _new_id() -> str:
    return "key_" + secrets.token_hex(6)


def _from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        workspace=row.workspace,
        scope=row.scope,
        prefix=row.prefix,
        created_at=moment(row.created_us),
        created_by=row.created_by,
        revoked_at=maybe_moment(row.revoked_us),
        last_used_at=maybe_moment(row.last_used_us),
    )


#: Built once: every API request looks its key up, and building the statement would cost
#: more than the lookup itself.
_FIND = select(api_keys).where(api_keys.c.secret_hash == bindparam("secret_hash"))


def _find(conn: Connection, secret: str) -> Row[Any] | None:
    """The row of ``secret`` (revoked or not), by one unique-index lookup."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        return None
    if len(secret) > SECRET_MAX:
        return None
    return conn.execute(_FIND, {"secret_hash": secret_hash(secret)}).first()


def _needs_touch(row: Row[Any], at: int) -> bool:
    return bool(row.last_used_us is None or at - row.last_used_us >= span(TOUCH_EVERY))


class ApiKeys(AccountsDatabase):
    """The API key half of :class:`~activitylog.accounts.Accounts`."""

    def create_key(
        self,
        *,
        workspace: str | None,
        scope: str,
        name: str = "",
        created_by: str = "operator",
        now: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key for ``workspace`` (None: a platform key) with ``scope`` ``ingest`` or
        ``read``. Returns the key and its secret; the secret is not stored and cannot be
        shown again."""
        check(
            ("workspace", None if workspace is None else text_problem(workspace)),
            ("scope", None if scope in KEY_SCOPES else "must be 'ingest' or 'read'"),
            ("name", text_problem(name, required=False)),
            ("created_by", text_problem(created_by)),
        )
        secret = _new_secret()
        key = ApiKey(
            id=_new_id(),
            name=name.strip(),
            workspace=workspace,
            scope=scope,  # type: ignore[arg-type]  # checked above
            prefix=secret[:PREFIX_LENGTH],
            created_at=moment(micros(now)),
            created_by=created_by,
        )
        with self._write() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key.id,
                    name=key.name,
                    workspace=key.workspace,
                    scope=key.scope,
                    prefix=key.prefix,
                    secret_hash=secret_hash(secret),
                    created_us=micros(key.created_at),
                    created_by=key.created_by,
                    revoked_us=None,
                    last_used_us=None,
                )
            )
        return key, secret

    def list_keys(
        self, workspace: str | None = None, include_revoked: bool = False
    ) -> list[ApiKey]:
        """Keys of ``workspace`` (None: every key, platform keys included), oldest first."""
        stmt = select(api_keys).order_by(api_keys.c.created_us, api_keys.c.id)
        if workspace is not None:
            stmt = stmt.where(api_keys.c.workspace == workspace)
        if not include_revoked:
            stmt = stmt.where(api_keys.c.revoked_us.is_(None))
        with self._read() as conn:
            return [_from_row(row) for row in conn.execute(stmt)]

    def revoked_key_ids(self) -> set[str]:
        """The ids of every revoked key."""
        stmt = select(api_keys.c.id).where(api_keys.c.revoked_us.is_not(None))
        with self._read() as conn:
            return set(conn.execute(stmt).scalars())

    def revoke_key(self, key_id: str, *, now: datetime | None = None) -> ApiKey:
        """Revoke a key for good (NotFound if unknown; revoking twice keeps the first time)."""
        with self._write() as conn:
            conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id, api_keys.c.revoked_us.is_(None))
                .values(revoked_us=micros(now))
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        if row is None:
            raise NotFound(f"no API key {key_id!r}")
        return _from_row(row)

    def key_for_secret(self, secret: str, *, now: datetime | None = None) -> ApiKey | None:
        """The key ``secret`` belongs to, or None when unknown or revoked. One unique-index
        lookup; ``last_used_at`` is refreshed at most once a minute per key."""
        at = micros(now)
        with self._read() as conn:
            row = _find(conn, secret)
        if row is None or row.revoked_us is not None:
            return None
        key = _from_row(row)
        if _needs_touch(row, at):
            with self._write() as conn:
                conn.execute(
                    api_keys.update().where(api_keys.c.id == key.id).values(last_used_us=at)
                )
            key = replace(key, last_used_at=moment(at))
        return key
