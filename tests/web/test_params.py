"""The URL state: parsing, validation naming the parameter, round trips."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from activitylog.errors import ValidationError
from activitylog.query import PAGE_SIZES, max_page
from activitylog.web.params import ViewParams, view_params


def test_defaults() -> None:
    view = view_params({})
    assert view == ViewParams()
    assert (view.range, view.sort, view.page, view.per_page) == ("last_7_days", "-time", 1, 20)


def test_repeatable_values_may_repeat_or_be_comma_separated() -> None:
    view = view_params({"category": ["auth,inbox", "auth"], "user": ["u_a"], "result": [""]})
    assert view.category == ("auth", "inbox")
    assert view.user == ("u_a",)
    assert view.result == ()


def test_events_is_the_parameter_and_event_another_name_for_it() -> None:
    view = view_params({"events": ["contact.updated,signed_in"], "event": ["signed_in", "viewed"]})
    assert view.events == ("contact.updated", "signed_in", "viewed")
    assert view_params({"event": ["updated"]}) == view_params({"events": ["updated"]})
    assert ViewParams(events=("updated",)).query_string() == "events=updated"
    with pytest.raises(ValidationError) as caught:
        view_params({"event": ["x" * 201]})
    assert [e.field for e in caught.value.errors] == ["events"]


def test_every_bad_value_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        view_params(
            {
                "range": ["forever"],
                "scope": ["everyone"],
                "per_page": ["7"],
                "page": ["x"],
                "group": ["yearly"],
                "tz": ["Mars/Base"],
                "sort": ["shoe_size"],
            }
        )
    assert {e.field for e in caught.value.errors} == {
        "range",
        "scope",
        "per_page",
        "page",
        "group",
        "tz",
        "sort",
    }


@pytest.mark.parametrize("per_page", PAGE_SIZES)
def test_pages_stop_where_the_offset_would_overflow_64_bits(per_page: int) -> None:
    last = max_page(per_page)
    view = view_params({"page": [str(last)], "per_page": [str(per_page)]})
    assert (view.page - 1) * view.per_page <= 2**63 - 1
    for page in (last + 1, 2**63, 10**150):
        with pytest.raises(ValidationError) as caught:
            view_params({"page": [str(page)], "per_page": [str(per_page)]})
        assert [e.field for e in caught.value.errors] == ["page"]


def test_custom_dates_need_range_custom() -> None:
    with pytest.raises(ValidationError) as caught:
        view_params({"since": ["2026-11-01"]})
    assert caught.value.errors[0].field == "range"
    view = view_params({"range": ["custom"], "since": ["2026-11-01"], "until": ["2026-11-07"]})
    assert (view.since, view.until) == ("2026-11-01", "2026-11-07")


def test_overlong_values_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        view_params({"search": ["x" * 201]})
    assert caught.value.errors[0].field == "search"


def test_unknown_parameters_are_left_to_the_caller() -> None:
    assert view_params({"format": ["csv"], "token": ["t"]}) == ViewParams()


def test_query_string_round_trips_and_leaves_defaults_out() -> None:
    view = ViewParams(range="last_30_days", category=("auth", "inbox"), search="refund", page=3)
    text = view.query_string()
    assert "per_page" not in text
    assert "sort" not in text
    assert view_params(parse_qs(text)) == view
    assert view_params(parse_qs(view.query_string(page=1))).page == 1
    assert ViewParams().query_string() == ""


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        view_params({"subject_id": ["\x00"], "user": ["a\x1fb"]})
    assert {e.field for e in caught.value.errors} == {"subject_id", "user"}
