"""Automatic capture of SQLAlchemy 2 ORM changes: rows created, updated and deleted,
relationship changes and bulk statements become events, recorded only if the transaction
commits::

    from activitylog.capture.sqlalchemy import track

    tracker = track(log, Contact, Company, session=SessionLocal, workspace="workspace_id")
    ...
    tracker.stop()

Events are collected after each flush (values as of that flush), dropped with a rolled
back transaction or savepoint, and recorded at commit. When the session writes to the
log's own database they are written in the application's transaction, just before it
commits, so the change and its record are stored together or not at all; otherwise they
are recorded right after the commit, one batch per transaction. The event shapes and
every rule: docs/CAPTURE.md, "SQLAlchemy".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary, WeakSet, ref

import orjson
from sqlalchemy import Connection, Engine, Insert, Table, Update, event, inspect
from sqlalchemy.orm import (
    InstanceState,
    Mapper,
    ORMExecuteState,
    Session,
    SessionTransaction,
    UOWTransaction,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.orm.attributes import instance_state

from activitylog.capture.sqlalchemy_actions import PerModelActions
from activitylog.capture.sqlalchemy_bulk import bulk_events, legacy_events
from activitylog.capture.sqlalchemy_models import (
    ModelSpec,
    Options,
    PerModel,
    Workspace,
    model_spec,
)
from activitylog.capture.sqlalchemy_pending import Context, Entry, Pending, same_database
from activitylog.capture.sqlalchemy_rows import (
    computed,
    fetch,
    old_values,
    row_event,
    to_fetch,
    values_of,
)
from activitylog.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Result

    from activitylog.client import ActivityLog

SessionTarget = Session | sessionmaker[Any] | scoped_session[Any] | type[Session]
logger = logging.getLogger("activitylog.capture")


def track(
    log: ActivityLog,
    *models: type,
    session: SessionTarget | None = None,
    exclude: PerModel = (),
    mask: PerModel = (),
    mask_defaults: bool = True,
    workspace: Workspace = None,
    subject_name: str | Callable[[Any], object] | None = None,
    subject_url: str | Callable[[Any], object] | None = None,
    type_name: Callable[[type], str] | None = None,
    actions: PerModelActions = None,
    same_transaction: bool | None = None,
) -> Tracker:
    """Record the changes to ``models`` (mapped classes, or bases of them) made through
    ``session`` (a sessionmaker, a Session subclass or instance; default: every Session).

    - ``exclude`` / ``mask``: field names left out / shown as ``********``, for every
      model, or per model as ``{Model: [names]}``; names like password, token or secret
      are masked unless ``mask_defaults=False``.
    - ``workspace``: the name of an attribute of the model holding it, a function of the
      instance, or a constant; else the context's (``log.context(workspace=...)``). A change
      with no workspace fails its flush with :class:`ConfigurationError`.
    - ``subject_name``: an attribute name or a function of the instance (default: the first
      of name, title, display_name, full_name, username, email, label). ``subject_url``:
      a template over column values (``"/contacts/{id}"``) or a function.
    - ``type_name``: the subject type and action prefix of a class (default: snake_case of
      its name, ``TeamMember`` -> ``team_member``, so ``team_member.created``).
    - ``actions``: domain verbs for updates, for every model or per model as ``{Model:
      ...}``: rules tried in order, ``{field: verb}`` (the field changed) or ``{field:
      {new_value: verb}}`` (it changed to that value), or a function ``(instance, changes)
      -> verb | None``. The first match names the action ``<type>.<verb>``
      (``{"assignee_id": "assigned"}`` -> ``conversation.assigned``); none: ``updated``.
      The event holds its ``changes`` either way; bulk updates stay ``bulk_updated``.
    - ``same_transaction``: write the events in the application's transaction (True), after
      its commit (False), or decide by whether the session's database is the log's (None).

    A model's ``__activitylog__`` dict overrides these for it: ``type``, ``exclude``,
    ``mask``, ``mask_defaults``, ``workspace``, ``name``, ``url``, ``actions``.
    """
    options = Options(
        exclude, mask, mask_defaults, workspace, subject_name, subject_url, type_name, actions
    )
    return Tracker(log, models, session or Session, options, same_transaction)


class Tracker:
    """Listeners recording changes of some models; :meth:`stop` removes them."""

    def __init__(
        self,
        log: ActivityLog,
        models: Iterable[type],
        target: SessionTarget,
        options: Options,
        same_transaction: bool | None,
    ) -> None:
        self.log = log
        self.models = tuple(models)
        if not self.models or not all(isinstance(m, type) for m in self.models):
            raise ConfigurationError("track() needs the model classes to record")
        if same_transaction and log.url.lower().startswith(("http://", "https://")):
            raise ConfigurationError("a remote log cannot record in the application's transaction")
        self._options = options
        self._same = same_transaction
        self._key = f"activitylog.capture.sqlalchemy:{id(self)}"
        self._specs: dict[type, ModelSpec | None] = {}
        self._described: dict[type, ModelSpec] = {}
        self._joins: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()
        # For the legacy bulk methods, seen only as statements on a session's connection:
        self._sessions: WeakKeyDictionary[Connection, ref[Session]] = WeakKeyDictionary()
        self._watched: WeakSet[Engine] = WeakSet()
        self._watching = threading.Lock()  # sessions begin in many threads at once
        # Weak both ways: a flush refers to its session, which would keep it alive.
        self._flushes: WeakKeyDictionary[Session, ref[UOWTransaction]] = WeakKeyDictionary()
        self._tables: dict[Table, ModelSpec | None] = {}
        for model in self.models:  # a bad option fails here, not at the first flush
            if _mapped(model):
                self.spec(model)
        self._listeners: list[tuple[Any, str, Callable[..., Any]]] = [
            (target, "before_flush", self._before_flush),
            (target, "after_flush", self._after_flush),
            (target, "before_commit", self._before_commit),
            (target, "after_commit", self._after_commit),
            (target, "after_soft_rollback", self._after_soft_rollback),
            (target, "after_transaction_end", self._after_transaction_end),
            (target, "do_orm_execute", self._do_orm_execute),
            (target, "after_begin", self._after_begin),
        ]
        # Row listeners propagate to subclasses: a model under another given one is covered.
        roots = [
            m for m in self.models if not any(m is not o and issubclass(m, o) for o in self.models)
        ]
        for model in roots:
            self._listeners += [
                (model, "after_insert", self._row("created")),
                (model, "after_update", self._row("updated")),
                (model, "before_delete", self._before_delete),
                (model, "after_delete", self._row("deleted")),
            ]
        for target_, name, fn in self._listeners:
            rows = isinstance(target_, type) and target_ in roots
            event.listen(target_, name, fn, **({"propagate": True} if rows else {}))

    def stop(self) -> None:
        """Stop recording (events collected in open transactions are dropped)."""
        for target, name, fn in self._listeners:
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
        self._listeners = []

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def spec(self, cls: type) -> ModelSpec | None:
        """How instances of ``cls`` are recorded; None when it is not tracked."""
        try:
            return self._specs[cls]
        except KeyError:
            pass
        found = model_spec(cls, self._options) if issubclass(cls, self.models) else None
        self._specs[cls] = found
        return found

    # -- collecting --------------------------------------------------------------------
    def _pending(self, session: Session) -> Pending:
        pending = session.info.get(self._key)
        if pending is None:
            pending = session.info[self._key] = Pending()
        return pending

    def _row(self, verb: str) -> Callable[[Mapper[Any], Connection, Any], None]:
        key = self._key

        def wrote(_mapper: Mapper[Any], _conn: Connection, target: Any) -> None:
            state = instance_state(target)
            session = state.session
            pending = session.info.get(key) if session is not None else None
            if pending is not None:  # None: a session this tracker does not watch
                pending.rows.append((verb, state))

        return wrote

    def _before_flush(self, session: Session, flush: UOWTransaction, _objects: Any) -> None:
        """Note what the flush will lose: old values the instances do not hold (expired or
        deferred when set, or never loaded before a delete), read from the database now,
        and the columns set to SQL expressions (their values are read after the flush)."""
        self._flushes[session] = ref(flush)
        pending = self._pending(session)
        pending.rows, pending.before, pending.computed = [], {}, {}
        wanted: dict[ModelSpec, dict[tuple[Any, ...], tuple[InstanceState[Any], list[str]]]] = {}
        for verb, objects in (
            ("created", session.new),
            ("updated", session.dirty),
            ("deleted", session.deleted),
        ):
            for obj in objects:
                spec = self.spec(type(obj))
                if spec is None:
                    continue
                state = instance_state(obj)
                if verb != "deleted" and (sql := computed(spec, state, verb)):
                    pending.computed[state] = sql
                    pending.before[state] = old_values(state, sql)
                keys = to_fetch(spec, state, verb) if verb != "created" else []
                if keys and state.key is not None:
                    wanted.setdefault(spec, {})[tuple(state.key[1])] = (state, keys)
        for spec, rows in wanted.items():
            found = self._fetch(session, spec, rows)
            for state, values in found.items():
                pending.before[state] = {**pending.before.get(state, {}), **values}

    def _fetch(
        self,
        session: Session,
        spec: ModelSpec,
        rows: dict[tuple[Any, ...], tuple[InstanceState[Any], list[str]]],
    ) -> dict[InstanceState[Any], dict[str, Any]]:
        conn = session.connection(bind_arguments={"mapper": spec.mapper})
        found = fetch(conn, spec, {identity: keys for identity, (_, keys) in rows.items()})
        return {state: found.get(identity, {}) for identity, (state, _) in rows.items()}

    def _before_delete(self, _mapper: Mapper[Any], conn: Connection, target: Any) -> None:
        # Rows deleted without session.delete() (orphans) were not seen before the flush.
        state = instance_state(target)
        pending = state.session.info.get(self._key) if state.session is not None else None
        spec = self.spec(type(target))
        if pending is None or spec is None or state in pending.before or state.key is None:
            return
        keys = to_fetch(spec, state, "deleted")
        if keys:
            identity = tuple(state.key[1])
            pending.before[state] = fetch(conn, spec, {identity: keys}).get(identity, {})

    def _after_flush(self, session: Session, _flush: UOWTransaction) -> None:
        pending = session.info.get(self._key)
        if pending is None or not pending.rows:
            return
        rows, before, sql = pending.rows, pending.before, pending.computed
        pending.rows, pending.before, pending.computed = [], {}, {}
        # Values the database filled in and did not return: read them while they are there.
        wanted: dict[ModelSpec, dict[tuple[Any, ...], tuple[InstanceState[Any], list[str]]]] = {}
        for verb, state in rows:
            spec = self.spec(state.class_)
            if spec is None or verb == "deleted":
                continue
            keys = [
                *(to_fetch(spec, state, verb) if verb == "created" else ()),
                *sql.get(state, ()),
            ]
            if keys:
                wanted.setdefault(spec, {})[spec.identity(state)] = (state, keys)
        after: dict[InstanceState[Any], dict[str, Any]] = {}
        for spec, wanted_rows in wanted.items():
            after.update(self._fetch(session, spec, wanted_rows))
        context = Context.now()
        owner = _owner(session)
        joins: dict[Mapper[Any], bool] = {}
        for verb, state in rows:
            spec = self.spec(state.class_)
            if spec is None:
                continue
            old, new = before.get(state, {}), after.get(state, {})
            built = row_event(spec, verb, state, old, new, self._describe)
            if built is None:
                continue
            mapper = spec.mapper
            if mapper not in joins:
                joins[mapper] = self._joined(session, mapper)
            row = state if verb == "updated" else None
            pending.add(Entry(owner, mapper, joins[mapper], context.complete(built), row), spec)

    def _describe(self, obj: Any) -> dict[str, Any]:
        """A related record as a subject ``{type, id, name}``."""
        cls = type(obj)
        spec = self._described.get(cls) or self.spec(cls) or model_spec(cls, self._options)
        self._described[cls] = spec
        state = instance_state(obj)
        subject = spec.subject(state, values_of(spec, state, {}))
        subject.pop("url", None)
        return subject

    def _do_orm_execute(self, execute: ORMExecuteState) -> Result[Any] | None:
        if not (execute.is_update or execute.is_delete or execute.is_insert):
            return None
        bound = execute.bind_mapper  # None for a Core statement on a table
        if bound is not None:
            spec = self.spec(bound.class_)
        else:
            spec = self._table_spec(getattr(execute.statement, "table", None))
        if spec is None:
            return None
        mapper = spec.mapper
        session = execute.session
        conn = session.connection(bind_arguments={"mapper": mapper})
        context = Context.now()
        events = [context.complete(e) for e in bulk_events(execute, spec, conn)]
        result = execute.invoke_statement()
        for e in events:
            if e["details"]["count"] is None:  # INSERT ... FROM SELECT
                e["details"]["count"] = max(getattr(result, "rowcount", 0) or 0, 0)
        owner, joined = _owner(session), self._joined(session, mapper)
        pending = self._pending(session)
        for e in events:
            if e["details"]["count"]:
                pending.add(Entry(owner, mapper, joined, e), spec)
        return result

    def _after_begin(self, session: Session, _tx: SessionTransaction, conn: Connection) -> None:
        self._sessions[conn] = ref(session)
        engine = conn.engine
        if engine in self._watched:
            return
        with self._watching:
            if engine not in self._watched:
                self._watched.add(engine)
                self._listeners.append((engine, "before_execute", self._before_execute))
                event.listen(engine, "before_execute", self._before_execute)

    def _before_execute(
        self,
        conn: Connection,
        statement: Any,
        multiparams: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        _options: Any,
    ) -> None:
        """Record what ``bulk_insert_mappings``, ``bulk_save_objects`` and
        ``bulk_update_mappings`` write to a tracked table. No ORM event reports them; they
        run as statements on the session's connection while it is marked as flushing, but
        outside any flush (a flush's rows are recorded from the ORM's own events)."""
        if not isinstance(statement, Insert | Update):
            return
        session_ref = self._sessions.get(conn)
        session = session_ref() if session_ref is not None else None
        if session is None or not session._flushing:
            return
        spec = self._table_spec(statement.table)
        if spec is None:
            return
        flush_ref = self._flushes.get(session)
        flush = flush_ref() if flush_ref is not None else None
        if flush is not None and flush.transaction is not None and flush.transaction.is_active:
            return
        rows = list(multiparams) or [params]
        events = legacy_events(statement, rows, spec, conn)
        if not events:
            return
        context = Context.now()
        owner, joined = _owner(session), self._joined(session, spec.mapper)
        pending = self._pending(session)
        for e in events:
            pending.add(Entry(owner, spec.mapper, joined, context.complete(e)), spec)

    def _table_spec(self, table: Any) -> ModelSpec | None:
        """The tracked model whose own table ``table`` is (the first given, for a table
        several models share)."""
        try:
            return self._tables[table]
        except KeyError:
            pass
        found = None
        for model in self.models:
            mapper: Mapper[Any] | None = inspect(model, raiseerr=False)
            if mapper is not None and mapper.local_table is table:
                found = self.spec(model)
                break
        self._tables[table] = found
        return found

    # -- committing and rolling back ---------------------------------------------------
    def _before_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint is released: its events wait for the outer commit
        session.flush()  # the last changes' events, before they are written
        pending = session.info.get(self._key)
        joined = pending.take_joined() if pending is not None else []
        if pending is None or not joined:
            return
        batches: dict[int, list[Entry]] = {}
        for e in joined:  # the log's database, perhaps through more than one engine
            batches.setdefault(id(session.get_bind(mapper=e.mapper)), []).append(e)
        ordered = list(batches.values())
        for i, batch in enumerate(ordered):
            conn = session.connection(bind_arguments={"mapper": batch[0].mapper})
            try:
                self.log.record_many([e.event for e in batch], connection=conn)
            except Exception:
                pending.entries[:0] = [e for b in ordered[i:] for e in b]  # still due
                raise

    def _after_commit(self, session: Session) -> None:
        pending = session.info.get(self._key)
        if pending is not None and not session.in_nested_transaction():
            pending.commit()

    def _after_soft_rollback(self, session: Session, previous: SessionTransaction) -> None:
        pending = session.info.get(self._key)
        if pending is not None and pending.entries:
            pending.roll_back(previous)

    def _after_transaction_end(self, session: Session, transaction: SessionTransaction) -> None:
        pending = session.info.get(self._key) if transaction.parent is None else None
        events = pending.end() if pending is not None else []
        if events:
            # Here rather than in after_commit: the session is closed cleanly first, so an
            # error reaches the caller of commit() without leaving the session unusable.
            self._record_after_commit(events)

    def _record_after_commit(self, events: list[dict[str, Any]]) -> None:
        try:
            self.log.record_many(events)
        except Exception:
            logger.error(
                "activitylog could not record %d events of a committed transaction: %s",
                len(events),
                b"\n".join(orjson.dumps(e, default=str) for e in events).decode(),
            )
            raise

    def _joined(self, session: Session, mapper: Mapper[Any]) -> bool:
        """Whether this mapper's events are written in the application's transaction."""
        if self._same is False:
            return False
        engine = session.get_bind(mapper=mapper).engine
        joined = self._joins.get(engine)
        if joined is None:
            # The store writes PostgreSQL batches with COPY through psycopg 3.
            copies = engine.dialect.name != "postgresql" or engine.driver == "psycopg"
            if self._same is True and not copies:
                raise ConfigurationError(
                    "recording in the application's transaction on PostgreSQL needs psycopg 3"
                    f" (postgresql+psycopg://), not {engine.driver}; or same_transaction=False"
                )
            joined = self._same is True or (copies and same_database(engine, self.log.url))
            self._joins[engine] = joined
        return joined


def _owner(session: Session) -> SessionTransaction:
    """The transaction or savepoint whose fate a change made now shares."""
    owner = session.get_nested_transaction() or session.get_transaction()
    if owner is None:  # a flush or a statement always runs in one
        raise ConfigurationError("activitylog: a change outside any transaction")
    return owner


def _mapped(cls: type) -> bool:
    return inspect(cls, raiseerr=False) is not None


__all__ = ["Tracker", "same_database", "track"]
