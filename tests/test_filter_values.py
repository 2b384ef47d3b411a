"""Filter values that can never match are named, not answered with nothing (pure)."""

from __future__ import annotations

from collections.abc import Callable

from activitylog.catalog import DEFAULT_CATALOG, ActionInfo
from activitylog.filter_values import unknown_values


def _recorded(*actions: str) -> tuple[list[int], Callable[[], list[str]]]:
    calls: list[int] = []

    def recorded() -> list[str]:
        calls.append(1)
        return list(actions)

    return calls, recorded


def test_catalog_values_need_no_lookup() -> None:
    calls, recorded = _recorded()
    events = ["settings.updated", "updated", "signed_in", "auth.signed_in", "exported"]
    assert unknown_values(DEFAULT_CATALOG, ["auth", "other"], events, recorded) == []
    assert calls == []


def test_unknown_categories_are_named_with_the_known_ones() -> None:
    [error] = unknown_values(DEFAULT_CATALOG, ["auth", "billing"], [], _recorded()[1])
    assert error.field == "category"
    assert "'billing'" in error.reason
    assert "activity_log" in error.reason


def test_an_extended_catalog_knows_its_categories_and_actions() -> None:
    catalog = DEFAULT_CATALOG.extend(
        prefixes={"invoice": "billing"},
        actions={"invoice.voided": ActionInfo("billing", "voided", "write", "Voided invoice")},
    )
    assert unknown_values(catalog, ["billing"], ["invoice.voided", "voided"], _recorded()[1]) == []


def test_events_the_log_recorded_are_known_looked_up_once() -> None:
    calls, recorded = _recorded("project.archived", "contact.merged")
    events = ["project.archived", "archived", "merged", "project.archivd", "frobbed"]
    errors = unknown_values(DEFAULT_CATALOG, [], events, recorded)
    assert [(e.field, e.reason) for e in errors] == [
        ("events", "unknown event 'project.archivd': no such action in the log"),
        ("events", "unknown event 'frobbed': no such verb in the log"),
    ]
    assert calls == [1]


def test_malformed_events_are_refused_without_a_lookup() -> None:
    calls, recorded = _recorded()
    errors = unknown_values(DEFAULT_CATALOG, [], ["Signed In", "contact.", ".x", "a.B"], recorded)
    assert [e.reason for e in errors] == [
        f"{value!r} is not an action or a verb" for value in ("Signed In", "contact.", ".x", "a.B")
    ]
    assert calls == []
