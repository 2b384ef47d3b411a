"""SQLAlchemy capture and transactions: recorded only on commit, savepoints, the
same-transaction guarantee on the log's own database (SQLite and PostgreSQL), recording
after commit on another database, and appending on a caller's connection."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, event, select, text
from sqlalchemy.orm import Session

from activitylog import ActivityLog
from activitylog.capture.sqlalchemy import same_database

from .test_sqlalchemy import App, Contact, add_contact, make_app

# `app` (the log's own database) and `elsewhere` (another SQLite file) per engine of the log.


@pytest.fixture
def app(log: ActivityLog) -> Iterator[App]:
    yield from make_app(log)


@pytest.fixture
def elsewhere(log: ActivityLog, tmp_path: Path) -> Iterator[App]:
    yield from make_app(log, f"sqlite:///{tmp_path / 'app.db'}")


def names(app: App) -> list[str]:
    return [c.name for c in app.rows(Contact)]


def actions(app: App) -> list[str]:
    return [e["action"] for e in app.events()]


# -- commit, rollback, savepoints ----------------------------------------------------------
@pytest.mark.parametrize("where", ["same", "elsewhere"])
def test_only_committed_changes_are_recorded(
    request: pytest.FixtureRequest, log: ActivityLog, where: str
) -> None:
    app: App = request.getfixturevalue("app" if where == "same" else "elsewhere")
    with app.track(), app.Session() as session:
        session.add(Contact(workspace_id="acme", name="Jo"))
        session.flush()
        assert app.events() == []  # flushed, not committed
        session.rollback()
        session.add(Contact(workspace_id="acme", name="Sam"))
        session.commit()

    assert names(app) == ["Sam"]
    [created] = app.events()
    assert created["subject"]["name"] == "Sam"


def test_a_rolled_back_savepoint_drops_only_its_own_changes(app: App) -> None:
    with app.track(), app.Session.begin() as session:
        session.add(Contact(workspace_id="acme", name="Outer"))
        with session.begin_nested():
            session.add(Contact(workspace_id="acme", name="Kept"))
            nested = session.begin_nested()
            session.add(Contact(workspace_id="acme", name="Dropped"))
            session.flush()
            nested.rollback()
        try:
            with session.begin_nested():
                session.add(Contact(workspace_id="acme", name="Failed"))
                session.flush()
                raise RuntimeError("undo this savepoint")
        except RuntimeError:
            pass

    assert sorted(names(app)) == ["Kept", "Outer"]
    assert sorted(e["subject"]["name"] for e in app.events()) == ["Kept", "Outer"]


def test_events_are_recorded_in_the_order_made_one_batch_per_transaction(
    elsewhere: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[str]] = []
    record_many = elsewhere.log.record_many

    def spy(events: Any, **kwargs: Any) -> list[dict[str, Any]]:
        events = list(events)
        batches.append([e["action"] for e in events])
        return record_many(events, **kwargs)

    monkeypatch.setattr(elsewhere.log, "record_many", spy)
    with elsewhere.track(), elsewhere.Session.begin() as session:
        jo = Contact(workspace_id="acme", name="Jo")
        session.add(jo)
        session.flush()
        jo.email = "jo@acme.test"
        session.flush()
        session.delete(jo)

    assert batches == [["contact.created", "contact.updated", "contact.deleted"]]
    assert [e["seq"] for e in elsewhere.events()] == [1, 2, 3]


# -- the same-transaction guarantee ----------------------------------------------------------
def test_the_events_are_written_in_the_applications_transaction(app: App) -> None:
    seen: list[int] = []

    with app.track():

        @event.listens_for(app.Session, "before_commit")
        def look(session: Session) -> None:  # runs after the tracker wrote the events
            mine = session.connection().execute(text("SELECT count(*) FROM entries")).scalar()
            seen.extend([mine or 0, app.log.count(workspace="acme")])

        add_contact(app)
        event.remove(app.Session, "before_commit", look)

    assert seen == [1, 0]  # written in the transaction, invisible outside it until commit
    assert actions(app) == ["contact.created"]


def test_when_recording_fails_neither_change_nor_record_is_stored(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: Connection, rows: list[Any]) -> None:
        raise RuntimeError("disk full")

    with app.track():
        add_contact(app, email="before@acme.test")
        with monkeypatch.context() as patch, app.Session() as session:
            patch.setattr(app.log.store, "_insert_entries", broken)
            session.add(Contact(workspace_id="acme", name="Lost"))
            session.scalars(select(Contact)).first().email = "lost@acme.test"  # type: ignore[union-attr]
            with pytest.raises(RuntimeError, match="disk full"):
                session.commit()
            session.rollback()
        add_contact(app, email="after@acme.test")

    assert names(app) == ["Jo Park", "Jo Park"]
    assert [c.email for c in app.rows(Contact)] == ["before@acme.test", "after@acme.test"]
    assert actions(app) == ["contact.created", "contact.created"]
    assert [e["seq"] for e in app.events()] == [1, 2]  # the chain never saw the lost events
    assert app.log.verify().ok


def test_when_the_commit_fails_after_the_events_were_written_neither_is_stored(
    app: App,
) -> None:
    written: list[int] = []

    def fail(conn: Connection) -> None:
        if conn.info.pop("fail_commit", False):
            written.append(conn.execute(text("SELECT count(*) FROM entries")).scalar() or 0)
            raise RuntimeError("connection lost at commit")

    event.listen(app.engine, "commit", fail)
    with app.track():
        with app.Session() as session:
            session.add(Contact(workspace_id="acme", name="Lost"))
            session.flush()
            session.connection().info["fail_commit"] = True
            with pytest.raises(RuntimeError, match="connection lost at commit"):
                session.commit()
            session.rollback()
        assert written == [1]  # the event was in the transaction when its commit failed
        assert names(app) == []
        assert app.log.total_events() == 0
        add_contact(app)  # the chain goes on from where it was
    event.remove(app.engine, "commit", fail)

    assert names(app) == ["Jo Park"]
    assert [e["seq"] for e in app.events()] == [1]
    assert app.log.verify().ok


# -- another database: after commit ------------------------------------------------------
def test_on_another_database_events_are_recorded_after_commit(elsewhere: App) -> None:
    seen: list[int] = []
    with elsewhere.track():

        @event.listens_for(elsewhere.Session, "before_commit")
        def look(session: Session) -> None:
            session.flush()
            seen.append(elsewhere.log.count(workspace="acme"))

        with elsewhere.Session() as session:
            session.add(Contact(workspace_id="acme", name="Lost"))
            session.flush()
            session.rollback()
            session.add(Contact(workspace_id="acme", name="Jo"))
            session.commit()
        event.remove(elsewhere.Session, "before_commit", look)

    assert seen == [0]
    assert [e["subject"]["name"] for e in elsewhere.events()] == ["Jo"]


def test_a_failure_after_commit_is_raised_and_logged(
    elsewhere: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(events: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise ConnectionError("log database unreachable")

    with elsewhere.track(), elsewhere.Session() as session:
        monkeypatch.setattr(elsewhere.log, "record_many", down)
        session.add(Contact(workspace_id="acme", name="Jo"))
        with (
            caplog.at_level(logging.ERROR, "activitylog.capture"),
            pytest.raises(ConnectionError),
        ):
            session.commit()
        assert session.scalars(select(Contact.name)).all() == ["Jo"]  # still usable

    assert names(elsewhere) == ["Jo"]  # the change is committed: the error says so
    assert "could not record 1 events of a committed transaction" in caplog.text
    assert '"action":"contact.created"' in caplog.text


def test_same_transaction_false_records_after_commit_on_the_same_database(app: App) -> None:
    seen: list[int] = []
    with app.track(same_transaction=False):

        @event.listens_for(app.Session, "before_commit")
        def look(session: Session) -> None:
            session.flush()
            seen.append(
                session.connection().execute(text("SELECT count(*) FROM entries")).scalar() or 0
            )

        add_contact(app)
        event.remove(app.Session, "before_commit", look)

    assert seen == [0]
    assert actions(app) == ["contact.created"]


# -- appending on a caller's connection ----------------------------------------------------
def test_record_many_on_a_connection_commits_and_rolls_back_with_it(app: App) -> None:
    event_ = {"workspace": "acme", "action": "contact.viewed"}
    with app.engine.connect() as conn:
        stored = app.log.record_many([event_, event_], connection=conn)
        assert [e["seq"] for e in stored] == [1, 2]
        conn.rollback()
    assert app.log.total_events() == 0

    with app.engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # a transaction that has not written yet
        stored = app.log.record_many([event_], connection=conn)
        again = app.log.record_many([{**event_, "id": stored[0]["id"]}], connection=conn)
        assert again == stored  # idempotent, read back inside the transaction
        conn.commit()
    assert [e["seq"] for e in app.events()] == [1]
    assert app.log.verify().ok


def test_a_remote_log_cannot_record_in_a_transaction(tmp_path: Path) -> None:
    from activitylog import ConfigurationError

    remote = ActivityLog("https://log.example.com", api_key="alk_x", spool_dir=tmp_path)
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as conn, pytest.raises(ConfigurationError, match="remote log"):
            remote.record_many([{"workspace": "acme", "action": "a.b"}], connection=conn)
    finally:
        remote.close(timeout=0)


@pytest.mark.parametrize(
    ("mine", "theirs", "same"),
    [
        ("sqlite:////tmp/x/../app.db", "sqlite:////tmp/app.db", True),
        ("sqlite:////tmp/a.db", "sqlite:////tmp/b.db", False),
        ("sqlite://", "sqlite://", False),
        (
            "postgresql+psycopg://postgres@127.0.0.1/app?options=-csearch_path%3Ds1",
            "postgresql://postgres@127.0.0.1:5432/app?options=-csearch_path%3Ds1",
            True,
        ),
        (
            "postgresql+psycopg://postgres@127.0.0.1/app?options=-csearch_path%3Ds1",
            "postgresql://postgres@127.0.0.1/app?options=-csearch_path%3Ds2",
            False,
        ),
        ("postgresql+psycopg://u@db/app", "postgresql://other@db/app", False),
        ("sqlite:////tmp/app.db", "https://log.example.com", False),
    ],
)
def test_same_database(mine: str, theirs: str, same: bool) -> None:
    engine = create_engine(mine)
    try:
        assert same_database(engine, theirs) is same
    finally:
        engine.dispose()


class _OtherDriver:
    """A DBAPI connection that is not a ``sqlite3.Connection``, as another SQLite driver's
    (or an instrumented one's) is: everything passes through to the real one."""

    def __init__(self, inner: Any) -> None:
        object.__setattr__(self, "_inner", inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)


def test_record_many_on_a_connection_of_another_sqlite_driver(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "shared.db"
    log = ActivityLog(f"sqlite:///{path}")
    engine = create_engine(
        "sqlite://", creator=lambda: _OtherDriver(sqlite3.connect(path, check_same_thread=False))
    )
    try:
        with engine.connect() as conn:
            assert not isinstance(conn.connection.driver_connection, sqlite3.Connection)
            stored = log.record_many([{"workspace": "acme", "action": "a.b"}], connection=conn)
            conn.commit()
        assert [e["seq"] for e in stored] == [1]
        assert log.total_events() == 1
        assert log.verify().ok
    finally:
        engine.dispose()
        log.close()
