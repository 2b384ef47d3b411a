"""SQLAlchemy capture, row by row: created, updated and deleted rows, relationships,
masking and options, workspace and context. (Transactions: test_sqlalchemy_transactions;
bulk statements: test_sqlalchemy_bulk. Both use the models and :func:`make_app` below.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    String,
    Table,
    create_engine,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    deferred,
    mapped_column,
    relationship,
    sessionmaker,
)

from activitylog import ActivityLog, ConfigurationError
from activitylog.capture.changes import MASK
from activitylog.capture.sqlalchemy import Tracker, track
from activitylog.store.postgres import engine_url

ACTOR = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.test", "role": "admin"}


class Base(DeclarativeBase):
    pass


contact_tags = Table(
    "app_contact_tags",
    Base.metadata,
    Column("contact_id", ForeignKey("app_contacts.id"), primary_key=True),
    Column("tag_id", ForeignKey("app_tags.id"), primary_key=True),
)


class Company(Base):
    __tablename__ = "app_companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    contacts: Mapped[list[Contact]] = relationship(back_populates="company")


class Tag(Base):
    __tablename__ = "app_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))


class Contact(Base):
    __tablename__ = "app_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(server_default="5")
    bio: Mapped[str | None] = deferred(mapped_column(String(2000)))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("app_companies.id"))
    company: Mapped[Company | None] = relationship(back_populates="contacts")
    tags: Mapped[list[Tag]] = relationship(secondary=contact_tags)
    notes: Mapped[list[Note]] = relationship(cascade="all, delete-orphan")


class Note(Base):
    __tablename__ = "app_notes"
    __activitylog__: ClassVar[dict[str, Any]] = {"exclude": ["internal"], "mask": ["body"]}
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    contact_id: Mapped[int] = mapped_column(ForeignKey("app_contacts.id"))
    body: Mapped[str] = mapped_column(String(2000))
    internal: Mapped[str | None] = mapped_column(String(100))


class APIKey(Base):
    __tablename__ = "app_api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    secret: Mapped[str] = mapped_column(String(100))


class Seat(Base):
    __tablename__ = "app_seats"
    team: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    holder: Mapped[str | None] = mapped_column(String(100))


class Invoice(Base):
    __tablename__ = "app_invoices"
    __activitylog__: ClassVar[dict[str, Any]] = {"type": "billing.invoice", "url": "/invoices/{id}"}
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))


class Ticket(Base):
    __tablename__ = "app_tickets"
    __activitylog__: ClassVar[dict[str, Any]] = {
        "actions": {"assignee": "assigned", "status": {"closed": "closed", "open": "reopened"}}
    }
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee: Mapped[str | None] = mapped_column(String(50))


class Odd(Base):
    __tablename__ = "app_odd"
    __activitylog__: ClassVar[dict[str, Any]] = {"mask_fields": ["x"]}
    id: Mapped[int] = mapped_column(primary_key=True)


MODELS = (Company, Tag, Contact, Note, APIKey, Seat)


@dataclass
class App:
    """An application database with the models above, and a log."""

    log: ActivityLog
    engine: Engine
    Session: sessionmaker[Session]

    def track(self, *models: type, **options: Any) -> Tracker:
        options.setdefault("workspace", "workspace_id")
        return track(self.log, *(models or MODELS), session=self.Session, **options)

    def events(self, workspace: str = "acme") -> list[dict[str, Any]]:
        return sorted(self.log.export(workspace=workspace, order="time"), key=lambda e: e["seq"])

    def rows(self, model: type) -> list[Any]:
        with self.Session() as session:
            order = inspect(model).primary_key
            return list(session.scalars(select(model).order_by(*order)))


def make_app(log: ActivityLog, url: str | None = None) -> Iterator[App]:
    """The application on ``url``, by default the log's own database (same transaction)."""
    url = url or log.url
    engine = create_engine(engine_url(url) if url.startswith("postgres") else url)
    Base.metadata.create_all(engine)
    try:
        yield App(log, engine, sessionmaker(engine))
    finally:
        engine.dispose()


def fields(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: event[name] for name in names}


@pytest.fixture
def app(log: ActivityLog) -> Iterator[App]:
    yield from make_app(log)


@pytest.fixture
def tracked(app: App) -> Iterator[App]:
    with app.track():
        yield app


def add_contact(app: App, **values: Any) -> int:
    with app.Session.begin() as session:
        contact = Contact(workspace_id="acme", name="Jo Park", **values)
        session.add(contact)
        session.flush()
        return contact.id


# -- created, updated, deleted -----------------------------------------------------------
def test_a_created_row_records_its_snapshot(tracked: App) -> None:
    with tracked.log.context(actor=ACTOR, ip="203.0.113.9", request_id="req_1"):
        ident = add_contact(tracked, email="jo@acme.test", password_hash="argon2$x")

    [created] = tracked.events()
    assert fields(created, "workspace", "action", "category", "verb", "label") == {
        "workspace": "acme",
        "action": "contact.created",
        "category": "contacts",
        "verb": "created",
        "label": "Created contact",
    }
    assert created["subject"] == {"type": "contact", "id": str(ident), "name": "Jo Park"}
    assert created["snapshot"] == {
        "id": ident,
        "workspace_id": "acme",
        "name": "Jo Park",
        "email": "jo@acme.test",
        "password_hash": MASK,
        "score": 5,  # a server default, as the database filled it in
        "bio": None,
        "company_id": None,
    }
    assert fields(created, "actor", "ip", "request_id", "changes") == {
        "actor": {**ACTOR, "type": "user"},
        "ip": "203.0.113.9",
        "request_id": "req_1",
        "changes": None,
    }


def test_without_an_actor_the_change_is_done_by_system(tracked: App) -> None:
    add_contact(tracked)

    assert tracked.events()[0]["actor"] == {"id": "system", "name": "System", "type": "system"}


def test_an_update_records_only_the_changed_fields(tracked: App) -> None:
    ident = add_contact(tracked, email="jo@old.test", password_hash="a")
    with tracked.Session.begin() as session:
        contact = session.get(Contact, ident)
        assert contact is not None
        contact.email = "jo@new.test"
        contact.password_hash = "b"
        contact.name = "Jo Park"  # the same value: no change

    updated = tracked.events()[-1]
    assert updated["action"] == "contact.updated"
    assert updated["subject"] == {"type": "contact", "id": str(ident), "name": "Jo Park"}
    assert updated["changes"] == {
        "email": {"before": "jo@old.test", "after": "jo@new.test"},
        "password_hash": {"before": MASK, "after": MASK},
    }
    assert updated["snapshot"] is None


def test_a_flush_changing_no_captured_field_records_nothing(app: App) -> None:
    with app.track(exclude=["score"]):
        ident = add_contact(app)
        with app.Session.begin() as session:
            contact = session.get(Contact, ident)
            assert contact is not None
            contact.name = "Jo Park"
            contact.score = 9

    assert [e["action"] for e in app.events()] == ["contact.created"]


def test_an_update_of_an_expired_instance_reads_the_old_value(tracked: App) -> None:
    ident = add_contact(tracked, email="jo@old.test", bio="Gardener")
    with tracked.Session() as session:
        contact = session.get(Contact, ident)
        assert contact is not None
        session.commit()  # expires every attribute
        contact.email = "jo@new.test"  # set without loading the old value
        contact.bio = "Painter"  # a deferred column, never loaded
        session.commit()

    assert tracked.events()[-1]["changes"] == {
        "email": {"before": "jo@old.test", "after": "jo@new.test"},
        "bio": {"before": "Gardener", "after": "Painter"},
    }
    assert tracked.events()[-1]["subject"]["name"] == "Jo Park"


def test_columns_set_to_sql_expressions_are_read_after_the_flush(tracked: App) -> None:
    ident = add_contact(tracked)  # score 5, the server default
    with tracked.Session.begin() as session:
        contact = session.get(Contact, ident)
        assert contact is not None
        contact.score = Contact.score + 10
        contact.email = func.lower("JO@ACME.TEST")
    with tracked.Session.begin() as session:
        session.add(Contact(workspace_id="acme", name=func.upper("sam")))

    updated, created = tracked.events()[-2:]
    assert updated["changes"] == {
        "score": {"before": 5, "after": 15},
        "email": {"before": None, "after": "jo@acme.test"},
    }
    assert created["snapshot"]["name"] == created["subject"]["name"] == "SAM"


def test_a_composite_primary_key(tracked: App) -> None:
    with tracked.Session.begin() as session:
        session.add(Seat(team="sales", number=2, workspace_id="acme", holder="Jo"))
    with tracked.Session.begin() as session:
        seat = session.get(Seat, ("sales", 2))
        assert seat is not None
        seat.holder = "Sam"

    created, updated = tracked.events()
    assert created["subject"] == {"type": "seat", "id": "sales,2"}
    assert created["snapshot"] == {
        "team": "sales",
        "number": 2,
        "workspace_id": "acme",
        "holder": "Jo",
    }
    assert updated["changes"] == {"holder": {"before": "Jo", "after": "Sam"}}


def test_several_flushes_of_one_transaction_make_one_update(tracked: App) -> None:
    ident = add_contact(tracked, email="a@acme.test")
    with tracked.Session.begin() as session:
        contact = session.get(Contact, ident)
        assert contact is not None
        contact.email = "b@acme.test"
        contact.name = "Jo"
        session.flush()
        contact.email = "c@acme.test"
        contact.name = "Jo Park"  # back where it started

    assert tracked.events()[-1]["changes"] == {
        "email": {"before": "a@acme.test", "after": "c@acme.test"}
    }
    assert len(tracked.events()) == 2


def test_a_deleted_row_records_its_snapshot_before_the_delete(tracked: App) -> None:
    ident = add_contact(tracked, email="jo@acme.test", bio="Gardener")
    with tracked.Session() as session:
        contact = session.get(Contact, ident)
        session.commit()  # expired: the delete must read the values first
        session.delete(contact)
        session.commit()

    deleted = tracked.events()[-1]
    assert fields(deleted, "action", "subject", "changes") == {
        "action": "contact.deleted",
        "subject": {"type": "contact", "id": str(ident), "name": "Jo Park"},
        "changes": None,
    }
    assert deleted["snapshot"] == {
        "id": ident,
        "workspace_id": "acme",
        "name": "Jo Park",
        "email": "jo@acme.test",
        "password_hash": None,
        "score": 5,
        "bio": "Gardener",
        "company_id": None,
    }


def test_rows_deleted_as_orphans_are_recorded(tracked: App) -> None:
    with tracked.Session.begin() as session:
        contact = Contact(workspace_id="acme", name="Jo")
        contact.notes.append(Note(workspace_id="acme", body="Called", internal="x"))
        session.add(contact)
    with tracked.Session.begin() as session:
        contact = session.scalars(select(Contact)).one()
        contact.notes.clear()

    actions = [e["action"] for e in tracked.events()]
    assert actions[-2:] == ["contact.updated", "note.deleted"]
    note = tracked.events()[-1]
    assert note["snapshot"] == {"id": 1, "workspace_id": "acme", "contact_id": 1, "body": MASK}


# -- relationships -----------------------------------------------------------------------
def test_a_many_to_one_change_is_a_foreign_key_change(tracked: App) -> None:
    with tracked.Session.begin() as session:
        old, new = (
            Company(workspace_id="acme", name="Old Co"),
            Company(workspace_id="acme", name="New Co"),
        )
        session.add_all([old, new, Contact(workspace_id="acme", name="Jo", company=old)])
    with tracked.Session.begin() as session:
        contact = session.scalars(select(Contact)).one()
        contact.company = session.get(Company, 2)

    updated = tracked.events()[-1]
    assert updated["action"] == "contact.updated"
    assert updated["changes"] == {"company_id": {"before": 1, "after": 2}}
    assert updated["related"] == [{"type": "company", "id": "2", "name": "New Co"}]


def test_a_one_to_many_collection_change_is_recorded_on_the_parent(tracked: App) -> None:
    with tracked.Session.begin() as session:
        company = Company(workspace_id="acme", name="Acme")
        company.contacts = [Contact(workspace_id="acme", name="Jo")]
        session.add_all([company, Contact(workspace_id="acme", name="Sam")])
    with tracked.Session.begin() as session:
        company = session.scalars(select(Company)).one()
        sam = session.scalars(select(Contact).where(Contact.name == "Sam")).one()
        company.contacts.append(sam)

    by_action = {e["action"]: e for e in tracked.events()[-2:]}
    assert by_action["company.updated"]["changes"] == {"contacts": {"before": [1], "after": [1, 2]}}
    assert by_action["company.updated"]["related"] == [
        {"type": "contact", "id": "2", "name": "Sam"}
    ]
    assert by_action["contact.updated"]["changes"] == {"company_id": {"before": None, "after": 1}}


def test_a_many_to_many_change_through_a_secondary_table(tracked: App) -> None:
    with tracked.Session.begin() as session:
        vip, lead = Tag(workspace_id="acme", name="vip"), Tag(workspace_id="acme", name="lead")
        session.add_all([Contact(workspace_id="acme", name="Jo", tags=[vip]), lead])
    with tracked.Session.begin() as session:
        contact = session.scalars(select(Contact)).one()
        contact.tags.remove(session.get(Tag, 1))
        contact.tags.append(session.get(Tag, 2))

    updated = tracked.events()[-1]
    assert updated["action"] == "contact.updated"
    assert updated["changes"] == {"tags": {"before": [1], "after": [2]}}
    assert sorted(updated["related"], key=lambda r: r["id"]) == [
        {"type": "tag", "id": "1", "name": "vip"},
        {"type": "tag", "id": "2", "name": "lead"},
    ]


# -- options -----------------------------------------------------------------------------
def test_exclude_and_mask_per_model_and_in_the_class(app: App) -> None:
    with (
        app.track(exclude={Contact: ["bio"]}, mask={Contact: ["email"]}),
        app.Session.begin() as session,
    ):
        contact = Contact(workspace_id="acme", name="Jo", email="jo@acme.test", bio="x")
        contact.notes.append(Note(workspace_id="acme", body="Secret", internal="y"))
        session.add(contact)

    contact_event, note_event = app.events()
    assert "bio" not in contact_event["snapshot"]
    assert contact_event["snapshot"]["email"] == MASK
    assert note_event["snapshot"] == {
        "id": 1,
        "workspace_id": "acme",
        "contact_id": 1,
        "body": MASK,
    }


def test_masking_defaults_can_be_turned_off(app: App) -> None:
    with app.track(APIKey, mask_defaults=False), app.Session.begin() as session:
        session.add(APIKey(id="key_1", workspace_id="acme", label="CI", secret="s3cr3t"))

    assert app.events()[0]["snapshot"]["secret"] == "s3cr3t"


def test_type_names(app: App) -> None:
    with app.track(APIKey, Invoice), app.Session.begin() as session:
        key = APIKey(id="key_1", workspace_id="acme", label="CI", secret="s")
        session.add_all([key, Invoice(workspace_id="acme")])

    assert [(e["action"], e["subject"]) for e in app.events()] == [
        ("api_key.created", {"type": "api_key", "id": "key_1", "name": "CI"}),
        ("billing.invoice.created", {"type": "billing.invoice", "id": "1", "url": "/invoices/1"}),
    ]


def test_subject_name_url_and_type_functions(app: App) -> None:
    with (
        app.track(
            Contact,
            subject_name=lambda c: f"{c.name} <{c.email}>",
            subject_url="/contacts/{id}",
            type_name=lambda cls: "person",
        ),
        app.Session.begin() as session,
    ):
        session.add(Contact(workspace_id="acme", name="Jo", email="jo@acme.test"))

    assert app.events()[0]["subject"] == {
        "type": "person",
        "id": "1",
        "name": "Jo <jo@acme.test>",
        "url": "/contacts/1",
    }
    assert app.events()[0]["action"] == "person.created"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ({}, "ctx"),  # no option: the context's workspace
        ({"workspace": "globex"}, "globex"),  # not an attribute of the model: a constant
        ({"workspace": lambda c: f"ws_{c.name.lower()}"}, "ws_jo"),
        ({"workspace": "workspace_id"}, "acme"),  # an attribute: read from the row
    ],
)
def test_where_the_workspace_comes_from(app: App, option: dict[str, Any], expected: str) -> None:
    with (
        track(app.log, Contact, session=app.Session, **option),
        app.log.context(workspace="ctx"),
        app.Session.begin() as session,
    ):
        session.add(Contact(workspace_id="acme", name="Jo"))

    assert [e["action"] for e in app.events(expected)] == ["contact.created"]


def test_a_change_without_a_workspace_fails_its_flush(app: App) -> None:
    with track(app.log, Contact, session=app.Session), app.Session() as session:
        session.add(Contact(workspace_id="acme", name="Jo"))
        with pytest.raises(
            ConfigurationError, match=r"contact\.created for contact 1: no workspace"
        ):
            session.commit()
        session.rollback()

    assert app.rows(Contact) == []
    assert app.log.total_events() == 0


def test_bad_options_are_configuration_errors(app: App) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown option\(s\) \['mask_fields'\]"):
        app.track(Odd)
    with pytest.raises(ConfigurationError, match=r"Contact has no attribute\(s\) \['emial'\]"):
        app.track(Contact, exclude={Contact: ["emial"]})
    with pytest.raises(ConfigurationError, match="cannot start an action name"):
        app.track(Contact, type_name=lambda cls: "Contact")
    with pytest.raises(ConfigurationError, match="needs the model classes"):
        track(app.log, session=app.Session)


def test_a_base_class_tracks_its_subclasses(app: App) -> None:
    with (
        track(app.log, Base, session=app.Session, workspace="workspace_id"),
        app.Session.begin() as session,
    ):
        session.add_all(
            [Tag(workspace_id="acme", name="vip"), Company(workspace_id="acme", name="A")]
        )

    assert sorted(e["action"] for e in app.events()) == ["company.created", "tag.created"]


def test_only_the_given_models_and_sessions_are_recorded(app: App) -> None:
    other = sessionmaker(app.engine)
    with app.track(Company):
        with app.Session.begin() as session:
            session.add(Tag(workspace_id="acme", name="vip"))
        with other.begin() as session:
            session.add(Company(workspace_id="acme", name="Elsewhere"))

    assert app.events() == []


def test_stop_removes_the_listeners(app: App) -> None:
    tracker = app.track()
    add_contact(app)
    tracker.stop()
    add_contact(app)

    assert len(app.events()) == 1
    assert not event.contains(app.Session, "after_flush", tracker._after_flush)


# -- actions: domain verbs for updates ----------------------------------------------------
def change_contact(app: App, ident: int, **values: Any) -> dict[str, Any]:
    """Set ``values`` on the contact in a transaction of their own; its last event."""
    with app.Session.begin() as session:
        contact = session.get(Contact, ident)
        assert contact is not None
        for name, value in values.items():
            setattr(contact, name, value)
    return app.events()[-1]


def test_actions_name_an_update_by_the_first_field_changed(app: App) -> None:
    with app.Session.begin() as session:
        session.add(Company(workspace_id="acme", name="Acme"))
    with app.track(Contact, actions={"company_id": "moved", "email": "email_changed"}):
        ident = add_contact(app, email="jo@old.test")
        emailed = change_contact(app, ident, email="jo@new.test")
        moved = change_contact(app, ident, email="jo@acme.test", company_id=1)

    assert fields(emailed, "action", "verb", "changes") == {
        "action": "contact.email_changed",
        "verb": "email_changed",
        "changes": {"email": {"before": "jo@old.test", "after": "jo@new.test"}},
    }
    assert moved["action"] == "contact.moved"  # the rules' order, not the columns'
    assert moved["changes"] == {
        "email": {"before": "jo@new.test", "after": "jo@acme.test"},
        "company_id": {"before": None, "after": 1},
    }


def test_actions_name_an_update_by_the_new_value(app: App) -> None:
    rules = {"score": {10: "promoted", 0: "demoted"}}
    with app.track(Contact, Tag, actions={Contact: rules}):
        ident = add_contact(app)  # score 5
        actions = [change_contact(app, ident, score=score)["action"] for score in (10, 3, 0, 10)]

    assert actions == ["contact.promoted", "contact.updated", "contact.demoted", "contact.promoted"]
    assert app.events()[-1]["changes"] == {"score": {"before": 0, "after": 10}}


def test_actions_named_by_a_function_of_the_instance_and_changes(app: App) -> None:
    seen: list[tuple[Any, dict[str, Any]]] = []

    def verb(contact: Contact, changes: dict[str, Any]) -> str | None:
        seen.append((contact, changes))
        return f"scored_{contact.score}" if "score" in changes else None

    with app.track(Contact, actions=verb):
        ident = add_contact(app)
        scored = change_contact(app, ident, score=8)
        renamed = change_contact(app, ident, name="Jo P.")

    assert (scored["action"], renamed["action"]) == ("contact.scored_8", "contact.updated")
    assert seen[0][1] == {"score": {"before": 5, "after": 8}}
    assert isinstance(seen[0][0], Contact)
    assert renamed["changes"] == {"name": {"before": "Jo Park", "after": "Jo P."}}


def test_an_update_no_rule_names_stays_updated(app: App) -> None:
    # Rules for every model: a model without the field (Tag) has no rule, and no error.
    with app.track(Contact, Tag, actions={"company_id": "moved", "score": {9: "starred"}}):
        ident = add_contact(app)
        with app.Session.begin() as session:
            session.add(Tag(workspace_id="acme", name="vip"))
        emailed = change_contact(app, ident, email="jo@new.test", score=6)
        with app.Session.begin() as session:
            session.scalars(select(Tag)).one().name = "VIP"

    assert emailed["action"] == "contact.updated"
    assert emailed["changes"] == {
        "email": {"before": None, "after": "jo@new.test"},
        "score": {"before": 5, "after": 6},
    }
    assert app.events()[-1]["action"] == "tag.updated"


def test_merged_flushes_are_named_by_the_merged_changes(app: App) -> None:
    with app.track(Ticket):
        with app.Session.begin() as session:
            session.add(Ticket(workspace_id="acme", title="Printer on fire"))
        with app.Session.begin() as session:
            ticket = session.scalars(select(Ticket)).one()
            ticket.status = "closed"
            session.flush()  # alone, this would record ticket.closed
            ticket.status, ticket.assignee = "open", "u_ben"
        with app.Session.begin() as session:
            ticket = session.scalars(select(Ticket)).one()
            ticket.assignee = "u_ava"
            session.flush()
            ticket.status = "closed"

    _, assigned, closed = app.events()
    assert (assigned["action"], assigned["changes"]) == (
        "ticket.assigned",
        {"assignee": {"before": None, "after": "u_ben"}},
    )
    # Both rules match the merged changes: the first in the mapping names it.
    assert closed["action"] == "ticket.assigned"
    assert closed["changes"] == {
        "assignee": {"before": "u_ben", "after": "u_ava"},
        "status": {"before": "open", "after": "closed"},
    }


def test_actions_in_the_class_win_and_bulk_updates_stay_bulk(app: App) -> None:
    with app.track(Ticket, actions={"title": "renamed"}):
        with app.Session.begin() as session:
            session.add(Ticket(workspace_id="acme", title="Printer on fire"))
        for values in ({"status": "closed"}, {"status": "open"}, {"title": "Printer fixed"}):
            with app.Session.begin() as session:
                ticket = session.scalars(select(Ticket)).one()
                for name, value in values.items():
                    setattr(ticket, name, value)
        with app.Session.begin() as session:
            session.execute(update(Ticket).values(status="closed"))

    assert [e["action"] for e in app.events()] == [
        "ticket.created",
        "ticket.closed",
        "ticket.reopened",
        "ticket.updated",  # the class's rules replace track()'s
        "ticket.bulk_updated",
    ]


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ({"email": "Email-Changed"}, r"Contact: actions rule 'email': 'Email-Changed' is not a"),
        ({"score": {10: "top score"}}, r"rule 'score': value 10: 'top score' is not a verb"),
        ({Contact: {"emial": "emailed"}}, r"rule 'emial': Contact has no attribute 'emial'"),
        ({"bio": "rewritten"}, r"rule 'bio': the field is excluded"),
        ({"password_hash": {"x": "reset"}}, r"rule 'password_hash': the field is masked"),
        ({"email": ["emailed"]}, r"rule 'email': give a verb"),
        ({Contact: {"email": "emailed"}, "name": "renamed"}, r"not both in one mapping"),
        ("emailed", r"Contact: actions must be a mapping"),
    ],
)
def test_bad_actions_are_configuration_errors(app: App, actions: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        app.track(Contact, actions=actions, exclude=["bio"])


def test_an_actions_function_returning_no_verb_fails_the_flush(app: App) -> None:
    with app.track(Contact, actions=lambda contact, changes: "Renamed!"):
        ident = add_contact(app)
        with app.Session() as session:
            contact = session.get(Contact, ident)
            assert contact is not None
            contact.name = "Jo P."
            with pytest.raises(ConfigurationError, match=r"Contact: actions function: 'Renamed!'"):
                session.commit()

    assert [e["action"] for e in app.events()] == ["contact.created"]
