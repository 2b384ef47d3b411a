"""Reading an archive's entries with the filters of ``query``, without importing them.

Each entry is matched as the stores match rows: its copies (:func:`activitylog.store.copies.
copies`, what the columns would hold) under the access rules' :class:`Visibility` and the
:class:`Filters`, the time range on the microsecond it occurred, free text by the rule of
:mod:`activitylog.search_words`. Tombstones hold no content and match
nothing. Pure apart from reading the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from activitylog.access import Visibility
from activitylog.archives.format import read_lines, record_of
from activitylog.matching import EntryMatcher
from activitylog.query import Filters
from activitylog.store.base import row_to_event
from activitylog.store.copies import copies


def _entries(data: IO[bytes]) -> Iterator[tuple[bytes, tuple[Any, bytes, Any, Any]]]:
    """``(body, row)`` of every live entry of an archive, in seq order."""
    for raw in read_lines(data):
        record = record_of(raw)
        if record["type"] == "entry":
            body = str(record["body"]).encode()
            yield body, (record["seq"], body, record["content_hash"], record["chain_hash"])


def search_archive(
    data: IO[bytes], visibility: Visibility, filters: Filters
) -> Iterator[dict[str, Any]]:
    """The archive's entries ``visibility`` lets the viewer see that match ``filters``."""
    wanted = EntryMatcher(visibility, filters)
    for body, row in _entries(data):
        if wanted(copies(body)):
            yield row_to_event(row)
