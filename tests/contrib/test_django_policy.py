"""Which fields are recorded and how masked ones show: ``register(include=...)``, mask
functions (``mask_with``, ``MASK_WITH``, ``keep_last``) and the default masking by whole
words of a field name — after django-auditlog's SimpleIncludeModel, CustomMaskModel and
mask scenarios."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings

from activitylog.capture.changes import MASK
from activitylog.contrib.django import keep_last, register
from activitylog.errors import ConfigurationError
from contrib.project.shop.models import Appliance, Card, Contact, Note, Ticket

Events = Callable[..., list[dict[str, Any]]]
pytestmark = pytest.mark.usefixtures("acme")


# -- include -------------------------------------------------------------------------------
def test_include_records_only_the_fields_named(events: Events) -> None:
    ticket = Ticket.objects.create(subject="Printer", body="It jams", status="open")
    [created] = events("ticket.created")
    assert created["snapshot"] == {"subject": "Printer", "status": "open"}
    ticket.body = "It jams on A3"
    ticket.save()
    assert events("ticket.updated") == []  # a change of a field not included records nothing
    ticket.subject, ticket.body = "Printer jams", "It jams on A4"
    ticket.save()
    [updated] = events("ticket.updated")
    assert updated["changes"] == {"subject": {"before": "Printer", "after": "Printer jams"}}


def test_update_fields_naming_only_fields_not_included_records_nothing(events: Events) -> None:
    ticket = Ticket.objects.create(subject="Printer", body="It jams")
    ticket.body = "It jams again"
    ticket.save(update_fields=["body"])
    assert events("ticket.updated") == []
    ticket.subject, ticket.body = "Printer!", "Still"
    ticket.save(update_fields=["body", "subject"])
    assert events("ticket.updated")[0]["changes"] == {
        "subject": {"before": "Printer", "after": "Printer!"}
    }


def test_many_to_many_fields_not_included_record_nothing(events: Events) -> None:
    ticket = Ticket.objects.create(subject="Printer")
    ticket.watchers.add(User.objects.create(username="ben"))
    assert events("ticket.updated") == []


def test_bulk_updates_of_fields_not_included_record_nothing(events: Events) -> None:
    Ticket.objects.create(subject="Printer")
    Ticket.objects.update(body="bulk")
    assert events("ticket.bulk_updated") == []
    Ticket.objects.update(status="closed", body="bulk again")
    assert events("ticket.bulk_updated")[0]["details"]["values"] == {"status": "closed"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"include": ["txt"]}, "include names unknown field"),
        ({"include": "text"}, "include must be a list"),
        ({"mask_with": 5}, "mask_with must be a function"),
        ({"mask_with": "no.such.module.mask"}, "mask_with"),
    ],
)
def test_register_checks_include_and_mask_with(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        register(Note, **options)


# -- mask functions ------------------------------------------------------------------------
def test_a_mask_function_shows_part_of_a_masked_value(events: Events) -> None:
    card = Card.objects.create(holder="Ava", number="4242424242424242")
    assert events("card.created")[0]["snapshot"]["number"] == "****4242"
    card.number = "5555555555554444"
    card.save()
    assert events("card.updated")[0]["changes"] == {
        "number": {"before": "****4242", "after": "****4444"}
    }
    assert "42424242" not in str(events())


def test_keep_last_gives_nothing_away_from_short_values(events: Events) -> None:
    Card.objects.create(holder="Ava", number="123")
    assert events("card.created")[0]["snapshot"]["number"] == "****"
    assert keep_last(2)("abcdef") == "****ef"
    with pytest.raises(ValueError, match="count"):
        keep_last(0)


def test_the_mask_with_setting_applies_to_models_without_their_own(events: Events) -> None:
    with override_settings(
        ACTIVITYLOG={**settings.ACTIVITYLOG, "MASK_WITH": "contrib.project.shop.masks.initial"}
    ):
        Contact.objects.create(name="Jo", ssn="123-45", api_token="tok-9")
        Card.objects.create(holder="Ava", number="4242424242424242")
    [contact] = events("contact.created")
    assert contact["snapshot"]["ssn"] == "1…"
    assert contact["snapshot"]["api_token"] == "t…"
    assert events("card.created")[0]["snapshot"]["number"] == "****4242"  # its own wins


def test_a_failing_mask_function_masks_the_whole_value(
    events: Events, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        override_settings(
            ACTIVITYLOG={**settings.ACTIVITYLOG, "MASK_WITH": "contrib.project.shop.masks.broken"}
        ),
        caplog.at_level(logging.ERROR, logger="activitylog.contrib.django"),
    ):
        Contact.objects.create(name="Jo", ssn="123-45")
    assert events("contact.created")[0]["snapshot"]["ssn"] == MASK
    assert "mask function failed for ssn" in caplog.text


# -- default masking -----------------------------------------------------------------------
def test_default_masking_goes_by_whole_words_of_the_field_name(events: Events) -> None:
    oven = Appliance.objects.create(name="Oven", footprint="60", hotplate="4", otp_code="918273")
    assert events("appliance.created")[0]["snapshot"] == {
        "id": oven.pk,
        "name": "Oven",
        "footprint": "60",
        "hotplate": "4",
        "otp_code": MASK,
    }
