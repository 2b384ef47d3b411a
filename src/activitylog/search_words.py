"""Free-text search as words: what an entry's search text keeps, and when a query matches.

An entry's search text (label, action, description, subject type and name, actor name and
IP) is kept as its words: lowercased, accents removed, split at everything that is not a
letter or a digit, joined by single spaces. A query is reduced to words the same way, and
matches an entry whose words hold the query's words next to each other and in order, the
last one as the beginning of a word: ``ava thom`` finds "Ava Thompson", ``10.0.2`` finds
10.0.2.15, ``thompson@acme`` finds ava.thompson@acme.example, ``chloe`` finds "Chloé";
``hompson`` finds nothing (no word begins with it).

Every store and the in-memory matcher apply exactly this rule: SQLite as an FTS5 phrase
query with a prefix over a tokenizer that splits where the spaces are, PostgreSQL as a
``LIKE`` over the same words (trigram index), memory with :func:`matches`.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")  # what str.isalnum() accepts


def words(text: str) -> str:
    """``text``'s words, lowercased and without accents, joined by single spaces."""
    text = text.lower()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_WORD.findall(text))


def matches(query: str, text: str) -> bool:
    """Whether the words ``text`` holds match the words ``query`` (both from :func:`words`;
    an empty query matches nothing)."""
    return bool(query) and f" {query}" in f" {text}"


def spans(query: str, text: str) -> list[tuple[int, int]]:
    """Where in ``text`` the words ``query`` holds (from :func:`words`) match, as
    ``(start, end)`` offsets into ``text``: what a page marks. The last word's span ends
    where its beginning does."""
    wanted = query.split()
    if not wanted:
        return []
    *whole, last = wanted
    found = _word_spans(text)
    names = ["".join(piece for _, piece in folded) for _, folded in found]
    return [
        (found[i][0], _prefix_end(found[i + len(whole)][1], len(last)))
        for i in range(len(found) - len(whole))
        if names[i : i + len(whole)] == whole and names[i + len(whole)].startswith(last)
    ]


def _word_spans(text: str) -> list[tuple[int, list[tuple[int, str]]]]:
    """Each word of ``text``: where it starts, and its characters folded, each with the
    offset just after it (an accent written as a mark of its own continues the word)."""
    out: list[tuple[int, list[tuple[int, str]]]] = []
    start: int | None = None
    folded: list[tuple[int, str]] = []
    for at, char in enumerate(text):
        piece = words(char)
        if piece and " " not in piece:
            if start is None:
                start, folded = at, []
            folded.append((at + 1, piece))
        elif start is not None and not unicodedata.combining(char):
            out.append((start, folded))
            start = None
    if start is not None:
        out.append((start, folded))
    return out


def _prefix_end(folded: list[tuple[int, str]], length: int) -> int:
    """The offset where the first ``length`` folded characters of a word end."""
    seen = 0
    for end, piece in folded:
        seen += len(piece)
        if seen >= length:
            return end
    return folded[-1][0]
