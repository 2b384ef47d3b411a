"""The search rule: words kept, queries matched, and SQLite's FTS5 index agreeing with it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitylog.search_words import matches, spans, words
from activitylog.store.index_schema import make_search
from activitylog.store.search_index import (
    CLASSES,
    INSERT,
    SearchScope,
    entry_class,
    indexed,
    match,
)
from activitylog.store.sqlite_driver import dbapi
from store._support import finds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ava Thompson assigned #4821", "ava thompson assigned 4821"),
        ("ava.thompson@acme.example", "ava thompson acme example"),
        ("Chloé Dubois", "chloe dubois"),
        ("ÆON ﬁle ™", "æon file tm"),
        ("snake_case  and\ttabs\n", "snake case and tabs"),
        ("10.0.2.15 | 2001:db8::1", "10 0 2 15 2001 db8 1"),
        ("%_'\"\\", ""),
        ("", ""),
    ],
)
def test_words(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("thom", "Ava Thompson", True),
        ("hompson", "Ava Thompson", False),
        ("ava thom", "Ava Thompson", True),
        ("thompson ava", "Ava Thompson", False),
        ("thompson@acme", "ava.thompson@acme.example", True),
        ("10.0.2", "10.0.2.15", True),
        ("10.0.2", "110.0.2.15", False),
        ("chloe", "Chloé", True),
        ("CHLOÉ", "chloe", True),
        ("%", "100%", False),
    ],
)
def test_matches(query: str, text: str, found: bool) -> None:
    assert matches(words(query), words(text)) is found


_TEXT = st.text(
    alphabet=st.sampled_from([*"aábBc 0129.-_%'\"*éÉ", "ﬁ", "ß", "İ", "日", "\t"]),
    max_size=30,
)


@given(query=_TEXT, text=_TEXT)
@settings(max_examples=400, deadline=None)
def test_matches_is_the_rule_as_a_list_of_words(query: str, text: str) -> None:
    assert matches(words(query), words(text)) is finds(query, text)


_ENTRY = st.tuples(
    _TEXT,
    st.sampled_from(["acme", "globex", "ac me", "日本"]),
    st.sampled_from([("workspace", "inbox"), ("platform", "impersonation"), ("platform", "auth")]),
)
_SCOPE = st.one_of(
    st.none(),
    st.builds(
        SearchScope,
        st.sampled_from(["acme", "ac me", "日本"]),
        st.frozensets(st.sampled_from(CLASSES)),
    ),
)


@given(query=_TEXT, entries=st.lists(_ENTRY, min_size=1, max_size=8), scope=_SCOPE)
@settings(max_examples=200, deadline=None)
def test_sqlite_search_index_applies_the_rule(
    query: str, entries: list[tuple[str, str, tuple[str, str]]], scope: SearchScope | None
) -> None:
    """The index file's FTS5 table (tokenizer, rows and query as the store makes them)
    finds exactly the texts :func:`matches` finds, among the entries of the scope."""
    wanted = words(query)
    db = dbapi.connect(":memory:")
    db.execute("ATTACH DATABASE ':memory:' AS idx")
    make_search(db)
    rows = [(i, indexed(w, *where, words(text))) for i, (text, w, where) in enumerate(entries)]
    db.executemany(INSERT, rows)
    select = "SELECT rowid FROM events_fts WHERE events_fts MATCH ?"
    found = {row[0] for row in db.execute(select, (match(wanted, scope),))} if wanted else set()
    assert found == {
        i
        for i, (text, w, where) in enumerate(entries)
        if matches(wanted, words(text))
        and (scope is None or (w == scope.workspace and entry_class(*where) in scope.classes))
    }


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("thom", "Ava Thompson", ["Thom"]),
        ("ava thom", "Ava Thompson met ava thomas", ["Ava Thom", "ava thom"]),
        ("chloe", "Chloé", ["Chloé"]),
        ("e", "Chloe\u0301 e", ["e"]),  # an accent written as a mark of its own
        ("fi", "ﬁle", ["ﬁ"]),
        ("10.0.2", "10.0.2.15, 110.0.2.1", ["10.0.2"]),
        ("ava", "java", []),
    ],
)
def test_spans(query: str, text: str, marked: list[str]) -> None:
    assert [text[a:b] for a, b in spans(words(query), text)] == marked


@given(query=_TEXT, text=_TEXT)
@settings(max_examples=400, deadline=None)
def test_spans_mark_what_matches(query: str, text: str) -> None:
    assert bool(spans(words(query), text)) is matches(words(query), words(text))
