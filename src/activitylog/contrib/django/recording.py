"""From a captured change to stored events: the event around it, the wait for the commit,
the write.

**When.** A change is recorded only once the transaction that made it commits. Events
captured inside ``atomic()`` wait in an ``on_commit`` callback; consecutive events at the
same savepoint level share one callback, so a transaction's events are written with one
``record_many`` (one store transaction) instead of one each. Django itself drops the
callback when its savepoint or transaction rolls back, so rolled-back changes record
nothing. Outside ``atomic()`` (autocommit) the change is committed already and is written
at once.

**The window.** The events are written after the commit, in the same thread, before the
``save()`` / ``atomic()`` call returns (with ``"WRITE": "background"``, by a thread of
their own a little later: :mod:`~activitylog.contrib.django.background`). A process
killed between the two loses them; a store that fails (full disk, server down) loses them
too, but never silently: every event that could not be stored is logged on the
``activitylog.contrib.django`` logger at ERROR with its full JSON. An ``on_commit``
callback of another library that raises (registered without ``robust=True``) stops Django
from running the callbacks after it, ours included.

**Who.** The log's context (actor, workspace, IP, user agent, request and session ids) is
taken when the change is captured, not when it is written.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from activitylog.client import CONTEXT_FIELDS, ActivityLog
from activitylog.client import _context as _log_context
from activitylog.contrib.django import background
from activitylog.contrib.django.settings import config, on_reset
from activitylog.errors import BatchValidationError, ConfigurationError

logger = logging.getLogger("activitylog.contrib.django")

Event = dict[str, Any]
Merge = Callable[[Event, Event], bool]

_BLANK: Mapping[str, None] = dict.fromkeys(CONTEXT_FIELDS)
_lock = threading.Lock()
_log: ActivityLog | None = None
_owned = False
_pid = 0


def get_log() -> ActivityLog:
    """The :class:`~activitylog.ActivityLog` the integration records to: ``ACTIVITYLOG
    ["LOG"]``, else one opened on ``ACTIVITYLOG["DB"]`` (``$ACTIVITYLOG_DB`` when None) on
    first use, once per process (a forked worker opens its own)."""
    global _log, _owned, _pid
    log = _log
    if log is not None and _pid == os.getpid():
        return log
    with _lock:
        if _log is None or _pid != os.getpid():
            _log, _owned = _open(config().log, config().db)
            _pid = os.getpid()
        return _log


def _open(given: Any, db: str | None) -> tuple[ActivityLog, bool]:
    if given is None:
        return ActivityLog(db), True
    if isinstance(given, str):
        from django.utils.module_loading import import_string

        given = import_string(given)
    if not isinstance(given, ActivityLog) and callable(given):
        given = given()
    if not isinstance(given, ActivityLog):
        raise ConfigurationError("ACTIVITYLOG['LOG'] must be an ActivityLog or name one")
    return given, False


def _forget_log() -> None:
    global _log, _owned
    with _lock:
        if _log is not None and _owned and _pid == os.getpid():
            _log.close()
        _log, _owned = None, False


on_reset(_forget_log)


def current_context() -> Event:
    """Every context field (None where unset), as the log's context holds them now."""
    return {**_BLANK, **_log_context.get()}


def new_event(action: str, subject: Mapping[str, Any], workspace: str | None = None) -> Event:
    """An event done now, in the current context; ``workspace`` wins over the context's,
    ``DEFAULT_WORKSPACE`` stands in when neither names one. With none at all the change
    cannot be recorded: :class:`ConfigurationError`, raised from the ``save()`` (inside
    ``atomic()`` the transaction then rolls back) rather than a record going missing."""
    event = current_context()
    if workspace is not None:
        event["workspace"] = str(workspace)
    elif event["workspace"] is None:
        event["workspace"] = config().default_workspace
        if event["workspace"] is None:
            raise ConfigurationError(
                f"{action} of {subject.get('type')} {subject.get('id') or ''} has no workspace: "
                "give register() a workspace=, or set ACTIVITYLOG['WORKSPACE'] (per request) "
                "or ACTIVITYLOG['DEFAULT_WORKSPACE']"
            )
    event["action"] = action
    event["subject"] = subject
    event["occurred_at"] = datetime.now(UTC)
    return event


class _Segment:
    """One ``on_commit`` callback holding the events of a run of changes made at one
    savepoint level; called once the transaction commits."""

    __slots__ = ("events",)

    def __init__(self, event: Event) -> None:
        self.events = [event]

    def __call__(self) -> None:
        write(self.events)


def record_on_commit(event: Event, using: str, merge: Merge | None = None) -> None:
    """Record ``event`` when the transaction on database ``using`` commits (now, when none
    is open). ``merge(last, event)`` may fold ``event`` into the last one waiting in the same
    callback and return True (``set()`` on a many-to-many is a remove and an add)."""
    from django.db import connections, transaction

    connection = connections[using]
    if not connection.in_atomic_block:
        write([event])
        return
    segment = _open_segment(connection)
    if segment is None:
        transaction.on_commit(_Segment(event), using=using, robust=True)
    elif merge is None or not merge(segment.events[-1], event):
        segment.events.append(event)


def _open_segment(connection: Any) -> _Segment | None:
    """The callback that the next event may join: the last one registered, when it is ours
    and was registered at the savepoint level that is current now — then Django keeps or
    drops both together. Reads Django's ``run_on_commit`` entries ``(savepoint ids,
    callback, robust)`` (stable since 4.2); anything else means a callback of its own."""
    pending = getattr(connection, "run_on_commit", None)
    if not pending:
        return None
    last = pending[-1]
    if not isinstance(last, tuple) or len(last) != 3 or type(last[1]) is not _Segment:
        return None
    # None stands for an atomic block without a savepoint (``savepoint=False``, as in
    # ``save()`` and ``add()``): it cannot be rolled back on its own, so it does not count.
    if set(last[0]) - {None} != set(connection.savepoint_ids) - {None}:
        return None
    return last[1]


def write(events: list[Event]) -> None:
    """Store committed ``events``: now, or through the background writer when
    ``ACTIVITYLOG["WRITE"]`` is ``"background"``."""
    if config().write == "background":
        background.writer(store).put(events)
    else:
        store(events)


def store(events: list[Event]) -> None:
    """Store ``events`` in one batch; never raises. An invalid event is logged and left
    out (the others are stored); a store error logs every event of the batch."""
    if not events:
        return
    try:
        get_log().record_many(events)
    except BatchValidationError as exc:
        for index, errors in exc.by_index.items():
            logger.error(
                "activitylog: not recorded, %s: %s",
                "; ".join(str(e) for e in errors),
                _json(events[index]),
            )
        store([e for i, e in enumerate(events) if i not in exc.by_index])
    except Exception:
        logger.exception(
            "activitylog: %d event(s) not recorded: %s",
            len(events),
            "\n".join(_json(e) for e in events),
        )


def _json(event: Mapping[str, Any]) -> str:
    return orjson.dumps(event, default=str).decode()
