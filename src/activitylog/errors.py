"""Exceptions raised by activitylog.

Every exception derives from :class:`ActivityLogError`; those that map to an HTTP
reply carry the status once, so callers never hand-build error replies::

    ActivityLogError
    ├── ValidationError        422  one event is invalid (field + reason)
    │   └── BatchValidationError 422  a batch holds invalid events (index -> errors)
    ├── Unauthenticated        401  no credentials, or bad ones
    │   └── SignInFailed       401  (activitylog.accounts) wrong address/password, locked
    ├── AccessDenied           403  the viewer may not read or do this
    ├── NotFound               404  no such event (or not visible to the viewer)
    ├── Conflict               409  an id recorded before, sent again with other content
    ├── ConfigurationError     500  bad settings, unknown database URL scheme
    └── IntegrityError         500  the store refused an append it should accept
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


class ActivityLogError(Exception):
    """Root of every error activitylog raises."""

    status: int = 500


@dataclass(frozen=True)
class FieldError:
    """One reason an event is invalid: the dotted field path and the reason."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ValidationError(ActivityLogError):
    """An event is invalid; ``errors`` lists every field and reason."""

    status = 422

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class BatchValidationError(ValidationError):
    """Some events of a batch are invalid; nothing of the batch was stored.

    ``by_index`` maps the position of each invalid event to its errors.
    """

    def __init__(self, by_index: Mapping[int, Sequence[FieldError]]) -> None:
        self.by_index = {i: tuple(errs) for i, errs in sorted(by_index.items())}
        flat = [
            FieldError(f"[{i}].{e.field}", e.reason) for i, es in self.by_index.items() for e in es
        ]
        super().__init__(flat)


class Unauthenticated(ActivityLogError):
    status = 401


class AccessDenied(ActivityLogError):
    status = 403


class NotFound(ActivityLogError):
    status = 404


class Conflict(ActivityLogError):
    """Events were recorded before under these ids with other content; nothing of the
    batch was stored. ``by_index`` maps each such event's position to its id."""

    status = 409

    def __init__(self, message: str, by_index: Mapping[int, str]) -> None:
        self.by_index = dict(sorted(by_index.items()))
        super().__init__(message)


class ConfigurationError(ActivityLogError):
    status = 500


class StorageFull(ActivityLogError):
    """The database or its disk is full: nothing of the write was stored; it may be sent
    again once space is freed (HTTP 507, which the remote SDK retries)."""

    status = 507


#: SQLite's result code for a full database or disk, and PostgreSQL's SQLSTATE.
_SQLITE_FULL = 13
_POSTGRES_DISK_FULL = "53100"
#: How a full disk reads in an error's text: SQLite's, ClickHouse's (no space to reserve for
#: a part, or the threshold a table keeps free), and an operating system's (ENOSPC).
_FULL_IN_WORDS = ("database or disk is full", "(NOT_ENOUGH_SPACE)", "No space left on device")


def is_storage_full(error: BaseException) -> bool:
    """Whether ``error`` (a driver's, possibly wrapped by SQLAlchemy as ``.orig``, or an
    ``OSError``) says the database or its disk is full."""
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, OSError):
        return cause.errno == errno.ENOSPC
    if getattr(cause, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    if getattr(cause, "sqlstate", None) == _POSTGRES_DISK_FULL:
        return True
    text = str(cause)
    return any(words in text for words in _FULL_IN_WORDS)


#: What an append says when a full database or disk stopped it.
BATCH_REFUSED_FOR_SPACE = (
    "the log's database or disk is full: nothing of this batch was stored;"
    " send it again once space is freed"
)


@contextmanager
def full_storage_raised(message: str = BATCH_REFUSED_FOR_SPACE) -> Iterator[None]:
    """Inside, a driver's or the system's error that says the database or its disk is
    full (:func:`is_storage_full`) is raised as :class:`StorageFull` with ``message``;
    our own errors pass as they are (their text is not looked at)."""
    try:
        yield
    except ActivityLogError:
        raise
    except Exception as exc:
        if not is_storage_full(exc):
            raise
        raise StorageFull(message) from exc


class IntegrityError(ActivityLogError):
    status = 500
