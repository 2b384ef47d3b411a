"""``activitylog archive``: list the archives purges wrote, verify one offline, search one.

FILE is a path, or an archive's name at the ``archive`` location (as ``archive list``
prints it), fetched from there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from activitylog.archives import (
    ArchiveReport,
    Location,
    archive_names,
    open_location,
    search_archive,
    verify_archive,
)
from activitylog.archives.format import read_lines, record_of
from activitylog.cli.app import CliError, cli, current_settings, echo_json
from activitylog.cli.options import filter_options, selection_from
from activitylog.cli.render import print_page
from activitylog.client import ActivityLog
from activitylog.errors import ConfigurationError
from activitylog.exports import WRITERS
from activitylog.query import Page
from activitylog.scheduled_exports import export_names
from activitylog.signing import KeyRing

_LOCATION = click.option(
    "--archive",
    "location",
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Where archives are kept [default: the archive setting].",
)


@cli.group()
def archive() -> None:
    """The archives purges write: one signed, zstd-compressed NDJSON file per workspace
    per purge (docs/INTEGRITY.md describes the format); `archive list` also lists the
    scheduled exports written beside them."""


@archive.command("list")
@click.option("--workspace", help="Only this workspace's archives.")
@_LOCATION
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_(workspace: str | None, location: str | None, as_json: bool) -> None:
    """The archives at the archive location, by workspace and seq range, then the
    scheduled exports there (W/exports/W-daily-2026-12-05.csv), by workspace and period."""
    where = _location(location)
    found = [
        {
            "name": item.name,
            "workspace": item.workspace or _workspace_in(where, item.name),
            "first_seq": item.first_seq,
            "last_seq": item.last_seq,
            "count": item.last_seq - item.first_seq + 1,
        }
        for item in archive_names(where, workspace)
    ]
    exports = [item.to_dict() for item in export_names(where, workspace)]
    if as_json:
        echo_json({"location": where.url, "archives": found, "exports": exports})
        return
    for item in found:
        click.echo(
            f"{item['name']}  workspace {item['workspace'] or '?'}: "
            f"seqs {item['first_seq']}..{item['last_seq']} ({item['count']} entries)"
        )
    click.echo(f"{len(found)} archives at {where.url}")
    for export in exports:
        click.echo(
            f"{export['name']}  workspace {export['workspace'] or '?'}: {export['schedule']} "
            f"export of {export['period']} ({export['format'].upper()})"
        )
    if exports:
        click.echo(f"{len(exports)} scheduled exports at {where.url}")


@archive.command()
@click.argument("file")
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM public key(s) or a key ring file (repeatable) [default: the log's own ring].",
)
@_LOCATION
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(file: str, public_keys: tuple[Path, ...], location: str | None, as_json: bool) -> None:
    """Check an archive offline: every entry's hash and chain link, its place in the tree,
    each checkpoint's signature and root, the proof to the live log's checkpoint, and the
    signed manifest.

    Exit 0 when it holds, 1 naming what fails, 2 on a usage error.
    """
    ring = _ring(public_keys)
    with _opened(file, location) as data:
        report = verify_archive(data, ring)
    if as_json:
        echo_json(_report_json(report))
    else:
        for problem in report.problems:
            click.echo(f"FAILED: {problem}")
        if report.more_problems:
            click.echo(f"FAILED: ... and {report.more_problems} more")
        click.echo(_summary(report))
    if not report.ok:
        click.get_current_context().exit(1)


@archive.command()
@click.argument("file")
@filter_options
@_LOCATION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", *sorted(WRITERS)]),
    default="table",
    show_default=True,
)
def search(file: str, location: str | None, fmt: str, **options: Any) -> None:
    """The archive's entries that match the filters of `query` (all time unless a range is
    given), in seq order, read from the file without importing it. Deleted entries hold no
    content and match nothing.
    """
    selection = selection_from(options)
    visibility, filters = selection.resolve(default_range=None)
    with _opened(file, location) as data:
        try:
            found = search_archive(data, visibility, filters)
            if fmt == "table":
                items = list(found)
                print_page(Page(items, len(items), 1, max(len(items), 1)), selection.tz)
            else:
                WRITERS[fmt](found, sys.stdout)
        except ValueError as exc:
            raise CliError(f"file: {file} is not an archive ({exc})") from None


def _workspace_in(where: Location, name: str) -> str | None:
    """The workspace an archive's header names (its name holds a hash of a long one)."""
    with where.open(name) as data:
        try:
            return str(record_of(next(read_lines(data)))["workspace"])
        except (StopIteration, KeyError, ValueError):
            return None


def _location(given: str | None) -> Location:
    url = given or current_settings().archive
    if not url:
        raise ConfigurationError(
            "archive: no archive location (set ACTIVITYLOG_ARCHIVE or pass --archive)"
        )
    return open_location(url)


@contextmanager
def _opened(file: str, location: str | None) -> Iterator[IO[bytes]]:
    """The archive FILE names: a file, else a name at the archive location."""
    path = Path(file)
    data: IO[bytes]
    if path.is_file():
        try:
            data = path.open("rb")
        except OSError as exc:
            raise CliError(f"file: cannot read {file} ({exc.strerror})") from None
    elif location or current_settings().archive:
        data = _location(location).open(file)
    else:
        raise CliError(f"file: {file} does not exist")
    with data:
        yield data


def _ring(public_keys: tuple[Path, ...]) -> KeyRing:
    if public_keys:
        try:
            return KeyRing.from_pem([path.read_bytes() for path in public_keys])
        except ValueError as exc:
            raise CliError(f"public_key: {exc}") from None
    found = ActivityLog.ring_of(current_settings())
    if found is None:
        raise ConfigurationError("public_key: pass --public-key (no signing key here)")
    return found


def _summary(report: ArchiveReport) -> str:
    status = "ok" if report.ok else "BROKEN"
    return (
        f"{status}: workspace {report.workspace}, seqs {report.first_seq}..{report.last_seq}, "
        f"{report.entries} entries, {report.tombstones} tombstones, "
        f"{report.checkpoints} checkpoints, tied to the checkpoint at size {report.anchor_size}"
        + (f", manifest signed by key {report.signed_by}" if report.signed_by else "")
    )


def _report_json(report: ArchiveReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "workspace": report.workspace,
        "first_seq": report.first_seq,
        "last_seq": report.last_seq,
        "count": report.count,
        "cutoff": report.cutoff,
        "entries": report.entries,
        "tombstones": report.tombstones,
        "checkpoints": report.checkpoints,
        "root": report.root,
        "checkpoint_size": report.anchor_size,
        "signed_by": report.signed_by,
        "problems": report.problems,
    }
