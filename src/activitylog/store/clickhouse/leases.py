"""Leases: one writer per workspace at a time among the processes writing a ClickHouse log.

ClickHouse has no row locks, so an append (and a deletion, checkpoint or purge) first
takes a lease on its workspaces in the side database, whose transactions every writing
server shares: ``clickhouse_leases`` holds per workspace its holder and when the lease
expires. An append takes its workspaces' leases (all of them, or none and it tries again),
sequences and inserts its entries, confirms it still holds them (renewing them) just before
it writes the heads, and lets them go. A holder that stopped (a crash) blocks its
workspaces until its leases expire; one that lost its lease (paused past the expiry)
finds out before its heads and undoes its entries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError as Duplicate

from activitylog.errors import IntegrityError

metadata = MetaData()
leases = Table(
    "clickhouse_leases",
    metadata,
    Column("workspace", String(255), primary_key=True),
    Column("holder", String(32), nullable=False),
    Column("expires_us", BigInteger, nullable=False),
)
#: How long a lease lasts unless renewed (an append's whole run must fit well within it).
LEASE_SECONDS = 30.0
#: How long an append waits for its workspaces' leases before giving up.
WAIT_SECONDS = 10.0
#: Between two tries at leases another holder has.
POLL_SECONDS = 0.005


def create(engine: Engine) -> None:
    """Make the leases table in the side database if it is missing."""
    metadata.create_all(engine, checkfirst=True)


class Leases:
    """This writer's leases (its holder id is new for each object)."""

    def __init__(
        self, engine: Engine, *, seconds: float = LEASE_SECONDS, wait: float = WAIT_SECONDS
    ) -> None:
        self.engine = engine
        self.holder = uuid.uuid4().hex
        self.seconds = seconds
        self.wait = wait

    @contextmanager
    def held(self, workspaces: Sequence[str]) -> Iterator[None]:
        """Hold the leases of ``workspaces`` inside the block (waiting up to ``wait``
        seconds for them), letting them go after it."""
        names = sorted(set(workspaces))
        deadline = time.monotonic() + self.wait
        while not self._take(names):
            if time.monotonic() > deadline:
                raise IntegrityError(
                    f"workspaces {', '.join(map(repr, names))} are being written by another"
                    f" writer (no lease within {self.wait:g} s); try again"
                )
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            self._let_go(names)

    def confirm(self, workspaces: Sequence[str]) -> None:
        """Renew the leases of ``workspaces``; an IntegrityError when one is no longer
        this writer's (it expired and another took it)."""
        names = sorted(set(workspaces))
        now = _now_us()
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(leases)
                .where(leases.c.workspace.in_(names), leases.c.holder == self.holder)
                .values(expires_us=now + int(self.seconds * 1e6))
            ).rowcount
        if renewed != len(names):
            raise IntegrityError(
                f"the lease of workspaces {', '.join(map(repr, names))} expired and another"
                " writer took it; nothing was acknowledged, try again"
            )

    def _take(self, names: list[str]) -> bool:
        """Take every lease of ``names`` that is free, expired or ours; all or none."""
        now = _now_us()
        until = now + int(self.seconds * 1e6)
        with self.engine.begin() as conn:
            conn.execute(
                update(leases)
                .where(
                    leases.c.workspace.in_(names),
                    or_(leases.c.holder == self.holder, leases.c.expires_us < now),
                )
                .values(holder=self.holder, expires_us=until)
            )
            found = dict(
                conn.execute(
                    select(leases.c.workspace, leases.c.holder).where(leases.c.workspace.in_(names))
                ).all()
            )
            for name in names:
                if name in found:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(leases).values(
                                workspace=name, holder=self.holder, expires_us=until
                            )
                        )
                    found[name] = self.holder
                except Duplicate:  # another writer inserted it meanwhile
                    found[name] = ""
            if all(found[name] == self.holder for name in names):
                return True
            conn.execute(  # none, so two writers never wait on each other's halves
                update(leases)
                .where(leases.c.workspace.in_(names), leases.c.holder == self.holder)
                .values(expires_us=0)
            )
            return False

    def _let_go(self, names: list[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(leases).where(
                    and_(leases.c.workspace.in_(names), leases.c.holder == self.holder)
                )
            )


def _now_us() -> int:
    return time.time_ns() // 1000
