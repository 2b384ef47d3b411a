"""The command a report prints to re-export its entries."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

from activitylog.access import Viewer
from activitylog.reports.integrity import MAX_IDS_IN_COMMAND, export_command
from activitylog.selection import Selection

SINCE = datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


def test_the_command_names_the_window_as_instants_and_every_filter() -> None:
    selection = Selection(
        workspace="acme",
        categories=("auth", "contacts"),
        results=("failure",),
        search="it's here",
        tz="Europe/Berlin",
    )
    args = shlex.split(export_command(selection, SINCE, UNTIL))
    assert args[:6] == ["activitylog", "export", "--format", "json", "--out", "entries.json"]
    pairs = list(zip(args[6::2], args[7::2], strict=True))
    assert ("--since", "2026-11-01T23:00:00.000000Z") in pairs
    assert ("--until", "2026-12-01T23:00:00.000000Z") in pairs
    assert ("--category", "auth") in pairs
    assert ("--category", "contacts") in pairs
    assert ("--result", "failure") in pairs
    assert ("--search", "it's here") in pairs
    assert ("--workspace", "acme") in pairs


def test_a_reader_is_named_so_the_export_sees_what_they_saw() -> None:
    member = Viewer("u_diego", "member", "acme")
    selection = Selection(workspace="acme", viewer=member, scope="mine")
    command = export_command(selection, SINCE, UNTIL)
    assert "--as-user u_diego --as-role member --scope mine" in command


def test_chosen_entries_are_named_while_few() -> None:
    few = Selection(workspace="acme", ids=("a", "b"))
    assert export_command(few, None, None).endswith("--id a --id b")
    many = Selection(workspace="acme", ids=tuple(str(i) for i in range(MAX_IDS_IN_COMMAND + 1)))
    assert "--id ID (once for each of the 11 chosen entries)" in export_command(many, None, None)
