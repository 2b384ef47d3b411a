"""What SQLite's search index holds for an entry, and what a search asks it.

One FTS5 row per entry, its rowid the entry's ``rid``: a *scope token*, then the entry's
words (:func:`activitylog.search_words.words`). The scope token names the entry's
workspace and its class under the access rules (:data:`CLASSES`: an entry of the
workspace layer, an impersonation in the platform layer, another platform entry), so a
search inside one workspace matches its scope tokens with its words and FTS5 alone says
which visible entries of a rid range match: counting them reads no row of ``events``.

A scope token starts with U+00B7 (middle dot): not a letter or digit, so no entry's
words and no query's words hold one, and the ``ascii`` tokenizer takes it (like every
character past ASCII) as part of a word. The workspace follows as the hex of its UTF-8,
so any name makes one token.

Pure: the store writes and reads the rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import count, repeat

from activitylog.access import Visibility
from activitylog.query import Filters

#: Fingerprints are sums of 64-bit values, taken modulo this.
_SPAN = 2**64

#: An entry's class: ``w`` the workspace layer, ``i`` an impersonation recorded in the
#: platform layer, ``p`` any other platform entry.
CLASSES = ("w", "i", "p")
#: The classes each layer rule of :class:`~activitylog.access.Visibility` lets one see.
VISIBLE = {
    "workspace": frozenset("w"),
    "workspace_and_impersonation": frozenset("wi"),
    "all": frozenset(CLASSES),
}
#: The classes of each layer a filter may name.
LAYER_CLASSES = {"workspace": frozenset("w"), "platform": frozenset("ip")}
_MARK = "\u00b7"
#: An entry's row of the index, written and removed by its rid.
INSERT = "INSERT INTO events_fts (rowid, words) VALUES (?, ?)"
DELETE = "DELETE FROM events_fts WHERE rowid = ?"


@dataclass(frozen=True)
class SearchScope:
    """The entries a search may match, as the index tells them: one workspace's
    entries of some classes."""

    workspace: str
    classes: frozenset[str]

    def tokens(self) -> list[str]:
        return [token(self.workspace, c) for c in CLASSES if c in self.classes]


def entry_class(layer: str, category: str) -> str:
    """The class (:data:`CLASSES`) of an entry of ``layer`` and ``category``."""
    if layer == "workspace":
        return "w"
    return "i" if category == "impersonation" else "p"


def token(workspace: str, klass: str) -> str:
    """The scope token of ``workspace``'s entries of class ``klass``."""
    return f"{_MARK}{klass}{workspace.encode().hex()}"


def indexed(workspace: str, layer: str, category: str, words: str) -> str:
    """The text the index holds for an entry: its scope token, then its ``words``."""
    scope = token(workspace, entry_class(layer, category))
    return f"{scope} {words}" if words else scope


def size(words: str) -> int:
    """How many tokens :func:`indexed` gives an entry with ``words``."""
    return 1 + (words.count(" ") + 1 if words else 0)


def scope_of(visibility: Visibility, filters: Filters) -> SearchScope | None:
    """What the index can narrow a search to under ``visibility`` and the layers
    ``filters`` name (None: every workspace; the other conditions narrow it)."""
    if visibility.workspace is None:
        return None
    classes = VISIBLE[visibility.layers]
    if filters.layers:
        classes = classes & frozenset().union(*(LAYER_CLASSES[x] for x in filters.layers))
    return SearchScope(visibility.workspace, classes)


def match(query: str, scope: SearchScope | None) -> str:
    """The FTS5 query for ``query``'s words (a phrase, the last word a prefix) among the
    entries of ``scope``. A scope of no class matches nothing."""
    phrase = f'"{query}" *'
    if scope is None:
        return phrase
    tokens = scope.tokens() or [token(scope.workspace, "")]
    either = " OR ".join(f'"{t}"' for t in tokens)
    return f"({either}) AND {phrase}"


class Placements:
    """Order-independent fingerprints of where an index holds its tokens: each the sum
    (mod 2**64) over every token instance ``(term, rowid, position)`` of a 64-bit hash
    of it, so two agree when the same tokens sit in the same rows at the same positions,
    in whatever order they were added. A token moved to another row or position changes
    the sum even when every term's counts stay the same.

    An instance's hash is Python's string hash (SipHash-1-3 under the interpreter's
    random key) of the instance written out after a random salt of this object's own:
    nobody who writes the database knows either, so none can pick changes whose hashes
    cancel. Compare only fingerprints of the same object, in one process."""

    def __init__(self) -> None:
        self._written = f"{secrets.token_hex(16)} %s %d %d".__mod__

    def of_row(self, rowid: int, tokens: list[str]) -> int:
        """The fingerprint of one row holding ``tokens`` in order (positions from 0)."""
        return self.of_instances(zip(tokens, repeat(rowid), count()))

    def of_instances(self, instances: Iterable[tuple[str, int, int]]) -> int:
        """The fingerprint of ``(term, rowid, position)`` instances (``fts5vocab``'s
        ``instance`` table: term, doc, offset)."""
        return sum(map(hash, map(self._written, instances))) % _SPAN
