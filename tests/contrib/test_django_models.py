"""Registered models: created / updated / deleted with exact values, masking, the loaded
values that updates compare against, many-to-many, proxies, workspaces, registration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from activitylog.capture.changes import MASK
from activitylog.contrib.django import register, registered, unregister
from activitylog.errors import ConfigurationError
from contrib.project.shop.models import (
    Article,
    Contact,
    Invoice,
    Label,
    Note,
    Page,
    Post,
    Tag,
    VipContact,
)

Events = Callable[..., list[dict[str, Any]]]
pytestmark = pytest.mark.usefixtures("acme")


def test_create_records_a_snapshot_masked_and_without_excluded_fields(events: Events) -> None:
    owner = User.objects.create(username="ben")
    contact = Contact.objects.create(
        name="Jo Park", email="jo@x.io", ssn="123-45", api_token="tok", owner=owner
    )
    [event] = events("contact.created")
    assert event["subject"] == {
        "type": "contact",
        "id": str(contact.pk),
        "name": "Jo Park",
        "url": f"/contacts/{contact.pk}",
    }
    assert event["workspace"] == "acme"
    assert event["snapshot"] == {
        "id": contact.pk,
        "name": "Jo Park",
        "email": "jo@x.io",
        "ssn": MASK,
        "api_token": MASK,
        "balance": "0",  # a decimal, as every decimal is shown
        "data": {},
        "owner": owner.pk,
    }
    assert event["actor"]["type"] == "system"
    assert event["category"] == "contacts"


def test_update_records_only_the_changed_fields(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", email="jo@x.io")
    loaded = Contact.objects.get(pk=contact.pk)
    loaded.email = "jo@new.io"
    loaded.save()
    [event] = events("contact.updated")
    assert event["changes"] == {"email": {"before": "jo@x.io", "after": "jo@new.io"}}
    assert event["subject"]["name"] == "Jo"
    loaded.name = "Joe"  # the next save compares with what the last one stored
    loaded.save()
    assert events("contact.updated")[-1]["changes"] == {"name": {"before": "Jo", "after": "Joe"}}


def test_a_save_that_changes_nothing_records_nothing(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", balance=Decimal("1.50"))
    contact.save()
    again = Contact.objects.get(pk=contact.pk)
    again.balance = "1.50"  # the same value, as text: Django stores it as 1.50
    again.updated_at = None  # excluded: never recorded
    again.save()
    assert events("contact.updated") == []


def test_masked_fields_show_that_they_changed_not_the_values(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", ssn="111")
    contact.ssn = "ssn-222"  # (no bare digits: they turn up in times and hashes)
    contact.api_token = "new-token"
    contact.save()
    [event] = events("contact.updated")
    assert event["changes"] == {
        "ssn": {"before": MASK, "after": MASK},
        "api_token": {"before": MASK, "after": MASK},
    }
    assert "ssn-222" not in str(event)
    assert "new-token" not in str(event)


def test_in_place_changes_of_json_values_are_seen(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", data={"plan": "free"})
    contact.data["plan"] = "pro"
    contact.save()
    [event] = events("contact.updated")
    assert event["changes"] == {"data": {"before": {"plan": "free"}, "after": {"plan": "pro"}}}


def test_update_fields_limits_what_is_compared(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", email="a@x.io")
    contact.name = "Joe"
    contact.email = "b@x.io"
    contact.save(update_fields=["name"])
    assert events("contact.updated")[-1]["changes"] == {"name": {"before": "Jo", "after": "Joe"}}
    contact.save()  # the email change was not saved yet: it is now
    assert events("contact.updated")[-1]["changes"] == {
        "email": {"before": "a@x.io", "after": "b@x.io"}
    }


def test_updates_make_no_query_to_find_old_values() -> None:
    contact = Contact.objects.create(name="Jo")
    loaded = Contact.objects.get(pk=contact.pk)
    loaded.name = "Joe"
    with CaptureQueriesContext(connection) as queries:
        loaded.save()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]


def test_a_deferred_field_assigned_unloaded_is_read_once_before_the_save(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", email="a@x.io")
    partial = Contact.objects.only("name").get(pk=contact.pk)
    partial.email = "b@x.io"
    with CaptureQueriesContext(connection) as queries:
        partial.save()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "UPDATE"]
    assert events("contact.updated")[-1]["changes"] == {
        "email": {"before": "a@x.io", "after": "b@x.io"}
    }


def test_a_deferred_field_loaded_later_counts_as_loaded(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", email="a@x.io")
    partial = Contact.objects.only("name").get(pk=contact.pk)
    assert partial.email == "a@x.io"  # loads it (refresh_from_db)
    partial.email = "b@x.io"
    partial.save()
    assert events("contact.updated")[-1]["changes"] == {
        "email": {"before": "a@x.io", "after": "b@x.io"}
    }


def test_refresh_from_db_renews_the_loaded_values(events: Events) -> None:
    contact = Contact.objects.create(name="Jo")
    Contact.objects.filter(pk=contact.pk).update(name="Jay")  # behind the instance's back
    contact.refresh_from_db()
    contact.name = "June"
    contact.save()
    assert events("contact.updated")[-1]["changes"] == {"name": {"before": "Jay", "after": "June"}}


def test_a_new_instance_with_the_primary_key_of_a_row_updates_it(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", email="a@x.io")
    Contact(pk=contact.pk, name="Jo", email="b@x.io").save()
    [event] = events("contact.updated")
    assert event["changes"] == {"email": {"before": "a@x.io", "after": "b@x.io"}}


def test_delete_records_the_loaded_values(events: Events) -> None:
    contact = Contact.objects.create(name="Jo", email="a@x.io")
    pk = contact.pk
    contact.email = "unsaved@x.io"
    contact.delete()
    [event] = events("contact.deleted")
    assert event["subject"]["id"] == str(pk)
    assert event["snapshot"]["email"] == "a@x.io"
    assert event["snapshot"]["name"] == "Jo"


def test_queryset_delete_and_cascades_record_every_row(events: Events) -> None:
    first, second = Contact.objects.create(name="A"), Contact.objects.create(name="B")
    Invoice.objects.create(account="acme", number="INV-1", contact=first)
    Contact.objects.filter(pk__in=[first.pk, second.pk]).delete()
    assert sorted(e["subject"]["name"] for e in events("contact.deleted")) == ["A", "B"]
    [invoice] = events("invoice.deleted")
    assert invoice["snapshot"]["number"] == "INV-1"
    assert invoice["snapshot"]["contact"] == first.pk


def test_proxy_models_are_recorded_as_their_concrete_model(events: Events) -> None:
    vip = VipContact.objects.create(name="Vee")
    vip.name = "Vera"
    vip.save()
    assert [e["action"] for e in events(prefix="contact.")] == [
        "contact.created",
        "contact.updated",
    ]


def test_the_workspace_can_come_from_the_instance(events: Events) -> None:
    Invoice.objects.create(account="globex", number="INV-9")
    [event] = events("invoice.created")
    assert event["workspace"] == "globex"


def test_models_that_are_not_registered_record_nothing(events: Events) -> None:
    Note.objects.create(text="hi")
    Tag.objects.create(name="vip")
    assert events() == []


def test_a_change_without_a_workspace_fails_instead_of_going_unrecorded(events: Events) -> None:
    from activitylog.contrib.django import get_log

    with (
        get_log().context(workspace=None),
        pytest.raises(ConfigurationError, match=r"contact\.created of contact .* no workspace"),
        transaction.atomic(),
    ):
        Contact.objects.create(name="Nowhere")
    assert not Contact.objects.filter(name="Nowhere").exists()
    assert events() == []


def test_values_too_large_for_an_event_are_shortened(events: Events) -> None:
    contact = Contact.objects.create(name="Jo\x00", data={"blob": "y" * 70_000})
    [event] = events("contact.created")
    assert event["snapshot"]["data"] == {"blob": "y" * 1000 + "… (70,000 characters)"}
    assert event["snapshot"]["name"] == "Jo\ufffd"
    assert event["subject"]["name"] == "Jo\ufffd"
    contact.notes = None
    contact.data = {"blob": "z" * 70_000}
    contact.save()
    [update] = events("contact.updated")
    assert update["changes"]["data"]["after"] == {"blob": "z" * 1000 + "… (70,000 characters)"}


def test_passwords_of_users_are_masked(events: Events) -> None:
    user = User.objects.create_user("cy", password="first-pass")
    user.set_password("second-pass")
    user.save()
    [created] = events("user.created")
    assert created["snapshot"]["password"] == MASK
    [updated] = events("user.updated")
    assert updated["changes"] == {"password": {"before": MASK, "after": MASK}}


# -- values Django stamps, values assigned as text (django-auditlog's SimpleModel and
# DateTimeFieldModel scenarios) ------------------------------------------------------------
def test_a_save_that_changes_nothing_but_auto_now_records_nothing(events: Events) -> None:
    article = Article.objects.create(title="Hello")
    stamped = article.updated_at
    article.save()
    Article.objects.get(pk=article.pk).save()
    assert article.updated_at > stamped  # Django did stamp it
    assert events("article.updated") == []


def test_stamped_values_show_as_changed_along_with_another_change(events: Events) -> None:
    article = Article.objects.create(title="Hello")
    before = article.updated_at
    article.title = "Hello, world"
    article.save()
    [event] = events("article.updated")
    assert event["changes"] == {
        "title": {"before": "Hello", "after": "Hello, world"},
        "updated_at": {"before": before.isoformat(), "after": article.updated_at.isoformat()},
    }


def test_auto_now_add_is_stamped_on_insert_only_so_assigning_it_is_a_change(
    events: Events,
) -> None:
    article = Article.objects.create(title="Hello")
    created = article.created_at
    article.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    article.save()
    [event] = events("article.updated")
    assert event["changes"]["created_at"] == {
        "before": created.isoformat(),
        "after": "2020-01-01T00:00:00+00:00",
    }


def test_values_assigned_as_text_are_stored_and_compared_as_the_field_holds_them(
    events: Events,
) -> None:
    article = Article.objects.create(title="Hello", views="7")
    assert events("article.created")[0]["snapshot"]["views"] == 7
    article.views = "8"
    article.published_at = "2024-05-01T09:30:00+00:00"
    article.save()
    [first] = events("article.updated")
    assert first["changes"]["views"] == {"before": 7, "after": 8}
    assert first["changes"]["published_at"] == {
        "before": None,
        "after": "2024-05-01T09:30:00+00:00",
    }
    article.views = 8  # the same values in their real types: no change
    article.published_at = datetime(2024, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    article.save()
    assert len(events("article.updated")) == 1
    article.published_at = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)  # another instant
    article.save()
    assert events("article.updated")[-1]["changes"]["published_at"] == {
        "before": "2024-05-01T11:30:00+02:00",
        "after": "2024-05-01T10:30:00+00:00",
    }


def test_a_foreign_key_assigned_its_id_as_text_is_no_change(events: Events) -> None:
    owner = User.objects.create(username="ben")
    contact = Contact.objects.create(name="Jo", owner=owner)
    contact.owner_id = str(owner.pk)
    contact.save()
    assert events("contact.updated") == []


# -- many-to-many ---------------------------------------------------------------------------
def test_many_to_many_changes_record_ids_before_and_after(events: Events) -> None:
    contact = Contact.objects.create(name="Jo")
    vip, lead, cold = (Tag.objects.create(name=n) for n in ("vip", "lead", "cold"))
    contact.tags.add(vip, lead)
    contact.tags.remove(vip)
    contact.tags.add(lead)  # already there: no change, no event
    contact.tags.clear()
    changes = [e["changes"] for e in events("contact.updated")]
    assert changes == [
        {"tags": {"before": [], "after": sorted([vip.pk, lead.pk])}},
        {"tags": {"before": sorted([vip.pk, lead.pk]), "after": [lead.pk]}},
        {"tags": {"before": [lead.pk], "after": []}},
    ]
    assert events("contact.updated")[0]["subject"]["name"] == "Jo"
    assert all(cold.pk not in change["tags"]["after"] for change in changes)


def test_set_is_one_event(events: Events) -> None:
    contact = Contact.objects.create(name="Jo")
    a, b, c = (Tag.objects.create(name=n) for n in "abc")
    contact.tags.set([a, b])
    contact.tags.set([b, c])
    changes = [e["changes"] for e in events("contact.updated")]
    assert changes == [
        {"tags": {"before": [], "after": [a.pk, b.pk]}},
        {"tags": {"before": [a.pk, b.pk], "after": [b.pk, c.pk]}},
    ]


def test_changes_from_the_other_side_update_each_registered_object(events: Events) -> None:
    jo, al = Contact.objects.create(name="Jo"), Contact.objects.create(name="Al")
    vip = Tag.objects.create(name="vip")
    vip.contacts.add(jo, al)
    vip.contacts.clear()
    updates = [(e["subject"]["name"], e["changes"]) for e in events("contact.updated")]
    assert sorted(updates[:2]) == [
        ("Al", {"tags": {"before": [], "after": [vip.pk]}}),
        ("Jo", {"tags": {"before": [], "after": [vip.pk]}}),
    ]
    assert sorted(updates[2:]) == [
        ("Al", {"tags": {"before": [vip.pk], "after": []}}),
        ("Jo", {"tags": {"before": [vip.pk], "after": []}}),
    ]


def test_models_sharing_a_through_model_each_record_their_own_changes(events: Events) -> None:
    post, page = Post.objects.create(title="P"), Page.objects.create(title="Q")
    news, tips = Label.objects.create(name="news"), Label.objects.create(name="tips")
    post.labels.add(news)
    page.labels.add(news, tips)
    tips.posts.add(post)  # from the other side
    updates = [(e["action"], e["subject"]["id"], e["changes"]) for e in events(prefix="p")]
    assert updates == [
        ("post.created", str(post.pk), None),
        ("page.created", str(page.pk), None),
        ("post.updated", str(post.pk), {"labels": {"before": [], "after": [news.pk]}}),
        ("page.updated", str(page.pk), {"labels": {"before": [], "after": [news.pk, tips.pk]}}),
        (
            "post.updated",
            str(post.pk),
            {"labels": {"before": [news.pk], "after": [news.pk, tips.pk]}},
        ),
    ]


def test_unregistering_one_model_of_a_shared_through_model_keeps_the_other(
    events: Events,
) -> None:
    post, page = Post.objects.create(title="P"), Page.objects.create(title="Q")
    news = Label.objects.create(name="news")
    unregister(Page)
    try:
        page.labels.add(news)
        post.labels.add(news)
    finally:
        register(Page)
    assert [(e["action"], e["changes"]) for e in events(prefix="p")[2:]] == [
        ("post.updated", {"labels": {"before": [], "after": [news.pk]}})
    ]


# -- registration ----------------------------------------------------------------------------
def test_register_refuses_what_it_cannot_record() -> None:
    with pytest.raises(ConfigurationError, match="already registered"):
        register(Contact)
    with pytest.raises(ConfigurationError, match="proxy"):
        register(VipContact)
    with pytest.raises(ConfigurationError, match="unknown field"):
        register(Note, exclude=["txt"])
    with pytest.raises(ConfigurationError, match="lowercase"):
        register(Note, name="Note")
    with pytest.raises(ConfigurationError, match="Django model class"):
        register(object)
    assert Note not in registered()


def test_unregister_stops_recording(events: Events) -> None:
    register(Note, name="memo", exclude=["text"])
    try:
        assert Note in registered()
        Note.objects.create(text="hi")
        assert events("memo.created")[0]["snapshot"] == {"id": events()[0]["snapshot"]["id"]}
    finally:
        unregister(Note)
    Note.objects.create(text="again")
    assert len(events()) == 1
    assert "refresh_from_db" not in Note.__dict__


def test_managers_still_deconstruct_as_the_original_for_migrations() -> None:
    manager = User.objects
    assert type(manager).__name__ == "UserManager"
    assert manager.deconstruct()[1] == "django.contrib.auth.models.UserManager"
