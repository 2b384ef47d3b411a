"""search_archive answers as the store does: for each selection, the entries found in the
archives of a demo log are exactly those ``log.export`` returns from the database (same
access rules, same filters)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.access import Viewer
from activitylog.archives import open_location, search_archive, write_archive
from activitylog.demo.seed import generate_events
from activitylog.selection import Selection
from activitylog.settings import Settings

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ActivityLog, list[Path]]]:
    """A demo log of 1,500 events over 30 days, and one archive of each workspace's whole
    log."""
    tmp = tmp_path_factory.mktemp("search")
    settings = Settings(signing_key=tmp / "key.pem", checkpoint_every=100)
    with ActivityLog(f"sqlite:///{tmp / 'log.db'}", settings=settings) as log:
        events = list(generate_events(1500, now=NOW, days=30))
        for start in range(0, len(events), 500):
            log.record_many(events[start : start + 500])
        location = open_location(str(tmp / "archives"))
        paths = []
        for workspace in log.store.workspaces():
            head = log.store.head(workspace)
            assert head is not None
            info = write_archive(log, workspace, 1, head.seq, NOW, location)
            paths.append(Path(location.url) / info.name)
        yield log, paths


def found(paths: list[Path], selection: Selection) -> list[str]:
    visibility, filters = selection.resolve(default_range=None)
    ids = []
    for path in paths:
        with path.open("rb") as data:
            ids.extend(event["id"] for event in search_archive(data, visibility, filters))
    return sorted(ids)


def user_of(log: ActivityLog, workspace: str) -> str:
    return next(e["actor"]["id"] for e in log.export(workspace=workspace) if e["actor"].get("role"))


SELECTIONS = {
    "everything": {},
    "one workspace": {"workspace": "acme"},
    "free text": {"search": "refund"},
    "free text, two letters, any case": {"workspace": "globex", "search": "Re"},
    "category": {"categories": ("auth",)},
    "action or verb": {"events": ("contact.updated", "deleted")},
    "result": {"results": ("failure", "warning")},
    "layer": {"layer": "platform"},
    "role": {"roles": ("admin", "owner")},
    "countries": {"countries": ("de", "FR")},
    "subject type": {"workspace": "acme", "subject_type": "contact"},
    "window": {"since": "2026-11-10", "until": "2026-11-20"},
    "window in a zone": {"since": "2026-11-10T08:00", "until": "2026-11-11", "tz": "Asia/Tokyo"},
}


@pytest.mark.parametrize("filters", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_an_archive_is_searched_as_the_log_is_queried(
    archived: tuple[ActivityLog, list[Path]], filters: dict[str, object]
) -> None:
    log, paths = archived
    selection = Selection(**filters)  # type: ignore[arg-type]
    expected = sorted(e["id"] for e in log.export(selection))
    assert expected, "the selection should match something"
    assert found(paths, selection) == expected


def test_one_actor_subject_ip_and_ids(archived: tuple[ActivityLog, list[Path]]) -> None:
    log, paths = archived
    sample = next(e for e in log.export(workspace="initech") if e["subject"] and e["ip"])
    for filters in (
        {"users": (sample["actor"]["id"],)},
        {"subject_type": sample["subject"]["type"], "subject_id": sample["subject"]["id"]},
        {"ip": sample["ip"]},
        {"ids": (sample["id"].upper(),)},
    ):
        selection = Selection(workspace="initech", **filters)  # type: ignore[arg-type]
        expected = sorted(e["id"] for e in log.export(selection))
        assert sample["id"] in expected
        assert found(paths, selection) == expected


def test_access_rules_apply(archived: tuple[ActivityLog, list[Path]]) -> None:
    log, paths = archived
    member = user_of(log, "acme")
    for viewer, scope in (
        (Viewer("someone", "admin", "acme"), "workspace"),
        (Viewer(member, "member", "acme", log_access="own"), "mine"),
    ):
        selection = Selection(workspace="acme", viewer=viewer, scope=scope)
        expected = sorted(e["id"] for e in log.export(selection))
        assert expected or scope == "workspace"
        assert found(paths, selection) == expected
    everything = found(paths, Selection(workspace="acme"))
    admin = found(paths, Selection(workspace="acme", viewer=Viewer("a", "admin", "acme")))
    assert set(admin) < set(everything)  # platform entries but impersonation are hidden
