"""SQLAlchemy capture of bulk statements: insert, update and delete through
``Session.execute`` and the session's legacy bulk methods become one event per workspace,
naming the count and the keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from activitylog import ActivityLog, ConfigurationError
from activitylog.capture.changes import MASK
from activitylog.capture.sqlalchemy import track

from .test_sqlalchemy import App, Contact, Note, Tag, make_app


@pytest.fixture
def app(log: ActivityLog) -> Iterator[App]:
    for app in make_app(log):
        with app.Session.begin() as session:
            session.add_all(
                [Contact(workspace_id="acme", name=f"C{i}", score=i) for i in range(1, 6)]
                + [Contact(workspace_id="globex", name="G1")]
            )
        with app.track():
            yield app


def last(app: App, workspace: str = "acme") -> dict[str, Any]:
    return app.events(workspace)[-1]


def test_an_update_with_criteria_names_count_keys_and_values(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(
            update(Contact)
            .where(Contact.workspace_id == "acme", Contact.score >= 3)
            .values(email="bulk@acme.test", password_hash="x")
        )

    event = last(app)
    assert (event["action"], event["label"], event["subject"]) == (
        "contact.bulk_updated",
        "Bulk updated contact",
        {"type": "contact"},
    )
    assert event["changes"] == {
        "email": {"after": "bulk@acme.test"},
        "password_hash": {"after": MASK},
    }
    assert event["details"] == {"count": 3, "ids": [3, 4, 5], "ids_truncated": False}
    assert [c.email for c in app.rows(Contact)][2:5] == ["bulk@acme.test"] * 3


def test_sql_expressions_are_named_in_the_details(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(
            update(Contact).where(Contact.id == 1).values(score=Contact.score + 10, name="One")
        )

    event = last(app)
    assert event["changes"] == {"name": {"after": "One"}}
    assert event["details"] == {
        "count": 1,
        "ids": [1],
        "ids_truncated": False,
        "fields": ["name", "score"],
        "sql": {"score": "app_contacts.score + 10"},
    }


def test_an_update_by_primary_key(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(
            update(Contact),
            [{"id": 1, "score": 0, "name": "A"}, {"id": 2, "score": 0, "name": "B"}],
        )

    event = last(app)
    assert event["changes"] == {"score": {"after": 0}}  # the same on every row
    assert event["details"] == {
        "count": 2,
        "ids": [1, 2],
        "ids_truncated": False,
        "fields": ["name", "score"],  # name differs per row
    }


def test_a_delete_names_the_keys_it_removed(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(delete(Contact).where(Contact.name.in_(["C1", "C2"])))

    event = last(app)
    assert (event["action"], event["changes"]) == ("contact.bulk_deleted", None)
    assert event["details"] == {"count": 2, "ids": [1, 2], "ids_truncated": False}


def test_one_event_per_workspace_read_from_the_rows(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(update(Contact).values(score=0))

    assert last(app)["details"] == {"count": 5, "ids": [1, 2, 3, 4, 5], "ids_truncated": False}
    assert last(app, "globex")["details"] == {"count": 1, "ids": [6], "ids_truncated": False}


def test_at_most_1000_keys_are_listed(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(
            insert(Tag), [{"id": i, "workspace_id": "acme", "name": "t"} for i in range(1, 1006)]
        )
        session.execute(update(Tag).values(name="u"))

    created, updated = app.events()[-2:]
    assert created["details"]["count"] == updated["details"]["count"] == 1005
    assert updated["details"]["ids"] == list(range(1, 1001))
    assert updated["details"]["ids_truncated"] is True


def test_an_insert_names_its_keys_when_the_rows_give_them(app: App) -> None:
    with app.Session.begin() as session:
        session.execute(insert(Tag), [{"id": 7, "workspace_id": "acme", "name": "vip"}])
        session.execute(insert(Tag), [{"workspace_id": "acme", "name": n} for n in "ab"])

    given, generated = app.events()[-2:]
    assert given["action"] == "tag.bulk_created"
    assert given["details"] == {"count": 1, "ids": [7], "ids_truncated": False}
    assert generated["details"] == {"count": 2}


def test_nothing_is_recorded_for_no_rows_excluded_fields_or_a_rollback(
    log: ActivityLog,
) -> None:
    for app in make_app(log):
        with track(log, Contact, session=app.Session, exclude=["score"], workspace="acme"):
            with app.Session.begin() as session:
                session.execute(update(Contact).where(Contact.id == 99).values(name="Nobody"))
                session.execute(update(Contact).values(score=1))
            with app.Session() as session:
                session.execute(delete(Contact))
                session.rollback()
        assert app.events() == []


def test_a_bulk_change_without_a_workspace_fails_before_it_runs(log: ActivityLog) -> None:
    for app in make_app(log):
        with app.Session.begin() as session:
            contact = Contact(workspace_id="acme", name="Jo")
            contact.notes.append(Note(workspace_id="acme", body="Called"))
            session.add(contact)
        with track(log, Note, session=app.Session), app.Session() as session:
            with pytest.raises(
                ConfigurationError, match=r"note\.bulk_deleted for note: no workspace"
            ):
                session.execute(delete(Note))
            with pytest.raises(ConfigurationError, match=r"note\.bulk_created"):
                session.execute(insert(Note), [{"workspace_id": "a", "contact_id": 1, "body": ""}])
            session.commit()
        assert [n.body for n in app.rows(Note)] == ["Called"]
        assert app.events() == []


def test_core_statements_through_the_session_are_recorded_like_orm_ones(app: App) -> None:
    table = Contact.__table__
    with app.Session.begin() as session:
        session.execute(table.update().where(table.c.id <= 2).values(score=1))
        session.execute(table.delete().where(table.c.id == 3))
        session.execute(table.insert(), [{"id": 9, "workspace_id": "acme", "name": "N"}])

    updated, deleted, created = app.events()
    assert (updated["action"], updated["changes"]) == (
        "contact.bulk_updated",
        {"score": {"after": 1}},
    )
    assert updated["details"] == {"count": 2, "ids": [1, 2], "ids_truncated": False}
    assert (deleted["action"], deleted["details"]["ids"]) == ("contact.bulk_deleted", [3])
    assert (created["action"], created["details"]["ids"]) == ("contact.bulk_created", [9])


def test_statements_on_a_bare_connection_and_touching_no_rows_are_not_recorded(
    app: App,
) -> None:
    with app.engine.begin() as conn:
        conn.execute(Contact.__table__.update().values(score=1))  # not through a session
    with app.Session.begin() as session:
        session.execute(update(Note).values(body="x"))  # ORM, but no rows

    assert app.events() == []


def test_legacy_bulk_inserts_are_recorded_per_workspace(app: App) -> None:
    with app.Session.begin() as session:
        session.bulk_insert_mappings(
            Tag,  # type: ignore[arg-type]
            [
                {"id": 20, "workspace_id": "acme", "name": "a"},
                {"id": 21, "workspace_id": "globex", "name": "b"},
                {"id": 22, "workspace_id": "acme", "name": "c"},
            ],
        )
        session.bulk_save_objects([Tag(id=23, workspace_id="acme", name="d")])

    mappings, objects = app.events()
    assert mappings["action"] == "tag.bulk_created"
    assert mappings["details"] == {"count": 2, "ids": [20, 22], "ids_truncated": False}
    assert objects["details"] == {"count": 1, "ids": [23], "ids_truncated": False}
    assert last(app, "globex")["details"] == {"count": 1, "ids": [21], "ids_truncated": False}


def test_legacy_bulk_updates_name_keys_and_values_with_masking(app: App) -> None:
    with app.Session.begin() as session:
        session.bulk_update_mappings(
            Contact,  # type: ignore[arg-type]
            [
                {"id": 1, "score": 0, "name": "A", "password_hash": "s1"},
                {"id": 2, "score": 0, "name": "B", "password_hash": "s1"},
                {"id": 6, "score": 0, "name": "G", "password_hash": "s1"},
            ],
        )
    contact = app.rows(Contact)[2]  # loaded, then detached
    contact.name = "Three"
    with app.Session.begin() as session:
        session.bulk_save_objects([contact])  # an update, as the object has a key

    by_mappings, by_object = app.events()
    assert by_mappings["action"] == "contact.bulk_updated"
    assert by_mappings["changes"] == {"score": {"after": 0}, "password_hash": {"after": MASK}}
    assert by_mappings["details"] == {
        "count": 2,
        "ids": [1, 2],
        "ids_truncated": False,
        "fields": ["name", "password_hash", "score"],
    }
    assert last(app, "globex")["details"]["ids"] == [6]
    assert by_object["changes"] == {"name": {"after": "Three"}}
    assert by_object["details"] == {"count": 1, "ids": [3], "ids_truncated": False}
    assert [c.name for c in app.rows(Contact)][:3] == ["A", "B", "Three"]


def test_legacy_bulk_beside_a_flush_is_recorded_once_and_not_after_a_rollback(
    app: App,
) -> None:
    with app.Session.begin() as session:
        session.add(Tag(id=30, workspace_id="acme", name="flushed"))
        session.flush()
        session.flush()  # nothing to flush: the next statements are no flush's
        session.bulk_insert_mappings(Tag, [{"id": 31, "workspace_id": "acme", "name": "b"}])  # type: ignore[arg-type]
    with app.Session() as session:
        session.bulk_insert_mappings(Tag, [{"id": 32, "workspace_id": "acme", "name": "x"}])  # type: ignore[arg-type]
        session.rollback()

    assert [(e["action"], e["details"] and e["details"].get("ids")) for e in app.events()] == [
        ("tag.created", None),
        ("tag.bulk_created", [31]),
    ]


def test_add_all_is_captured_row_by_row(app: App) -> None:
    with app.Session.begin() as session:
        session.add_all([Tag(workspace_id="acme", name=n) for n in ("a", "b")])

    assert [(e["action"], e["subject"]["name"]) for e in app.events()] == [
        ("tag.created", "a"),
        ("tag.created", "b"),
    ]


def test_sessions_are_not_kept_alive_by_the_tracker(app: App) -> None:
    import gc
    import weakref

    session = app.Session()
    session.add(Tag(workspace_id="acme", name="a"))
    session.bulk_insert_mappings(Tag, [{"workspace_id": "acme", "name": "b"}])  # type: ignore[arg-type]
    session.commit()
    session.close()
    gone = weakref.ref(session)
    del session
    gc.collect()
    assert gone() is None
    # The bulk insert ran at once; the added row at the commit's flush.
    assert [e["action"] for e in app.events()] == ["tag.bulk_created", "tag.created"]
