"""Counting questions answered once per block, for every engine.

The Activity Log page asks its parts (KPIs, charts, the filters' live counts) some of
the same questions; inside :func:`reusing` a store answers each once, and settles (brings
what it keeps for reading up to the log) once. Each store keeps its own answers in the
block, so two stores' answers never mix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: One store's answers in a block, by question.
Memo = dict[tuple[Any, ...], Any]

_BLOCK: ContextVar[dict[object, Memo] | None] = ContextVar("activitylog_counts", default=None)
_SETTLED = ("settled",)


def memo_of(store: object) -> Memo | None:
    """``store``'s answers in the current block (None outside one)."""
    block = _BLOCK.get()
    return None if block is None else block.setdefault(store, {})


@contextmanager
def reusing() -> Iterator[None]:
    """A block whose answers are kept; inside another, that block's are shared."""
    if _BLOCK.get() is not None:
        yield
        return
    token = _BLOCK.set({})
    try:
        yield
    finally:
        _BLOCK.reset(token)


def settle_once(store: object, settle: Callable[[], object]) -> None:
    """``settle()`` before a read of ``store``: once per block inside one, else always."""
    memo = memo_of(store)
    if memo is not None:
        if _SETTLED in memo:
            return
        memo[_SETTLED] = []
    settle()
