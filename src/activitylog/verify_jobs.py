"""Verify's workspaces checked in several processes at once (``activitylog verify --jobs``).

Each worker process opens the log once (the same URL and settings), then checks the
workspaces it is handed, one at a time, the largest first, so the work spreads over the
processes however unequal the workspaces are; what belongs to no one workspace (the
search index as a whole) is checked after them, by the calling process. The report is the
one a single process makes: each workspace is checked by
:func:`activitylog.verification.verify_workspace` alone, from its own snapshot. Processes
are started fresh (``spawn``): nothing of the parent's connections is inherited.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from activitylog.errors import ConfigurationError
from activitylog.settings import Settings
from activitylog.signing import KeyRing
from activitylog.verification import WorkspaceVerifier, verify_workspace
from activitylog.verify_report import WorkspaceReport
from activitylog.witness import Witness

#: Engines one process at a time may open (embedded ClickHouse locks its directory).
SINGLE_PROCESS = ("chdb:",)

#: What a worker process checks with: the log, the key ring, the witness, ``copies``.
_worker: dict[str, Any] = {}


def process_verifier(
    url: str,
    settings: Settings,
    *,
    jobs: int,
    public_keys: list[bytes] | None,
    witness_dir: Path | None,
    copies: bool,
) -> WorkspaceVerifier:
    """Checks workspaces in ``jobs`` processes, each opening ``url`` with ``settings``."""
    if url.lower().startswith(SINGLE_PROCESS):
        raise ConfigurationError(
            "jobs: an embedded ClickHouse log (chdb://) is opened by one process at a time;"
            " verify it with one job"
        )

    def run(
        names: list[str], on_progress: Callable[[int], None] | None
    ) -> Iterator[tuple[str, WorkspaceReport]]:
        context = multiprocessing.get_context("spawn")
        setup = (url, settings, public_keys, witness_dir, copies)
        processes = max(1, min(jobs, len(names)))
        with ProcessPoolExecutor(
            processes, mp_context=context, initializer=_open, initargs=setup
        ) as pool:
            futures = {pool.submit(_verify, name): name for name in names}
            for future in as_completed(futures):
                report = future.result()
                if on_progress is not None:
                    on_progress(report.entries)
                yield futures[future], report

    return run


def _open(
    url: str,
    settings: Settings,
    public_keys: list[bytes] | None,
    witness_dir: Path | None,
    copies: bool,
) -> None:
    from activitylog.client import ActivityLog

    log = ActivityLog(url, settings=settings)
    ring = KeyRing.from_pem(public_keys) if public_keys else log.key_ring()
    witness = Witness(witness_dir) if witness_dir else None
    if ring is not None and witness is not None:
        ring.add_handovers(witness.handovers())
    _worker.update(log=log, ring=ring, witness=witness, copies=copies)


def _verify(name: str) -> WorkspaceReport:
    log = _worker["log"]
    return verify_workspace(
        log.store,
        name,
        _worker["ring"],
        log.settings.checkpoint_every,
        _worker["witness"],
        None,
        _worker["copies"],
    )


__all__ = ["SINGLE_PROCESS", "process_verifier"]
