"""Changes are recorded when their transaction commits: never for a rollback, savepoint by
savepoint, one store batch per transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.db import transaction

from activitylog.contrib.django import flush, recording
from activitylog.contrib.django.background import Writer
from contrib.project.shop.models import Contact, Invoice, Tag

Events = Callable[..., list[dict[str, Any]]]
pytestmark = pytest.mark.usefixtures("acme")


class Boom(Exception):
    pass


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The actions of each batch written to the store, in order."""
    seen: list[list[str]] = []
    write = recording.write

    def spy(events: list[dict[str, Any]]) -> None:
        seen.append([e["action"] for e in events])
        write(events)

    monkeypatch.setattr(recording, "write", spy)
    return seen


def test_nothing_is_recorded_before_the_commit(events: Events) -> None:
    with transaction.atomic():
        Contact.objects.create(name="Jo")
        assert events() == []
    assert [e["action"] for e in events()] == ["contact.created"]


def test_a_rolled_back_transaction_records_nothing(events: Events) -> None:
    contact = Contact.objects.create(name="Jo")
    with suppress(Boom), transaction.atomic():
        contact.name = "Joe"
        contact.save()
        Contact.objects.create(name="Al")
        contact.delete()
        raise Boom
    assert [e["action"] for e in events()] == ["contact.created"]


def test_a_rolled_back_savepoint_drops_only_its_changes(events: Events) -> None:
    with transaction.atomic():
        Contact.objects.create(name="kept before")
        with suppress(Boom), transaction.atomic():
            Contact.objects.create(name="rolled back")
            with transaction.atomic():
                Contact.objects.create(name="inner, released, then rolled back with its parent")
            raise Boom
        with transaction.atomic():
            Contact.objects.create(name="kept in a released savepoint")
        Contact.objects.create(name="kept after")
    assert [e["subject"]["name"] for e in events()] == [
        "kept before",
        "kept in a released savepoint",
        "kept after",
    ]


def test_a_trailing_rolled_back_savepoint_loses_nothing_before_it(events: Events) -> None:
    with transaction.atomic():
        Contact.objects.create(name="kept")
        with suppress(Boom), transaction.atomic():
            Contact.objects.create(name="rolled back")
            raise Boom
    assert [e["subject"]["name"] for e in events()] == ["kept"]


def test_a_transaction_is_written_as_one_batch(batches: list[list[str]]) -> None:
    with transaction.atomic():
        contact = Contact.objects.create(name="Jo")
        contact.name = "Joe"
        contact.save()
        contact.tags.add(Tag.objects.create(name="vip"))
        contact.delete()
    assert batches == [["contact.created", "contact.updated", "contact.updated", "contact.deleted"]]


def test_a_savepoint_starts_a_new_batch(batches: list[list[str]]) -> None:
    with transaction.atomic():
        Contact.objects.create(name="a")
        with transaction.atomic():
            Contact.objects.create(name="b")
            Contact.objects.create(name="c")
        Contact.objects.create(name="d")
    assert [len(batch) for batch in batches] == [1, 2, 1]


def test_autocommit_writes_each_change_at_once(batches: list[list[str]], events: Events) -> None:
    Contact.objects.create(name="a")
    assert batches == [["contact.created"]]
    assert len(events()) == 1


def test_a_transaction_committed_inside_another_ones_commit_hooks(events: Events) -> None:
    def in_hook() -> None:
        with suppress(Boom), transaction.atomic():
            Contact.objects.create(name="rolled back in the hook")
            raise Boom
        with transaction.atomic():
            Contact.objects.create(name="committed in the hook")

    with transaction.atomic():
        transaction.on_commit(in_hook)
        Contact.objects.create(name="outer")
    assert sorted(e["subject"]["name"] for e in events()) == ["committed in the hook", "outer"]


def test_a_store_failure_is_logged_with_the_events(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, events: Events
) -> None:
    log = recording.get_log()

    def broken(events: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(log, "record_many", broken)
    with transaction.atomic():
        Contact.objects.create(name="Jo")  # the save itself succeeds
    assert Contact.objects.filter(name="Jo").exists()
    [record] = caplog.records
    assert "1 event(s) not recorded" in record.getMessage()
    assert '"name":"Jo"' in record.getMessage()
    assert "disk full" in caplog.text


def test_an_invalid_event_is_left_out_and_the_rest_stored(
    events: Events, caplog: pytest.LogCaptureFixture
) -> None:
    with transaction.atomic():
        Contact.objects.create(name="Jo")
        Invoice.objects.create(account="x" * 300, number="1")  # no such workspace name
    assert [e["subject"]["name"] for e in events()] == ["Jo"]
    assert "workspace: is longer than 200 characters" in caplog.text
    assert '"number":"1"' in caplog.text


# -- "WRITE": "background" ------------------------------------------------------------------
@pytest.fixture
def in_background() -> Iterator[None]:
    from django.conf import settings
    from django.test import override_settings

    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "WRITE": "background"}):
        try:
            yield
        finally:
            assert flush(timeout=10)


@pytest.mark.usefixtures("in_background")
def test_background_writes_arrive_after_a_flush(events: Events) -> None:
    for name in ("a", "b", "c"):
        Contact.objects.create(name=name)  # three autocommit transactions
    with suppress(Boom), transaction.atomic():
        Contact.objects.create(name="rolled back")
        raise Boom
    assert flush(timeout=10)
    assert [e["subject"]["name"] for e in events()] == ["a", "b", "c"]


def test_the_background_writer_batches_what_arrives_while_it_stores() -> None:
    release = threading.Event()
    calls: list[list[str]] = []

    def store(batch: list[dict[str, Any]]) -> None:
        calls.append([e["n"] for e in batch])
        release.wait(10)

    writer = Writer(store)
    writer.put([{"n": "a"}])
    while not calls:  # the thread is storing "a"
        time.sleep(0.001)
    writer.put([{"n": "b"}])
    writer.put([{"n": "c"}, {"n": "d"}])
    release.set()
    assert writer.flush(timeout=10)
    assert calls == [["a"], ["b", "c", "d"]]


def test_flush_without_a_background_writer_is_true() -> None:
    assert Writer(lambda batch: None).flush(timeout=0)
