"""query: Sort parsing, page sizes, filter validation and event splitting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from activitylog.access import Visibility
from activitylog.errors import ValidationError
from activitylog.query import (
    MAX_OFFSET,
    PAGE_SIZES,
    SORT_KEYS,
    Filters,
    Page,
    QuerySpec,
    Sort,
    max_page,
)

VIS = Visibility("acme", None, "workspace")
T1 = datetime(2026, 3, 1, tzinfo=UTC)
T2 = datetime(2026, 3, 2, tzinfo=UTC)


def fields_of(info: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e.field for e in info.value.errors]


@pytest.mark.parametrize(
    ("text", "key", "descending"),
    [
        (None, "time", True),
        ("", "time", True),
        ("time", "time", False),
        ("-time", "time", True),
        ("actor", "actor", False),
        ("-actor", "actor", True),
        ("actor:asc", "actor", False),
        ("actor:desc", "actor", True),
        ("ip:asc", "ip", False),
        ("result:desc", "result", True),
    ],
)
def test_sort_parse(text: str | None, key: str, descending: bool) -> None:
    assert Sort.parse(text) == Sort(key, descending)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", SORT_KEYS)
def test_sort_round_trips_through_str(key: str) -> None:
    for sort in (Sort(key, True), Sort(key, False)):  # type: ignore[arg-type]
        assert Sort.parse(str(sort)) == sort
    assert str(Sort(key, True)) == f"-{key}"  # type: ignore[arg-type]


def test_default_sort_is_newest_first() -> None:
    assert Sort() == Sort("time", True)
    assert str(Sort()) == "-time"


@pytest.mark.parametrize(
    "text", ["name", "TIME", "-", "time:up", "actor:", "actor:ASC", "time desc", ":asc"]
)
def test_sort_parse_errors(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        Sort.parse(text)
    assert fields_of(info) == ["sort"]


@pytest.mark.parametrize("per_page", PAGE_SIZES)
def test_allowed_page_sizes(per_page: int) -> None:
    spec = QuerySpec(VIS, per_page=per_page, page=3)
    assert spec.offset == 2 * per_page


def test_page_sizes_and_default() -> None:
    assert PAGE_SIZES == (10, 20, 25, 50, 100)
    spec = QuerySpec(VIS)
    assert (spec.per_page, spec.page, spec.offset) == (20, 1, 0)
    assert spec.filters == Filters()
    assert spec.sort == Sort()


@pytest.mark.parametrize("per_page", [0, 1, 15, 30, 99, 101, 1000, -20])
def test_bad_page_size_names_per_page(per_page: int) -> None:
    with pytest.raises(ValidationError) as info:
        QuerySpec(VIS, per_page=per_page)
    assert fields_of(info) == ["per_page"]


@pytest.mark.parametrize("page", [0, -1])
def test_bad_page(page: int) -> None:
    with pytest.raises(ValidationError) as info:
        QuerySpec(VIS, page=page)
    assert fields_of(info) == ["page"]


@pytest.mark.parametrize("per_page", PAGE_SIZES)
def test_the_last_page_is_the_last_offset_the_engines_take(per_page: int) -> None:
    last = max_page(per_page)
    assert QuerySpec(VIS, page=last, per_page=per_page).offset <= MAX_OFFSET == 2**63 - 1
    assert (last * per_page) > MAX_OFFSET  # one page more would overflow OFFSET
    for page in (last + 1, 2**64, 10**30):
        with pytest.raises(ValidationError) as info:
            QuerySpec(VIS, page=page, per_page=per_page)
        assert fields_of(info) == ["page"]
        assert f"at most {last}" in info.value.errors[0].reason


def test_bad_page_and_size_both_reported() -> None:
    with pytest.raises(ValidationError) as info:
        QuerySpec(VIS, page=0, per_page=7)
    assert fields_of(info) == ["per_page", "page"]


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"results": ("success", "ok")}, ["result"]),
        ({"results": ("Success",)}, ["result"]),
        ({"layers": ("global",)}, ["layer"]),
        ({"results": ("nope",), "layers": ("nope",)}, ["result", "layer"]),
        ({"since": T2, "until": T1}, ["until"]),
        ({"since": T1, "until": T1}, ["until"]),
        ({"search": "x" * 201}, ["search"]),
    ],
)
def test_filter_errors_name_the_field(kwargs: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(ValidationError) as info:
        Filters(**kwargs)
    assert fields_of(info) == fields


def test_valid_filters() -> None:
    filters = Filters(
        since=T1,
        until=T2,
        results=("success", "warning", "failure"),
        layers=("workspace", "platform"),
        search="x" * 200,
    )
    assert filters.results == ("success", "warning", "failure")


def test_with_events_splits_actions_from_verbs() -> None:
    base = Filters(verbs=("viewed",), actions=("note.added",))
    split = base.with_events(("contact.updated", "signed_in", "auth.signed_out", "exported"))
    assert split.actions == ("note.added", "contact.updated", "auth.signed_out")
    assert split.verbs == ("viewed", "signed_in", "exported")
    assert base.verbs == ("viewed",)  # the original is unchanged (frozen)
    assert base.with_events(()) == base


def test_page_to_dict() -> None:
    page = Page(items=[{"id": "1"}], total=41, page=3, per_page=20, next_cursor="n")
    assert page.to_dict() == {"items": [{"id": "1"}], "total": 41, "page": 3, "per_page": 20}


def test_cursor_specs() -> None:
    assert QuerySpec(VIS, limit=1000).size == 1000
    assert QuerySpec(VIS, limit=5, per_page=50).offset == 0
    with pytest.raises(ValidationError) as caught:
        QuerySpec(VIS, limit=0, page=2)
    assert [e.field for e in caught.value.errors] == ["limit", "page"]
