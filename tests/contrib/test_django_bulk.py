"""Bulk operations: update(), bulk_create() and bulk_update() record what they did."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from activitylog.capture.changes import MASK
from activitylog.contrib.django import IDS_CAP, AuditedQuerySetMixin
from contrib.project.shop.models import Contact, Invoice, Note

Events = Callable[..., list[dict[str, Any]]]
pytestmark = pytest.mark.usefixtures("acme")


def test_update_records_one_event_with_count_ids_and_values(events: Events) -> None:
    a, b, _ = (Contact.objects.create(name=n, email="old@x.io") for n in ("a", "b", "c"))
    count = Contact.objects.filter(pk__in=[a.pk, b.pk]).update(
        email="new@x.io", ssn="999", balance=F("balance") + 1
    )
    assert count == 2
    [event] = events("contact.bulk_updated")
    assert event["subject"] == {"type": "contact"}
    assert event["details"] == {
        "count": 2,
        "ids": [str(a.pk), str(b.pk)],
        "ids_complete": True,
        "values": {"email": "new@x.io", "ssn": MASK, "balance": str(F("balance") + 1)},
    }
    assert event["label"] == "Bulk updated contact"


def test_update_of_no_row_or_of_excluded_fields_only_records_nothing(events: Events) -> None:
    Contact.objects.create(name="a")
    assert Contact.objects.filter(name="nobody").update(email="x@x.io") == 0
    Contact.objects.update(updated_at=timezone.now())
    assert events("contact.bulk_updated") == []


def test_update_names_at_most_a_thousand_ids(events: Events) -> None:
    Contact.objects.bulk_create(Contact(name=f"c{i}") for i in range(IDS_CAP + 5))
    assert Contact.objects.update(email="all@x.io") == IDS_CAP + 5
    [event] = events("contact.bulk_updated")
    assert event["details"]["count"] == IDS_CAP + 5
    assert len(event["details"]["ids"]) == IDS_CAP
    assert event["details"]["ids_complete"] is False


def test_update_through_a_related_manager_is_recorded(events: Events) -> None:
    contact = Contact.objects.create(name="Jo")
    Invoice.objects.create(account="globex", number="1", contact=contact)
    contact.invoices.update(total=5)
    [event] = events("invoice.bulk_updated")
    assert event["details"]["values"] == {"total": "5"}
    assert event["workspace"] == "acme"  # a bulk event has no instance: the context's


def test_a_rolled_back_update_records_nothing(events: Events) -> None:
    Contact.objects.create(name="a")
    with suppress(ZeroDivisionError), transaction.atomic():
        Contact.objects.update(name="b")
        _ = 1 / 0
    assert events("contact.bulk_updated") == []


def test_bulk_create_records_one_event_with_the_ids(events: Events) -> None:
    created = Contact.objects.bulk_create([Contact(name="a"), Contact(name="b")])
    [event] = events("contact.bulk_created")
    assert event["details"] == {
        "count": 2,
        "ids": [str(c.pk) for c in created],
        "ids_complete": True,
    }
    assert events("contact.created") == []  # no per-row signal, no per-row event
    created[0].name = "a2"  # the created objects remember what was stored
    created[0].save()
    assert events("contact.updated")[0]["changes"] == {"name": {"before": "a", "after": "a2"}}


def test_bulk_update_records_each_object_that_changed(events: Events) -> None:
    a, b = Contact.objects.create(name="a"), Contact.objects.create(name="b")
    a.name, a.email = "A", "ignored@x.io"
    Contact.objects.bulk_update([a, b], ["name"])
    assert events("contact.bulk_updated") == []
    [event] = events("contact.updated")
    assert event["subject"]["id"] == str(a.pk)
    assert event["changes"] == {"name": {"before": "a", "after": "A"}}


def test_queryset_delete_sends_per_row_signals(events: Events) -> None:
    Contact.objects.bulk_create([Contact(name="a"), Contact(name="b")])
    deleted, _ = Contact.objects.all().delete()
    assert deleted == 2
    assert len(events("contact.deleted")) == 2


def test_models_that_are_not_registered_get_plain_behaviour(events: Events) -> None:
    Note.objects.bulk_create([Note(text="a")])
    Note.objects.update(text="b")
    assert events() == []
    assert not isinstance(Note.objects.all(), AuditedQuerySetMixin)
    assert isinstance(Contact.objects.all(), AuditedQuerySetMixin)


def test_update_shows_values_as_the_fields_store_them(events: Events) -> None:
    owner = User.objects.create(username="ben")
    Contact.objects.create(name="a")
    Contact.objects.update(balance="2.50", owner_id=str(owner.pk))
    [event] = events("contact.bulk_updated")
    assert event["details"]["values"] == {"balance": "2.50", "owner": owner.pk}
