"""Turning capture off for a block of code::

    from activitylog.contrib.django import disable_capture

    with disable_capture():
        import_contacts(rows)          # no contact.created / updated / deleted for these

It covers what registered models record by themselves — saves, deletes, many-to-many
changes and bulk operations — in the current thread or task only (a context variable),
and works as a decorator too. Values saved inside the block become the loaded ones, so a
later save compares against them. Sign-in events and your own ``log.record()`` calls are
still recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_off: ContextVar[bool] = ContextVar("activitylog_django_capture_off", default=False)


@contextmanager
def disable_capture() -> Iterator[None]:
    """Record no model changes inside the block (or the decorated function)."""
    token = _off.set(True)
    try:
        yield
    finally:
        _off.reset(token)


def capturing() -> bool:
    """False inside :func:`disable_capture`."""
    return not _off.get()
