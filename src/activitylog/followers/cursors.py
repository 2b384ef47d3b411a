"""Durable cursors: where each follower is in each workspace's log, and its retries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update

from activitylog.followers.schema import follower_cursors, followers

#: Backoff after a failed batch: 1 s, doubling, at most five minutes between attempts.
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 300.0


@dataclass(frozen=True)
class Cursor:
    workspace: str
    seq: int
    failures: int = 0
    last_error: str | None = None
    error_us: int | None = None
    retry_us: int | None = None


class CursorMoved(RuntimeError):
    """Another runner of the same follower moved the cursor first."""


def retry_delay(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` failed ones in a row."""
    return min(FIRST_RETRY_S * 2.0 ** max(failures - 1, 0), MAX_RETRY_S)


class Cursors:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, follower: str) -> dict[str, Cursor] | None:
        """The follower's cursors by workspace; None for a follower never run."""
        with self.engine.connect() as conn:
            known = conn.execute(
                select(followers.c.name).where(followers.c.name == follower)
            ).first()
            if known is None:
                return None
            rows = conn.execute(
                select(follower_cursors).where(follower_cursors.c.follower == follower)
            ).mappings()
            return {
                row["workspace"]: Cursor(
                    row["workspace"],
                    row["seq"],
                    row["failures"],
                    row["last_error"],
                    row["error_us"],
                    row["retry_us"],
                )
                for row in rows
            }

    def register(self, follower: str, at: Mapping[str, int], now_us: int) -> None:
        """Name a new follower, its cursors at ``at`` (workspace -> seq)."""
        with self.engine.begin() as conn:
            conn.execute(insert(followers).values(name=follower, created_us=now_us))
            for workspace, seq in at.items():
                self._insert(conn, follower, workspace, seq, now_us)

    def advance(
        self,
        conn: Connection,
        follower: str,
        workspace: str,
        seq: int,
        now_us: int,
        *,
        expected: int,
    ) -> None:
        """Move the cursor from ``expected`` to ``seq`` (inside the caller's transaction)
        and clear errors. If another process moved it meanwhile (two runners of one
        follower), :class:`CursorMoved` is raised, so the caller's transaction, effects
        included, rolls back."""
        done = conn.execute(
            update(follower_cursors)
            .where(
                follower_cursors.c.follower == follower,
                follower_cursors.c.workspace == workspace,
                follower_cursors.c.seq == expected,
            )
            .values(
                seq=seq,
                updated_us=now_us,
                failures=0,
                last_error=None,
                error_us=None,
                retry_us=None,
            )
        )
        if done.rowcount == 0:
            moved = conn.execute(
                select(follower_cursors.c.seq).where(
                    follower_cursors.c.follower == follower,
                    follower_cursors.c.workspace == workspace,
                )
            ).scalar()
            if moved is not None:
                raise CursorMoved(f"{follower} in {workspace} is at {moved}, not {expected}")
            self._insert(conn, follower, workspace, seq, now_us)  # a race fails on the key

    def failed(self, follower: str, cursor: Cursor, error: str, now_us: int) -> Cursor:
        """Keep a failed attempt at the cursor: the error, and when to try again."""
        failures = cursor.failures + 1
        retry_us = now_us + int(retry_delay(failures) * 1_000_000)
        values = {
            "failures": failures,
            "last_error": error[:2000],
            "error_us": now_us,
            "retry_us": retry_us,
            "updated_us": now_us,
        }
        with self.engine.begin() as conn:
            done = conn.execute(
                update(follower_cursors)
                .where(
                    follower_cursors.c.follower == follower,
                    follower_cursors.c.workspace == cursor.workspace,
                )
                .values(**values)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(follower_cursors).values(
                        follower=follower, workspace=cursor.workspace, seq=cursor.seq, **values
                    )
                )
        return Cursor(cursor.workspace, cursor.seq, failures, error[:2000], now_us, retry_us)

    def forget(self, follower: str) -> None:
        """Drop a follower and its cursors (a stream removed)."""
        with self.engine.begin() as conn:
            conn.execute(follower_cursors.delete().where(follower_cursors.c.follower == follower))
            conn.execute(followers.delete().where(followers.c.name == follower))

    @staticmethod
    def _insert(conn: Connection, follower: str, workspace: str, seq: int, now_us: int) -> None:
        conn.execute(
            insert(follower_cursors).values(
                follower=follower,
                workspace=workspace,
                seq=seq,
                updated_us=now_us,
                failures=0,
            )
        )
