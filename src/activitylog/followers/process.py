"""The followers and the indexer in a process of their own, which ``serve`` starts and watches.

:func:`follow_until_stopped` is the loop ``activitylog follow`` runs: the
:class:`~activitylog.followers.FollowerRunner` (every follower and the indexer) and the alert
deliveries' :class:`~activitylog.delivery.Sender`, until a signal stops them.

:class:`FollowerProcess` runs that loop in a child of the calling process (``serve``), so the
web server's requests and the indexer do not take turns on one interpreter lock. The child
is started with ``spawn`` (a fresh interpreter: nothing of the server's threads or open
connections is inherited), stops on SIGTERM, ignores SIGINT (Ctrl-C reaches the whole
process group; the parent stops it once the web server has finished), and exits by itself
within about a second when its parent is gone (``kill -9`` of ``serve``). A watchdog thread
starts it again when it dies while the parent still runs (killed, crashed: anything but a
stop it was asked for, :data:`ASKED_TO_STOP`), after a pause that doubles from 1 s up to
30 s while it keeps dying.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.settings import Settings

logger = logging.getLogger("activitylog.followers")

#: How the child is named in the log's lines (and in ``multiprocessing``'s).
NAME = "activitylog follow"
#: How often the child looks whether its parent is still there, in seconds.
CHECK_S = 1.0
#: The pauses before starting a child that died again, in seconds (the last one repeats).
BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
#: A child that ran at least this long starts the pauses over when it dies.
STEADY_S = 60.0
#: Exit codes of a child that stopped because it was asked to: it handled SIGTERM, or a
#: SIGTERM or Ctrl-C reached it before it could (sent to the whole process group or cgroup,
#: as a terminal and systemd do, while the parent stops too). Any other end is a failure.
ASKED_TO_STOP = (0, -signal.SIGTERM, -signal.SIGINT)
#: How long :meth:`FollowerProcess.stop` waits for the child after SIGTERM before SIGKILL.
STOP_TIMEOUT_S = 20.0


def follow_until_stopped(
    log: ActivityLog,
    signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    *,
    parent: int | None = None,
) -> None:
    """Run the followers, the indexer and the alert deliveries on ``log`` until one of
    ``signals`` arrives or, with ``parent`` (a process id), until this process's parent is
    no longer that process. Loads and freezes the start-up heap first; must be called from
    the main thread (it installs the signal handlers). A batch underway finishes."""
    from activitylog.delivery import Sender
    from activitylog.followers.runner import FollowerRunner
    from activitylog.heap import settle_heap

    settle_heap()
    stopped = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        stopped.set()

    for signum in signals:
        signal.signal(signum, stop)
    runner = FollowerRunner(log)
    sender = Sender(log)  # the alerts' deliveries, retried
    runner.start()
    sender.start()
    try:
        while not stopped.wait(CHECK_S):
            if parent is not None and os.getppid() != parent:
                logger.warning("%s (pid %d): its parent is gone; stopping", NAME, os.getpid())
                break
    finally:
        sender.stop()
        runner.stop()


def _child(settings: Settings, parent: int) -> None:
    """The child's whole life (module level, so ``spawn`` can find it by name)."""
    from activitylog.client import ActivityLog

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_cleanly)  # while starting: nothing underway to finish
    with ActivityLog(settings.db, settings=settings) as log:
        follow_until_stopped(log, (signal.SIGTERM,), parent=parent)


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def describe_exit(code: int | None) -> str:
    """A child's exit code in words: ``exited with code 1``, ``was killed by SIGKILL``."""
    if code is None:
        return "is still running"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class FollowerProcess:
    """:func:`follow_until_stopped` on ``settings``' log in a child process, kept running
    from :meth:`start` until :meth:`stop`::

        followers = FollowerProcess(settings)
        followers.start()
        try:
            serve_until_done()
        finally:
            followers.stop()
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backoff: Sequence[float] = BACKOFF_S,
        steady: float = STEADY_S,
    ) -> None:
        if not backoff or any(pause < 0 for pause in backoff):
            raise ValueError("backoff must be one or more pauses of 0 s or more")
        self._settings = settings
        self._backoff = tuple(backoff)
        self._steady = steady
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: BaseProcess | None = None
        self._started_at = 0.0
        self._restarts = 0
        self._watchdog = threading.Thread(
            target=self._watch, name="activitylog-follow-watchdog", daemon=True
        )

    @property
    def pid(self) -> int | None:
        """The running child's process id (None before :meth:`start`)."""
        process = self._process
        return None if process is None else process.pid

    @property
    def exitcode(self) -> int | None:
        """The last child's exit code once it has exited (negative: the signal that killed
        it); None while it runs or before :meth:`start`."""
        process = self._process
        return None if process is None else process.exitcode

    @property
    def restarts(self) -> int:
        """How many times the watchdog has started the child again."""
        return self._restarts

    def start(self) -> None:
        """Start the child and the watchdog that starts it again when it dies."""
        if self._process is not None:
            raise RuntimeError(f"{NAME} was started already")
        with self._lock:
            self._spawn()
        self._watchdog.start()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the child: SIGTERM, then SIGKILL if it has not exited within ``timeout`` s."""
        with self._lock:
            self._stopping.set()  # no new child from here on
        if self._watchdog.is_alive():
            self._watchdog.join()
        process = self._process
        if process is None or process.exitcode is not None:
            return
        process.terminate()
        process.join(timeout)
        if process.exitcode is None:
            logger.warning("%s (pid %s) did not stop in %g s: killed", NAME, process.pid, timeout)
            process.kill()
            process.join()
        logger.info("%s (pid %s) %s", NAME, process.pid, describe_exit(process.exitcode))

    def _spawn(self) -> None:
        """Start a child (the lock held)."""
        process = self._context.Process(
            target=_child, args=(self._settings, os.getpid()), name=NAME, daemon=True
        )
        process.start()
        self._process = process
        self._started_at = time.monotonic()
        logger.info("%s started (pid %s)", NAME, process.pid)

    def _watch(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            process = self._process
            if process is None:  # not started: nothing to watch
                return
            process.join(0.5)
            if process.exitcode is None or self._stopping.is_set():
                continue
            ran = time.monotonic() - self._started_at
            if process.exitcode in ASKED_TO_STOP:
                logger.info(
                    "%s (pid %s) %s, as asked: not started again",
                    NAME,
                    process.pid,
                    describe_exit(process.exitcode),
                )
                return
            failures = 0 if ran >= self._steady else failures
            pause = self._backoff[min(failures, len(self._backoff) - 1)]
            failures += 1
            logger.error(
                "%s (pid %s) %s after %.1f s; starting it again in %g s",
                NAME,
                process.pid,
                describe_exit(process.exitcode),
                ran,
                pause,
            )
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
                self._restarts += 1


__all__ = ["BACKOFF_S", "NAME", "FollowerProcess", "describe_exit", "follow_until_stopped"]
