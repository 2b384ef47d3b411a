"""Selection: caller-facing filters -> access Visibility + validated Filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from activitylog.access import Viewer
from activitylog.errors import AccessDenied, ValidationError
from activitylog.selection import Selection

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def test_defaults_to_the_last_seven_days_for_the_operator() -> None:
    vis, filters = Selection(workspace="acme", now=NOW).resolve()
    assert vis.workspace == "acme"
    assert vis.layers == "all"
    assert filters.since == datetime(2026, 11, 16, tzinfo=UTC)
    assert filters.until == datetime(2026, 11, 23, tzinfo=UTC)


def test_no_default_range_means_all_time() -> None:
    _, filters = Selection(workspace="acme").resolve(default_range=None)
    assert filters.since is None
    assert filters.until is None


def test_dates_are_whole_days_in_the_zone() -> None:
    _, f = Selection(since="2026-11-01", until="2026-11-01", tz="Europe/Berlin").resolve()
    assert f.since == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert f.until == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)


def test_naive_datetimes_are_read_in_the_zone() -> None:
    _, f = Selection(since=datetime(2026, 11, 1, 9), tz="America/New_York").resolve()
    assert f.since == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_events_split_into_verbs_and_actions_and_ip_is_normalised() -> None:
    _, f = Selection(events=("assigned", "contact.updated"), ip="2001:DB8:0::1").resolve()
    assert f.verbs == ("assigned",)
    assert f.actions == ("contact.updated",)
    assert f.ip == "2001:db8::1"


def test_ids_are_matched_in_any_spelling_of_the_uuid() -> None:
    stored = "0190a5b2-7c3e-7a11-8b2c-1234567890ab"
    spellings = (stored.upper(), stored.replace("-", ""), "{" + stored + "}", "not-an-id")
    _, f = Selection(ids=spellings).resolve()
    assert f.ids == (stored, stored, stored, "not-an-id")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"range": "last_7_days", "since": "2026-11-01"}, "range"),
        ({"range": "fortnight"}, "range"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"results": ("nope",)}, "result"),
    ],
)
def test_bad_values_name_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Selection(**fields).resolve()  # type: ignore[arg-type]
    assert caught.value.errors[0].field == field


def test_access_rules_apply() -> None:
    member = Viewer("u_1", "member", "acme", "own")
    vis, _ = Selection(workspace="acme", viewer=member, scope="mine").resolve()
    assert vis.actor_id == "u_1"
    assert vis.layers == "workspace"
    with pytest.raises(AccessDenied):
        Selection(workspace="acme", viewer=member, scope="workspace").resolve()


def test_datetime_bounds_outside_the_supported_range_name_their_field() -> None:
    with pytest.raises(ValidationError) as info:
        Selection(since=datetime(1969, 12, 31, tzinfo=UTC), now=NOW).resolve()
    assert [e.field for e in info.value.errors] == ["since"]
