"""Bulk operations, which send no per-row signals, recorded as one event each.

:func:`~activitylog.contrib.django.register` makes the model's managers build querysets
with :class:`AuditedQuerySetMixin` mixed into their own queryset class; a manager whose
``get_queryset()`` names a QuerySet class itself (instead of ``self._queryset_class``)
should mix it in by hand: ``class ContactQuerySet(AuditedQuerySetMixin, QuerySet)``.

- ``update(**values)`` -> one ``<type>.bulk_updated``: details ``{"count", "ids",
  "ids_complete", "values"}`` — the rows updated, the ids of at most the first 1,000 of them
  (one ``SELECT`` before the update; ``ids_complete`` is False past 1,000), and the values
  set (as the fields store them, masked as the model's fields are; expressions as text).
  Old values are not known. An update of excluded fields only, or of no row, records
  nothing.
- ``bulk_create(objs)`` -> one ``<type>.bulk_created``: details ``{"count", "ids",
  "ids_complete"}``; ids where the database returns them (PostgreSQL, SQLite 3.35+,
  MariaDB 10.5+; not with ``ignore_conflicts``), ``"upsert": true`` with
  ``update_conflicts`` (the count then includes updated rows).
- ``bulk_update(objs, fields)`` -> one ``<type>.updated`` per object that changed, as if
  each was saved with ``update_fields`` (the old values are the loaded ones).
- ``delete()`` sends ``pre_delete`` / ``post_delete`` for every row (a model with receivers
  is never fast-deleted), so each row gets its ``<type>.deleted``.

Inside :func:`~activitylog.contrib.django.disable_capture` none of them records anything.

Not recorded: ``on_delete=SET_NULL`` / ``SET_DEFAULT`` cascades and ``_base_manager``
updates (Django writes them without a queryset method or signal), and raw SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from activitylog.contrib.django.recording import new_event, record_on_commit
from activitylog.contrib.django.signals import (
    record_updated,
    registration_for,
    remember,
    stored,
)
from activitylog.contrib.django.switch import capturing

#: The most ids a bulk event names.
IDS_CAP = 1000

_quiet: ContextVar[bool] = ContextVar("activitylog_bulk_update", default=False)


class AuditedQuerySetMixin:
    """Records ``update()``, ``bulk_create()`` and ``bulk_update()`` of registered models
    (see the module docstring); does nothing for models that are not registered."""

    model: Any
    _db: Any
    _hints: Any
    query: Any
    db: Any

    def update(self, **kwargs: Any) -> int:
        reg = registration_for(self.model)
        if reg is None or _quiet.get() or self.query.is_sliced or not capturing():
            return super().update(**kwargs)  # type: ignore[misc, no-any-return]
        from django.db import router

        using = self._db or router.db_for_write(self.model, **self._hints)
        ids = list(
            self.using(using)  # type: ignore[attr-defined]
            .order_by("pk")
            .values_list("pk", flat=True)[: IDS_CAP + 1]
        )
        count: int = super().update(**kwargs)  # type: ignore[misc]
        policy = reg.policy
        values = {}
        for key, value in kwargs.items():
            name = reg.field_name(key)
            if policy.keeps(name):
                if _plain(value):
                    value = stored(self.model._meta.get_field(key), value)
                else:
                    value = str(value)
                values[name] = policy.shown(name, value)
        if count and values:
            event = new_event(f"{reg.type_name}.bulk_updated", {"type": reg.type_name})
            event["details"] = {
                **_ids(ids, count),
                "values": values,
            }
            record_on_commit(event, using)
        return count

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        reg = registration_for(self.model)
        objs = list(objs)
        created: list[Any] = super().bulk_create(objs, *args, **kwargs)  # type: ignore[misc]
        if reg is None or not created:
            return created
        if capturing():
            ids = [obj.pk for obj in created if obj.pk is not None]
            details: dict[str, Any] = _ids(ids, len(created))
            if kwargs.get("update_conflicts") or (len(args) > 2 and args[2]):
                details["upsert"] = True
            event = new_event(f"{reg.type_name}.bulk_created", {"type": reg.type_name})
            event["details"] = details
            record_on_commit(event, self.db)
        for obj in created:
            remember(reg, obj)
        return created

    def bulk_update(
        self, objs: Iterable[Any], fields: Iterable[str], *args: Any, **kwargs: Any
    ) -> int:
        reg = registration_for(self.model)
        objs, fields = list(objs), list(fields)
        token = _quiet.set(True)
        try:
            rows: int = super().bulk_update(objs, fields, *args, **kwargs)  # type: ignore[misc]
        finally:
            _quiet.reset(token)
        if reg is not None:
            for obj in objs:
                record_updated(reg, obj, self.db, fields, recorded=capturing())
        return rows


def _ids(ids: list[Any], count: int) -> dict[str, Any]:
    return {
        "count": count,
        "ids": [str(i) for i in sorted(ids, key=_order)[:IDS_CAP]],
        "ids_complete": len(ids) == count and count <= IDS_CAP,
    }


def _order(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _plain(value: Any) -> bool:
    """A value (not an expression such as ``F("n") + 1``, which is recorded as text)."""
    return not hasattr(value, "resolve_expression")


def audited_queryset_class(base: type) -> type:
    """``base`` with :class:`AuditedQuerySetMixin` mixed in (one class per base)."""
    if issubclass(base, AuditedQuerySetMixin):
        return base
    found = _audited.get(base)
    if found is None:
        found = _audited[base] = _twin(base, (AuditedQuerySetMixin, base), {})
    return found


def audited_manager_class(base: type) -> type:
    """``base`` building its querysets from :func:`audited_queryset_class`."""
    if getattr(base, "_activitylog_audited", False):
        return base
    found = _audited.get(base)
    if found is None:
        queryset_class = audited_queryset_class(base._queryset_class)  # type: ignore[attr-defined]
        found = _audited[base] = _twin(
            base, (base,), {"_queryset_class": queryset_class, "_activitylog_audited": True}
        )
    return found


def _twin(base: type, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
    """A subclass that keeps ``base``'s module and name, so that Django's migrations
    (``Manager.deconstruct()``) and pickles still name ``base``."""
    return type(
        base.__name__,
        bases,
        {
            **namespace,
            "__module__": base.__module__,
            "__qualname__": base.__qualname__,
            "__doc__": base.__doc__,
        },
    )


_audited: dict[type, type] = {}

__all__ = ["IDS_CAP", "AuditedQuerySetMixin", "audited_manager_class", "audited_queryset_class"]
