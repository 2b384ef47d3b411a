"""Which models are recorded: :func:`register` and :func:`unregister`.

``register(Contact)`` (or ``@register`` on the class) records each create, update, delete
and many-to-many change of ``Contact`` and its proxy models (see
:mod:`~activitylog.contrib.django.signals` for the shapes), and its bulk operations (see
:mod:`~activitylog.contrib.django.querysets`). To do so it

- connects receivers for ``post_init``, ``pre_save``, ``post_save``, ``post_delete`` and
  ``m2m_changed``, with the model (and each proxy) as sender, so other models pay nothing;
- wraps the model's ``refresh_from_db`` so a refresh (and the loading of a deferred field)
  updates the values it remembers as loaded;
- gives the model's managers a subclass of their class whose queryset class mixes in
  :class:`~activitylog.contrib.django.querysets.AuditedQuerySetMixin`. The subclasses keep
  the original's module and name, so migrations and pickles still name the original.
  Managers a model inherits from an abstract or concrete parent are shared with its
  siblings, which then get the mixin too: it does nothing for models that are not
  registered.

Subclasses with tables of their own (multi-table inheritance) are models of their own:
register each one that should be recorded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from activitylog.contrib.django.policy import MaskFunction
from activitylog.contrib.django.querysets import audited_manager_class
from activitylog.contrib.django.signals import (
    Link,
    Registration,
    connect,
    connect_link,
    disconnect,
    registration_for,
    remember,
)
from activitylog.errors import ConfigurationError

M = TypeVar("M")
Workspace = Callable[[Any], Any] | str | None

_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*")


@overload
def register(
    model: None = None,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    mask: Iterable[str] = (),
    mask_with: MaskFunction | str | None = None,
    workspace: Workspace = None,
    name: str | None = None,
) -> Callable[[M], M]: ...


@overload
def register(
    model: M,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    mask: Iterable[str] = (),
    mask_with: MaskFunction | str | None = None,
    workspace: Workspace = None,
    name: str | None = None,
) -> M: ...


def register(
    model: Any = None,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    mask: Iterable[str] = (),
    mask_with: MaskFunction | str | None = None,
    workspace: Workspace = None,
    name: str | None = None,
) -> Any:
    """Record the changes of ``model``; returns it, so it works as a class decorator, bare
    (``@register``) or with options (``@register(exclude=["updated_at"])``).

    - ``include``: the only fields recorded (None: all); ``exclude``: fields never recorded
      (by name or attname); ``mask``: fields recorded as ``"********"``. Names holding the
      words ``password``, ``token``, ``secret`` … are masked anyway
      (:data:`activitylog.capture.changes.DEFAULT_MASKED`); the ``EXCLUDE`` and ``MASK``
      settings add to both for every model.
    - ``mask_with``: a function (or its dotted path) making the text shown for a masked
      value, such as :func:`~activitylog.contrib.django.keep_last` (``"****4242"``);
      default the ``MASK_WITH`` setting, else ``"********"``.
    - ``workspace``: the workspace of an instance — a callable, or an attribute path such
      as ``"account_id"`` or ``"account.slug"``; None: the request's (the middleware's
      context), else the ``DEFAULT_WORKSPACE`` setting.
    - ``name``: the type in actions and subjects (``contact.updated``); default the class
      name in snake case (``TicketComment`` -> ``ticket_comment``).
    """
    if model is None:
        return functools.partial(
            register,
            include=include,
            exclude=exclude,
            mask=mask,
            mask_with=mask_with,
            workspace=workspace,
            name=name,
        )
    meta = getattr(model, "_meta", None)
    if meta is None or not isinstance(model, type):
        raise ConfigurationError(f"register() takes a Django model class, not {model!r}")
    if meta.abstract or meta.proxy:
        kind = "an abstract" if meta.abstract else "a proxy"
        raise ConfigurationError(
            f"{meta.label} is {kind} model: register the concrete model (its proxies are "
            "recorded with it)"
        )
    if registration_for(model) is not None:
        raise ConfigurationError(f"{meta.label} is already registered")
    type_name = name if name is not None else snake_case(meta.object_name)
    if not _TYPE_NAME.fullmatch(type_name):
        raise ConfigurationError(
            f"register({meta.label}): name must be lowercase like 'ticket_comment' "
            f"(got {type_name!r})"
        )
    fields = tuple(
        (f.name, f.attname, f) for f in meta.concrete_fields if not getattr(f, "generated", False)
    )
    excluded = _field_names(meta.label, "exclude", exclude, fields, meta)
    if include is not None:
        everything = {n for n, _, _ in fields} | {f.name for f in meta.local_many_to_many}
        kept = _field_names(meta.label, "include", include, fields, meta)
        excluded |= everything - kept
    reg = Registration(
        model=model,
        type_name=type_name,
        exclude=excluded,
        mask=_field_names(meta.label, "mask", mask, fields, meta),
        mask_with=_mask_function(meta.label, mask_with),
        workspace=_workspace(workspace),
        fields=fields,
        links={},
        names_itself=_defines(model, "__str__"),
        has_url=hasattr(model, "get_absolute_url"),
        pk_has_default=meta.pk.has_default() or _has_db_default(meta.pk),
        many_to_many=tuple(meta.local_many_to_many),
    )
    _install(reg, model)
    from django.db.models.fields.related import lazy_related_operation

    for m2m in meta.local_many_to_many:

        def link(model: Any, through: Any, m2m: Any = m2m) -> None:
            connect_link(reg, Link(m2m.name, m2m, through))

        lazy_related_operation(link, model, m2m.remote_field.through)
    for proxy in _proxies_of(model):
        _install(reg, proxy)
    _watch_for_proxies()
    return model


def unregister(model: Any) -> None:
    """Stop recording ``model`` (and its proxies). Its managers keep their audited class,
    which does nothing for a model that is not registered."""
    reg = registration_for(model)
    if reg is None or reg.model is not model:
        raise ConfigurationError(f"{getattr(model, '__name__', model)} is not registered")
    senders = [model, *_proxies_of(model)]
    disconnect(reg, senders)
    reg.links.clear()
    refresh = model.__dict__.get("refresh_from_db")
    original = getattr(refresh, "_activitylog_original", None)
    if original is not None:
        if original is _INHERITED:
            delattr(model, "refresh_from_db")
        else:
            model.refresh_from_db = original


def registered() -> list[Any]:
    """The registered models (not their proxies)."""
    from activitylog.contrib.django.signals import _registry

    return [model for model, reg in _registry.items() if reg.model is model]


def snake_case(name: str) -> str:
    """``TicketComment`` -> ``ticket_comment``, ``HTTPLog`` -> ``http_log``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _install(reg: Registration, model: Any) -> None:
    connect(reg, model)
    for base in model.__mro__:
        meta = base.__dict__.get("_meta")
        if meta is not None:
            for manager in meta.local_managers:
                manager.__class__ = audited_manager_class(type(manager))
    for manager in model._meta.managers:
        manager.__class__ = audited_manager_class(type(manager))
    own = model.__dict__.get("refresh_from_db")
    if not model._meta.proxy and not hasattr(own, "_activitylog_original"):
        model.refresh_from_db = _tracked_refresh(own, model)


_INHERITED = object()


def _tracked_refresh(own: Any, model: Any) -> Any:
    original = own if own is not None else model.refresh_from_db

    @functools.wraps(original)
    def refresh_from_db(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        reg = registration_for(type(self))
        if reg is not None:
            fields = kwargs.get("fields", args[1] if len(args) > 1 else None)
            if fields is None:
                remember(reg, self, [a for a in reg.attnames if a in self.__dict__])
            else:
                names = set(fields)
                remember(reg, self, [a for n, a, _ in reg.fields if n in names or a in names])
        return result

    refresh_from_db._activitylog_original = own if own is not None else _INHERITED  # type: ignore[attr-defined]
    return refresh_from_db


def _proxies_of(model: Any) -> list[Any]:
    from django.apps import apps

    return [
        candidate
        for models in apps.all_models.values()
        for candidate in models.values()
        if candidate._meta.proxy and candidate._meta.concrete_model is model
    ]


def _watch_for_proxies() -> None:
    """Proxies defined after ``register()`` are recorded with their concrete model."""
    from django.db.models.signals import class_prepared

    class_prepared.connect(_proxy_prepared, weak=False, dispatch_uid="activitylog:proxies")


def _proxy_prepared(sender: Any, **_: Any) -> None:
    if sender._meta.proxy:
        reg = registration_for(sender._meta.concrete_model)
        if reg is not None and registration_for(sender) is None:
            _install(reg, sender)


def _field_names(
    label: str, option: str, names: Iterable[str], fields: Any, meta: Any
) -> frozenset[str]:
    if isinstance(names, str):
        raise ConfigurationError(f"register({label}): {option} must be a list of field names")
    by_key = {key: name for name, attname, _ in fields for key in (name, attname)}
    by_key.update({f.name: f.name for f in meta.local_many_to_many})
    unknown = sorted(set(names) - set(by_key))
    if unknown:
        raise ConfigurationError(
            f"register({label}): {option} names unknown field(s) {', '.join(unknown)}"
        )
    return frozenset(by_key[n] for n in names)


def _mask_function(label: str, mask_with: MaskFunction | str | None) -> MaskFunction | None:
    if mask_with is None or callable(mask_with):
        return mask_with
    if isinstance(mask_with, str) and mask_with:
        from django.utils.module_loading import import_string

        try:
            found = import_string(mask_with)
        except ImportError as exc:
            raise ConfigurationError(f"register({label}): mask_with: {exc}") from None
        if callable(found):
            return found  # type: ignore[no-any-return]
    raise ConfigurationError(
        f"register({label}): mask_with must be a function or its dotted path (got {mask_with!r})"
    )


def _workspace(workspace: Workspace) -> Callable[[Any], Any] | None:
    if workspace is None or callable(workspace):
        return workspace
    if not isinstance(workspace, str) or not workspace:
        raise ConfigurationError("register(): workspace must be a callable or an attribute path")
    names = workspace.split(".")

    def resolve(instance: Any) -> Any:
        value = instance
        for name in names:
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    return resolve


def _defines(model: Any, method: str) -> bool:
    from django.db.models import Model

    return getattr(model, method) is not getattr(Model, method)


def _has_db_default(field: Any) -> bool:
    from django.db.models.fields import NOT_PROVIDED

    return getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
