"""Commands that add to the log: ``record``, ``ingest``, ``seed`` and ``delete``."""

from __future__ import annotations

import codecs
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO, Any, TypeVar

import click
import orjson

from activitylog.cli.app import cli, open_log, progress
from activitylog.client import ActivityLog
from activitylog.errors import BatchValidationError, FieldError, ValidationError
from activitylog.events import CONTENT_FIELDS, normal_id, parse_json, validate

BATCH = 1000
T = TypeVar("T")

_PARTIES = {
    "actor": ("id", "name", "email", "role", "type"),
    "impersonator": ("id", "name", "email"),
}
_SUBJECT = ("type", "id", "name", "url")
#: Content fields given as plain flags (the rest are objects built from --actor-* etc.).
_PLAIN = tuple(
    f
    for f in CONTENT_FIELDS
    if f not in ("actor", "impersonator", "subject", "related", "received_at")
)


def event_from_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """The input-shaped event ``record``'s flags describe (unset flags left out)."""
    event = {name: flags[name] for name in _PLAIN if flags.get(name) is not None}
    for party, keys in _PARTIES.items():
        values = {
            key: flags[f"{party}_{key}"] for key in keys if flags.get(f"{party}_{key}") is not None
        }
        if values:
            event[party] = values
    subject = {
        key: flags[f"subject_{key}"] for key in _SUBJECT if flags.get(f"subject_{key}") is not None
    }
    if subject:
        event["subject"] = subject
    return event


@cli.command()
@click.option("--workspace", required=True, help="Workspace id.")
@click.option("--action", required=True, help="Dotted action, e.g. contact.updated.")
@click.option("--layer", help="workspace (default) or platform.")
@click.option("--actor-id")
@click.option("--actor-name")
@click.option("--actor-email")
@click.option("--actor-role")
@click.option("--actor-type", help="user (default), system or api.")
@click.option("--impersonator-id")
@click.option("--impersonator-name")
@click.option("--impersonator-email")
@click.option("--subject-type")
@click.option("--subject-id")
@click.option("--subject-name")
@click.option("--subject-url")
@click.option("--result", help="success (default), warning or failure.")
@click.option("--ip")
@click.option("--user-agent")
@click.option("--description")
@click.option("--changes", metavar="JSON", help='{"field": {"before": ..., "after": ...}}')
@click.option("--snapshot", metavar="JSON", help="A JSON object.")
@click.option("--details", metavar="JSON", help="A JSON object.")
@click.option("--request-id")
@click.option("--session-id")
@click.option("--batch-id")
@click.option("--occurred-at", metavar="DATETIME", help="ISO 8601 (default: now).")
@click.option("--id", "id", metavar="UUID", help="Event id (recording it again is a no-op).")
def record(**flags: Any) -> None:
    """Record one event; prints its id."""
    stored = open_log().record(**event_from_flags(flags))
    click.echo(stored["id"])


@cli.command()
@click.argument("file", type=click.File("rb"))
def ingest(file: IO[bytes]) -> None:
    """Record events from NDJSON FILE (or - for stdin), one event per line.

    Prints "accepted N, rejected M"; each rejected line goes to stderr as
    "line L: field: reason". Exit 0 when nothing was rejected, else 1. Accepted events are
    kept even when other lines are rejected; blank lines are ignored.
    """
    log = open_log()
    accepted = rejected = 0
    with progress("ingesting") as advance:
        for batch in _batches(_numbered(file), BATCH):
            good: list[tuple[int, dict[str, Any]]] = []
            for number, raw, errors in batch:
                if errors is None:
                    errors = _check(raw)
                if errors:
                    _reject(number, errors)
                    rejected += 1
                else:
                    good.append((number, raw))
            stored, failed = _store(log, good)
            accepted += stored
            rejected += failed
            advance(len(batch))
    click.echo(f"accepted {accepted}, rejected {rejected}")
    if rejected:
        click.get_current_context().exit(1)


Line = tuple[int, Any, tuple[FieldError, ...] | None]


def _numbered(lines: Iterable[bytes]) -> Iterator[Line]:
    """``(line number, parsed JSON, None)`` per non-blank line, or errors when not JSON
    (or not UTF-8: bytes are parsed as they are, never patched up)."""
    for number, line in enumerate(lines, 1):
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)  # files saved by some editors
        if not line.strip():
            continue
        try:
            yield number, parse_json(line), None
        except orjson.JSONDecodeError as exc:
            reason = f"is not valid JSON ({exc.msg} at column {exc.colno})"
            yield number, None, (FieldError("event", reason),)


def _check(raw: Any) -> tuple[FieldError, ...]:
    try:
        validate(raw)
    except ValidationError as exc:
        return exc.errors
    return ()


def _store(log: ActivityLog, good: list[tuple[int, dict[str, Any]]]) -> tuple[int, int]:
    """record_many the checked events; anything the batch still refuses is reported."""
    rejected = 0
    while good:
        try:
            log.record_many([raw for _, raw in good])
        except BatchValidationError as exc:  # e.g. an occurred_at that just became "future"
            for index, errors in exc.by_index.items():
                _reject(good[index][0], errors)
            rejected += len(exc.by_index)
            good = [item for i, item in enumerate(good) if i not in exc.by_index]
            continue
        return len(good), rejected
    return 0, rejected


def _reject(number: int, errors: Iterable[FieldError]) -> None:
    for error in errors:
        click.echo(f"line {number}: {error.field}: {error.reason}", err=True)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@cli.command()
@click.option("--events", "count", type=click.IntRange(min=0), required=True, help="How many.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True, help="Spread.")
def seed(count: int, seed: int, days: int) -> None:
    """Fill the log with deterministic demo events (a helpdesk SaaS, three workspaces)."""
    from activitylog.demo import seed as demo

    log = open_log()
    started = time.perf_counter()
    workspaces: set[str] = set()
    actors: set[str] = set()
    events = demo.generate_events(count, seed=seed, days=days)
    with progress("seeding", count) as advance:
        for batch in _batches(events, BATCH):
            log.record_many(batch)
            for event in batch:
                workspaces.add(event["workspace"])
                actor = event.get("actor") or {}
                if actor.get("id") and actor.get("type", "user") == "user":
                    actors.add(actor["id"])
            advance(len(batch))
    elapsed = time.perf_counter() - started
    rate = count / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"seeded {count:,} events in {len(workspaces)} workspaces by {len(actors)} users "
        f"in {elapsed:.1f}s ({rate:,.0f} events/s)"
    )


@cli.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.option("--by", required=True, metavar="WHO", help="Who deletes (kept on the tombstone).")
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept on the tombstone).")
def delete(ids: tuple[str, ...], by: str, reason: str) -> None:
    """Tombstone events by id (as the operator): content removed, chain kept."""
    stored = {event_id: normal_id(event_id) for event_id in ids}  # any case, as on write
    done = open_log().delete(list(dict.fromkeys(stored.values())), by=by, reason=reason)
    deleted = set(done)
    for event_id in [event_id for event_id, normal in stored.items() if normal not in deleted]:
        click.echo(f"not deleted: {event_id} (no such event, or already deleted)", err=True)
    click.echo(f"deleted {len(done)} event{'' if len(done) == 1 else 's'}")


__all__ = ["delete", "event_from_flags", "ingest", "record", "seed"]
