"""Turning capture off: ``disable_capture()`` for a block, and raw saves (``loaddata``)
skipped unless ``RECORD_RAW_SAVES`` is set — after django-auditlog's DisableTest."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from activitylog.contrib.django import disable_capture, get_log
from contrib.project.shop.models import Article, Contact, Tag

Events = Callable[..., list[dict[str, Any]]]
pytestmark = pytest.mark.usefixtures("acme")


# -- disable_capture -------------------------------------------------------------------------
def test_nothing_is_recorded_inside_the_block(events: Events) -> None:
    vip = Tag.objects.create(name="vip")
    with disable_capture():
        contact = Contact.objects.create(name="Jo")
        contact.name = "Joe"
        contact.save()
        contact.tags.add(vip)
        Contact.objects.filter(pk=contact.pk).update(email="jo@x.io")
        Contact.objects.bulk_create([Contact(name="Al")])
        Contact.objects.bulk_update([contact], ["name"])
        Contact.objects.filter(name="Al").delete()
    assert events() == []


def test_values_saved_inside_the_block_are_the_loaded_ones_after_it(events: Events) -> None:
    contact = Contact.objects.create(name="Jo")
    with disable_capture():
        contact.name = "Joe"
        contact.save()
    contact.save()
    assert events("contact.updated") == []
    contact.name = "Joey"
    contact.save()
    assert events("contact.updated")[0]["changes"] == {"name": {"before": "Joe", "after": "Joey"}}


def test_capture_resumes_after_the_block_even_when_it_raises(events: Events) -> None:
    def quiet_then_fail() -> None:
        with disable_capture():
            Contact.objects.create(name="Quiet")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        quiet_then_fail()
    Contact.objects.create(name="Heard")
    assert [e["subject"]["name"] for e in events("contact.created")] == ["Heard"]


def test_it_works_as_a_decorator_and_for_its_own_thread_only(events: Events) -> None:
    def elsewhere() -> None:  # a new thread starts with an empty context
        with get_log().context(workspace="acme"):
            Contact.objects.create(name="Other")

    @disable_capture()
    def quiet_import() -> None:
        Contact.objects.create(name="Quiet")
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()

    quiet_import()
    assert [e["subject"]["name"] for e in events("contact.created")] == ["Other"]


def test_own_records_are_still_recorded_inside_the_block(events: Events) -> None:
    with disable_capture():
        get_log().record(action="contact.exported", subject={"type": "contact", "id": "1"})
    assert [e["action"] for e in events()] == ["contact.exported"]


# -- raw saves -----------------------------------------------------------------------------
@pytest.fixture
def fixture(tmp_path: Path) -> str:
    """A ``loaddata`` fixture: a tag and a contact linked to it."""
    path = tmp_path / "contacts.json"
    contact = {"name": "Jo", "data": {}, "tags": [7], "updated_at": "2024-01-01T00:00:00Z"}
    path.write_text(
        json.dumps(
            [
                {"model": "shop.tag", "pk": 7, "fields": {"name": "vip"}},
                {"model": "shop.contact", "pk": 70, "fields": contact},
            ]
        )
    )
    return str(path)


def test_loaddata_is_not_recorded_by_default(events: Events, fixture: str) -> None:
    call_command("loaddata", fixture, verbosity=0)
    assert Contact.objects.get(pk=70).tags.count() == 1
    assert events() == []
    loaded = Contact.objects.get(pk=70)  # later changes are recorded as usual
    loaded.email = "jo@x.io"
    loaded.save()
    loaded.tags.clear()
    assert [e["changes"] for e in events("contact.updated")] == [
        {"email": {"before": "", "after": "jo@x.io"}},
        {"tags": {"before": [7], "after": []}},
    ]


def test_raw_saves_are_recorded_when_the_setting_says_so(events: Events, fixture: str) -> None:
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "RECORD_RAW_SAVES": True}):
        call_command("loaddata", fixture, verbosity=0)
    [created] = events("contact.created")
    assert created["subject"]["id"] == "70"
    assert created["snapshot"]["name"] == "Jo"
    assert events("contact.updated")[0]["changes"] == {"tags": {"before": [], "after": [7]}}


def test_a_raw_save_and_update_of_an_instance_record_nothing(events: Events) -> None:
    article = Article(title="Imported", created_at=timezone.now(), updated_at=timezone.now())
    Article.save_base(article, raw=True)
    article.title = "Imported again"
    article.save_base(raw=True)
    assert events() == []
    article.title = "Edited"  # a normal save afterwards compares with the raw one
    article.save()
    assert events("article.updated")[0]["changes"]["title"] == {
        "before": "Imported again",
        "after": "Edited",
    }
