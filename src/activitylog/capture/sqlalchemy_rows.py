"""What one row's change looks like as an event: the values a flush saw (and those read
from the database when the instance did not hold them), the snapshot of a created or
deleted row, the changes of an updated one, and the limits every event must fit in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ClauseElement, Connection, inspect, select, tuple_
from sqlalchemy.orm import InstanceState
from sqlalchemy.orm.base import NO_VALUE

from activitylog.capture.changes import MASK, diff, json_value, related_ids
from activitylog.capture.sqlalchemy_models import ModelSpec, fit, key_value

#: The most related records one event lists (the event schema's limit).
RELATED_MAX = 100
_PLAIN = frozenset({str, int, float, bool})


def values_of(
    spec: ModelSpec, state: InstanceState[Any], known: Mapping[str, Any]
) -> dict[str, Any]:
    """The column values the instance holds (its own dict: other keys may be there too),
    and ``known`` ones it does not (values read from the database)."""
    held = state.dict
    if not known:
        return held
    return {**known, **held}


def to_fetch(spec: ModelSpec, state: InstanceState[Any], verb: str) -> list[str]:
    """The columns to read from the database for an event about this instance: those it
    does not hold that the event needs. ``created``: values the database filled in and
    did not return. ``updated`` (before the flush): old values of columns set while not
    loaded (expired or deferred), and what subject and workspace need. ``deleted``
    (before the flush): everything the snapshot, subject and workspace need."""
    held = state.dict
    if verb == "created":
        return [c for c in spec.generated if c not in held]
    if verb == "deleted":
        return [c for c in dict.fromkeys([*spec.columns, *spec.context_columns]) if c not in held]
    committed = state.committed_state
    changed = [k for k in committed if k in spec.column_set or k in spec.to_many]
    if not changed:
        return []
    unknown = [k for k in changed if committed[k] is NO_VALUE and k in spec.column_set]
    return [*unknown, *(c for c in spec.context_columns if c not in held and c not in unknown)]


def computed(spec: ModelSpec, state: InstanceState[Any], verb: str) -> list[str]:
    """Kept columns a new or changed row sets to an SQL expression (``func.now()``,
    ``Contact.visits + 1``): the flush expires them, so their values are read after it."""
    held = state.dict
    keys = spec.columns if verb == "created" else state.committed_state
    return [k for k in keys if k in spec.column_set and _is_sql(held.get(k))]


def old_values(state: InstanceState[Any], keys: Sequence[str]) -> dict[str, Any]:
    """The loaded values before the flush of columns it will expire."""
    committed = state.committed_state
    return {k: committed[k] for k in keys if committed.get(k, NO_VALUE) is not NO_VALUE}


def _is_sql(value: Any) -> bool:
    if value is None or type(value) in _PLAIN:
        return False
    return isinstance(value, ClauseElement) or hasattr(value, "__clause_element__")


def row_event(
    spec: ModelSpec,
    verb: str,
    state: InstanceState[Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    describe: Callable[[Any], dict[str, Any]],
) -> dict[str, Any] | None:
    """The event of one row a flush wrote, ``verb`` created, updated or deleted, without
    context (None: no kept field changed). An update's action is the verb the model's
    ``actions`` name for its changes. ``before`` / ``after``: column values the instance
    does not hold, read from the database before / after the flush."""
    event: dict[str, Any] = {"action": spec.action(verb)}
    if verb == "updated":
        changes, related = row_changes(spec, state, before, after, describe)
        if not changes:
            return None
        event["action"] = spec.update_action(state.obj(), changes)
        event["changes"] = changes
        if related:
            event["related"] = related
    values = values_of(spec, state, {**before, **after} if after else before)
    if verb != "updated":
        event["snapshot"] = row_snapshot(spec, values)
    event["subject"] = spec.subject(state, values)
    event["workspace"] = spec.workspace_of(state, values)
    return event


def row_snapshot(spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every kept column (as :func:`~activitylog.capture.changes.snapshot` shows them); one
    the row left empty (not given, no default) is None."""
    return fit({c: shown(spec, c, values.get(c)) for c in spec.columns})


def shown(spec: ModelSpec, name: str, value: Any) -> Any:
    """``spec.policy.shown``, with the common JSON values passed straight through."""
    if name in spec.policy.mask:
        return None if value is None else MASK
    if value is None or type(value) in _PLAIN:
        return value
    return json_value(value)


def row_changes(
    spec: ModelSpec,
    state: InstanceState[Any],
    known: Mapping[str, Any],
    assigned: Mapping[str, Any],
    describe: Callable[[Any], dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The kept fields a flush changed, ``{field: {before, after}}`` (``{after}`` alone when
    the old value could not be known), and the related records a relationship change
    touched. ``known``: old values read before the flush; ``assigned``: values of columns
    set to SQL expressions, read after it."""
    before: dict[str, Any] = {k: known[k] for k in assigned if k in known}
    after: dict[str, Any] = dict(assigned)
    unknown: dict[str, Any] = {k: v for k, v in assigned.items() if k not in known}
    related: list[Any] = []
    relations: dict[str, dict[str, Any]] = {}
    attrs, held, kept = state.attrs, state.dict, spec.column_set
    for key, old in state.committed_state.items():
        if key in assigned:
            continue
        if key in kept:
            # A column: committed_state holds its value before the flush, as its history
            # would say, unless it was not loaded when set.
            if key not in held:
                continue
            after[key] = held[key]
            if old is not NO_VALUE:
                before[key] = old
            elif key in known:
                before[key] = known[key]
            else:
                unknown[key] = held[key]
        elif key in spec.to_many:
            if key not in held:
                continue  # never loaded: the change shows on the other side's foreign key
            added, unchanged, deleted = attrs[key].history
            if added or deleted:
                relations[key] = {
                    "before": related_ids(_ident(o) for o in [*unchanged, *deleted]),
                    "after": related_ids(_ident(o) for o in [*unchanged, *added]),
                }
                related.extend([*deleted, *added])
        elif key in spec.to_one:
            added, _, deleted = attrs[key].history
            related.extend(o for o in [*deleted, *added] if o is not None)
    changes: dict[str, Any] = diff(before, {k: after[k] for k in before}, spec.policy)
    changes.update({k: {"after": shown(spec, k, v)} for k, v in unknown.items()})
    changes.update(relations)
    subjects = list({id(o): describe(o) for o in related}.values())[:RELATED_MAX]
    return fit(changes), subjects


def merge_updates(first: dict[str, Any], second: dict[str, Any], spec: ModelSpec, obj: Any) -> None:
    """Fold a later update event of the same row (``obj``) and transaction into the first
    (the flushes between are an implementation detail): ``before`` from the first,
    ``after`` from the second; a field back at its first value (unless masked) is no
    change. The action is named again, from the merged changes."""
    changes = first["changes"]
    for name, change in second["changes"].items():
        old = changes.get(name)
        if old is None:
            changes[name] = change
            continue
        merged = {"before": old["before"]} if "before" in old else {}
        merged["after"] = change["after"]
        unmasked = name in spec.to_many or not spec.policy.masks(name)
        if unmasked and "before" in merged and merged["before"] == merged["after"]:
            del changes[name]
        else:
            changes[name] = merged
    if changes:
        first["action"] = spec.update_action(obj, changes)
    first["subject"] = second["subject"]
    related = {
        (r["type"], r.get("id")): r for r in [*first.get("related", ()), *second.get("related", ())]
    }
    if related:
        first["related"] = list(related.values())[:RELATED_MAX]


def _ident(obj: Any) -> Any:
    state: InstanceState[Any] = inspect(obj)
    if state.key is not None:
        return key_value(state.key[1])
    return key_value(tuple(state.mapper.primary_key_from_instance(obj)))


def fetch(
    conn: Connection, spec: ModelSpec, rows: Mapping[tuple[Any, ...], Sequence[str]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Read some columns of some rows (by primary key) as the database holds them now:
    one SELECT per 500 rows."""
    keys = sorted({k for wanted in rows.values() for k in wanted})
    mapper = spec.mapper
    pk_columns = list(mapper.primary_key)
    columns = [mapper.column_attrs[k].columns[0] for k in keys]
    identities = list(rows)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(identities), 500):
        chunk = identities[start : start + 500]
        where = (
            pk_columns[0].in_([i[0] for i in chunk])
            if len(pk_columns) == 1
            else tuple_(*pk_columns).in_(chunk)
        )
        query = select(*pk_columns, *columns).select_from(mapper.persist_selectable).where(where)
        for row in conn.execute(query):
            found[tuple(row[: len(pk_columns)])] = dict(
                zip(keys, row[len(pk_columns) :], strict=True)
            )
    return found
