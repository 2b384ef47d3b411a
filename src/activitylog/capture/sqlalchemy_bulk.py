"""Statements that change many rows at once: ORM-enabled ``insert``, ``update`` and
``delete`` run through ``Session.execute``, and the INSERTs and UPDATEs of the session's
legacy bulk methods (``bulk_insert_mappings``, ``bulk_save_objects``,
``bulk_update_mappings``), which no ORM event reports. Each becomes one event per
workspace it touches, naming how many rows and which (primary keys, the first
:data:`IDS_MAX`).

Updates and deletes select the primary keys they will touch (and the workspace column,
when the workspace is read from one) just before the statement runs, in its transaction.
Inserts take count and keys from the rows given; keys the database generates are not
known without changing what the statement returns, so they are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ClauseElement,
    Column,
    Connection,
    Insert,
    Row,
    Select,
    Update,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapper, ORMExecuteState, QueryableAttribute
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnElement
from sqlalchemy.sql.visitors import iterate

from activitylog.capture.changes import MASK, json_value
from activitylog.capture.sqlalchemy_models import ModelSpec, fit, key_value

#: The most primary keys one bulk event lists; ``details.ids_truncated`` says when cut.
IDS_MAX = 1000
_CHUNK = 500


def bulk_events(
    execute: ORMExecuteState, spec: ModelSpec, conn: Connection
) -> list[dict[str, Any]]:
    """The events a bulk statement will cause, without context: ``workspace`` is None where
    neither the rows nor the options name one (the tracker then takes the context's)."""
    if execute.is_insert:
        return _inserted(execute, spec)
    verb = "bulk_updated" if execute.is_update else "bulk_deleted"
    changes: dict[str, Any] = {}
    details: dict[str, Any] = {}
    if execute.is_update:
        changes, details = _set(execute, spec)
        if not changes and not details:
            return []  # only fields the log leaves out were set
    return _per_workspace(spec, verb, _touched(execute, spec, conn), changes, details)


def _per_workspace(
    spec: ModelSpec,
    verb: str,
    touched: Mapping[str | None, list[Any]],
    changes: dict[str, Any],
    details: dict[str, Any],
) -> list[dict[str, Any]]:
    """One event per workspace of the rows touched (primary keys by workspace)."""
    events = []
    for workspace, idents in touched.items():
        event = _event(spec, verb, workspace, len(idents), idents, details)
        if changes:
            event["changes"] = changes
        events.append(event)
    return events


def _event(
    spec: ModelSpec,
    verb: str,
    workspace: str | None,
    count: int | None,
    idents: Sequence[Any] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    details: dict[str, Any] = {"count": count}
    if idents is not None:
        details["ids"] = list(idents[:IDS_MAX])
        details["ids_truncated"] = len(idents) > IDS_MAX
    return {
        "workspace": workspace,
        "action": spec.action(verb),
        "subject": {"type": spec.type},
        "details": {**details, **extra},
    }


def _touched(
    execute: ORMExecuteState, spec: ModelSpec, conn: Connection
) -> dict[str | None, list[Any]]:
    """Primary keys of the rows an update or delete will touch, by workspace."""
    if execute.is_executemany:  # an update by primary key, one parameter set per row
        wanted = [tuple(row[k] for k in spec.pk) for row in _rows(execute, spec.mapper)]
        return _by_workspace(spec, _keyed_rows(spec, conn, wanted))
    where = getattr(execute.statement, "whereclause", None)
    params = execute.parameters if isinstance(execute.parameters, dict) else None
    query = _key_query(spec)
    return _by_workspace(spec, conn.execute(query if where is None else query.where(where), params))


def _key_query(spec: ModelSpec) -> Select[Any]:
    """Primary key (and workspace column, when there is one) of a model's rows."""
    mapper = spec.mapper
    pk_columns = list(mapper.primary_key)
    workspace_column = spec.workspace_column
    columns = [*pk_columns, *([workspace_column] if workspace_column is not None else [])]
    return select(*columns).select_from(mapper.persist_selectable).order_by(*pk_columns)


def _keyed_rows(
    spec: ModelSpec, conn: Connection, wanted: Sequence[tuple[Any, ...]]
) -> list[Row[Any]]:
    """The key query's rows for the given primary keys."""
    pk_columns = list(spec.mapper.primary_key)
    key = pk_columns[0] if len(pk_columns) == 1 else tuple_(*pk_columns)
    query = _key_query(spec)
    rows: list[Row[Any]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        values = [w[0] for w in chunk] if len(pk_columns) == 1 else chunk
        rows.extend(conn.execute(query.where(key.in_(values))))
    return rows


def _by_workspace(spec: ModelSpec, rows: Iterable[Row[Any]]) -> dict[str | None, list[Any]]:
    size = len(spec.mapper.primary_key)
    touched: dict[str | None, list[Any]] = {}
    for row in rows:
        if spec.workspace_column is not None and row[size] is not None:
            workspace: str | None = str(json_value(row[size]))
        else:
            workspace = spec.workspace_value
        touched.setdefault(workspace, []).append(key_value(row[:size]))
    return touched


def _set(execute: ORMExecuteState, spec: ModelSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an update sets: ``changes`` ``{field: {after}}`` for values that are the same
    on every row, ``details`` naming SQL expressions and per-row values by field."""
    mapper = spec.mapper
    rows: list[dict[str, Any]] = []
    expressions: dict[str, str] = {}
    if execute.is_executemany:
        rows = _rows(execute, mapper)
        for row in rows:
            for key in spec.pk:
                row.pop(key, None)
    else:
        given = getattr(execute.statement, "_values", None) or execute.parameters or {}
        row = {}
        for name, value in _by_attribute(given, mapper).items():
            if isinstance(value, BindParameter):
                row[name] = value.effective_value
            elif isinstance(value, ClauseElement):
                expressions[name] = _sql(value)
            else:
                row[name] = value
        rows = [row]
    return _changes(spec, rows, expressions)


def _changes(
    spec: ModelSpec, rows: list[dict[str, Any]], expressions: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    policy = spec.policy
    fields = sorted({k for row in rows for k in row} | set(expressions))
    fields = [f for f in fields if policy.keeps(f)]
    missing = object()
    changes = {}
    for name in fields:
        values = [row.get(name, missing) for row in rows]
        if name not in expressions and all(v == values[0] for v in values[1:]):
            changes[name] = {"after": policy.shown(name, values[0])}
    details: dict[str, Any] = {}
    if len(changes) < len(fields):
        details["fields"] = fields
    sql = {k: MASK if policy.masks(k) else v for k, v in expressions.items() if policy.keeps(k)}
    if sql:
        details["sql"] = sql
    return fit(changes), details


def _inserted(execute: ORMExecuteState, spec: ModelSpec) -> list[dict[str, Any]]:
    statement = execute.statement
    mapper = spec.mapper
    rows: list[dict[str, Any]]
    if execute.parameters:
        rows = _rows(execute, mapper)
    elif getattr(statement, "_multi_values", None):
        rows = [_by_attribute(r, mapper) for group in statement._multi_values for r in group]  # type: ignore[attr-defined]
    elif getattr(statement, "_values", None):
        values = _by_attribute(statement._values, mapper)  # type: ignore[attr-defined]
        rows = [{k: getattr(v, "effective_value", v) for k, v in values.items()}]
    else:  # INSERT ... FROM SELECT: the count is known afterwards (the tracker fills it in)
        return [_event(spec, "bulk_created", spec.workspace_value, None, None, {})]
    return _created(spec, rows)


def _created(spec: ModelSpec, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``bulk_created`` event per workspace of the rows (keyed by attribute)."""
    attr = spec.workspace_attr
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        value = row.get(attr) if attr is not None else None
        workspace = str(json_value(value)) if value is not None else spec.workspace_value
        groups.setdefault(workspace, []).append(row)
    events = []
    for workspace, group in groups.items():
        known = all(all(row.get(k) is not None for k in spec.pk) for row in group)
        idents = [key_value([row[k] for k in spec.pk]) for row in group] if known else None
        events.append(_event(spec, "bulk_created", workspace, len(group), idents, {}))
    return events


def legacy_events(
    statement: Insert | Update,
    params: Sequence[Mapping[str, Any]],
    spec: ModelSpec,
    conn: Connection,
) -> list[dict[str, Any]]:
    """The events of an INSERT or UPDATE that a legacy bulk method runs on a tracked
    model's table, from the statement and its parameter sets (keyed by column); updates
    read the workspace of the rows they touch first, as :func:`bulk_events` does."""
    mapper = spec.mapper
    if isinstance(statement, Insert):
        return _created(spec, [_by_attribute(row, mapper) for row in params])
    keys = _key_binds(statement, spec)
    if len(keys) != len(spec.pk):
        return []  # not an update by primary key: no legacy bulk method runs one
    wanted = [tuple(row[keys[k]] for k in spec.pk) for row in params]
    values = [
        {k: v for k, v in _by_attribute(row, mapper).items() if k not in spec.pk} for row in params
    ]
    changes, details = _changes(spec, values, {})
    if not changes and not details:
        return []  # only fields the log leaves out were set
    touched = _by_workspace(spec, _keyed_rows(spec, conn, wanted))
    return _per_workspace(spec, "bulk_updated", touched, changes, details)


def _key_binds(statement: Update, spec: ModelSpec) -> dict[str, str]:
    """Primary key attribute -> the bind parameter an ``UPDATE ... WHERE pk = :bind``
    compares it with."""
    mapper = spec.mapper
    out: dict[str, str] = {}
    where = statement.whereclause
    for node in iterate(where) if where is not None else ():
        if isinstance(node, BinaryExpression) and isinstance(node.right, BindParameter):
            column = node.left
            if isinstance(column, Column) and column in mapper.primary_key:
                out[mapper.get_property_by_column(column).key] = node.right.key
    return out


def _rows(execute: ORMExecuteState, mapper: Mapper[Any]) -> list[dict[str, Any]]:
    """The statement's parameter sets, keyed by attribute name."""
    given = execute.parameters
    sets = given if isinstance(given, list) else [given] if isinstance(given, Mapping) else []
    return [_by_attribute(values, mapper) for values in sets]


def _by_attribute(values: Any, mapper: Mapper[Any]) -> dict[str, Any]:
    """A row of values keyed by attribute name, whatever the statement keyed it by
    (attribute or column name, column, instrumented attribute); other keys dropped."""
    items = values.items() if isinstance(values, Mapping) else values
    out: dict[str, Any] = {}
    for key, value in items:
        name = _attribute(key, mapper)
        if name is not None:
            out[name] = value
    return out


def _attribute(key: Any, mapper: Mapper[Any]) -> str | None:
    if isinstance(key, QueryableAttribute):
        return key.key
    if isinstance(key, str):
        if key in mapper.column_attrs:
            return key
        column = mapper.persist_selectable.c.get(key)
        return None if column is None else mapper.get_property_by_column(column).key
    if isinstance(key, ColumnElement):
        try:
            return mapper.get_property_by_column(key).key
        except Exception:  # a column of another table
            return None
    return None


def _sql(expression: ClauseElement) -> str:
    try:
        return str(expression.compile(compile_kwargs={"literal_binds": True}))
    except Exception:  # a value that has no literal form
        return str(expression)
