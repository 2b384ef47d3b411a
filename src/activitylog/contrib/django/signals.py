"""What a registered model's signals record (the receivers :func:`register` connects).

- **created** (``post_save``, created): ``<type>.created`` with a ``snapshot`` of every
  concrete field.
- **updated** (``post_save``): ``<type>.updated`` with ``changes`` of the fields whose value
  differs from the one *loaded* — remembered when the instance was built (``post_init``,
  which also runs for every row a query loads), refreshed by ``refresh_from_db()`` and by
  each save. Both are compared as the field stores them (``field.to_python``: ``"5"``
  assigned to an integer field is 5). A save that changes nothing records nothing; the
  values Django stamps on every save (``auto_now``) count only when something else
  changed (``auto_now_add`` is stamped on insert only: a later change is the caller's).
  ``save(update_fields=...)`` looks at those fields only. No query is made to find the old
  values, except for fields that were deferred (``only()`` / ``defer()``) and then
  assigned without being loaded, and for a new instance given an explicit primary key
  that has no default (Django may update a row with it): one ``SELECT`` of those fields
  before the save.
- **deleted** (``post_delete``, also sent for each row of ``QuerySet.delete()`` and of
  cascades): ``<type>.deleted`` with a ``snapshot`` of the values as loaded.
- **many-to-many** (``m2m_changed``): ``<type>.updated`` with ``{field: {"before": [ids],
  "after": [ids]}}`` (sorted), found with one ``SELECT`` of the current links per change;
  a ``set()`` (a remove and an add in one transaction) is one event. Changes made from the
  other side (``tag.contact_set.add(c)``) record an update of each registered object they
  touch. Models sharing one through model are told apart by the sender's model.

Saves Django makes with ``raw=True`` (``loaddata``), and the many-to-many links it then
sets on those objects, are not recorded unless ``RECORD_RAW_SAVES`` is set; nothing is
recorded inside :func:`~activitylog.contrib.django.disable_capture`.

Values are as :mod:`activitylog.capture.changes` shows them: foreign keys by id under the
field's name (``owner``), masked and excluded fields as the registration says. An ``F()``
expression saved as a value is recorded as its text (``F(views) + Value(1)``): the new
value is only known to the database.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from activitylog.capture.changes import FieldPolicy, diff, related_ids, snapshot
from activitylog.capture.sqlalchemy_models import fit
from activitylog.contrib.django.policy import MaskFunction, ModelPolicy
from activitylog.contrib.django.recording import Event, new_event, record_on_commit
from activitylog.contrib.django.settings import config, on_reset
from activitylog.contrib.django.switch import capturing
from activitylog.events import NAME_MAX, URL_MAX

logger = logging.getLogger("activitylog.contrib.django")

#: Where an instance keeps its loaded values: ``{attname: value}``.
LOADED = "_activitylog_loaded"
_M2M_BEFORE = "_activitylog_m2m_before"
#: Set on an instance saved raw and not recorded, so the links ``loaddata`` sets next are not.
_RAW = "_activitylog_raw"


class Link:
    """A many-to-many field of a registered model and its through model's two columns
    (known once Django has resolved the relation)."""

    def __init__(self, name: str, model_field: Any, through: Any) -> None:
        self.name = name
        self.field = model_field
        self.through = through

    @cached_property
    def source(self) -> str:
        """The through model's attname pointing at the registered model."""
        return str(self.through._meta.get_field(self.field.m2m_field_name()).attname)

    @cached_property
    def target(self) -> str:
        """The through model's attname pointing at the related model."""
        return str(self.through._meta.get_field(self.field.m2m_reverse_field_name()).attname)


@dataclass(eq=False)
class Registration:
    """How one model is recorded (built by :func:`~activitylog.contrib.django.register`)."""

    model: Any
    type_name: str
    exclude: frozenset[str]
    mask: frozenset[str]
    workspace: Callable[[Any], Any] | None
    #: ``(name, attname, field)`` of each concrete field, in model order.
    fields: tuple[tuple[str, str, Any], ...]
    #: through model -> link, filled in as Django resolves each relation.
    links: dict[Any, Link]
    names_itself: bool
    has_url: bool
    pk_has_default: bool
    many_to_many: tuple[Any, ...] = ()
    mask_with: MaskFunction | None = None
    attnames: tuple[str, ...] = field(init=False)
    copied: frozenset[str] = field(init=False)
    #: Names of the fields Django stamps on every save (``auto_now``).
    stamped: frozenset[str] = field(init=False)
    _policy: FieldPolicy | None = field(default=None, init=False)
    _names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.attnames = tuple(attname for _, attname, _ in self.fields)
        self.copied = frozenset(a for _, a, f in self.fields if _mutable(f))
        self.stamped = frozenset(n for n, _, f in self.fields if getattr(f, "auto_now", False))
        self._names = {attname: name for name, attname, _ in self.fields}

    def field_name(self, key: str) -> str:
        """The field's name for a name or an attname (``owner_id`` -> ``owner``)."""
        return self._names.get(key, key)

    @property
    def policy(self) -> FieldPolicy:
        """The registration's exclude, mask and mask function plus the settings'
        ``EXCLUDE``, ``MASK`` and ``MASK_WITH``."""
        policy = self._policy
        if policy is None:
            cfg = config()
            rules = FieldPolicy.of(self.exclude | cfg.exclude, self.mask | cfg.mask)
            names = [name for name, _, _ in self.fields] + [f.name for f in self.many_to_many]
            policy = self._policy = ModelPolicy(
                rules.exclude,
                rules.mask,
                known=frozenset(names),
                masked=frozenset(filter(rules.masks, names)),
                mask_with=self.mask_with or cfg.mask_with,
            )
        return policy

    def forget_policy(self) -> None:
        self._policy = None


#: Registered concrete models (and their proxies) -> how they are recorded.
_registry: dict[Any, Registration] = {}


def registration_for(model: Any) -> Registration | None:
    """How ``model`` (or the concrete model of a proxy) is recorded; None when it is not."""
    return _registry.get(model)


def _forget_policies() -> None:
    for registration in set(_registry.values()):
        registration.forget_policy()


on_reset(_forget_policies)


def _mutable(model_field: Any) -> bool:
    return model_field.get_internal_type() in ("JSONField", "ArrayField", "HStoreField")


# -- receivers -------------------------------------------------------------------------------
def connect(reg: Registration, sender: Any) -> None:
    """Connect ``reg``'s receivers for ``sender`` (the model or one of its proxies)."""
    from django.db.models import signals

    uid = _uid(sender)
    signals.post_init.connect(_on_init(reg), sender=sender, weak=False, dispatch_uid=uid)
    signals.pre_save.connect(_on_pre_save(reg), sender=sender, weak=False, dispatch_uid=uid)
    signals.post_save.connect(_on_post_save(reg), sender=sender, weak=False, dispatch_uid=uid)
    signals.post_delete.connect(_on_delete(reg), sender=sender, weak=False, dispatch_uid=uid)
    _registry[sender] = reg


def connect_link(reg: Registration, link: Link) -> None:
    from django.db.models import signals

    reg.links[link.through] = link
    signals.m2m_changed.connect(
        _on_m2m(reg, link), sender=link.through, weak=False, dispatch_uid=_link_uid(reg, link)
    )


def disconnect(reg: Registration, senders: Iterable[Any]) -> None:
    from django.db.models import signals

    for sender in senders:
        uid = _uid(sender)
        for signal in (signals.post_init, signals.pre_save, signals.post_save):
            signal.disconnect(sender=sender, dispatch_uid=uid)
        signals.post_delete.disconnect(sender=sender, dispatch_uid=uid)
        _registry.pop(sender, None)
    for through, link in reg.links.items():
        signals.m2m_changed.disconnect(sender=through, dispatch_uid=_link_uid(reg, link))


def _uid(sender: Any) -> str:
    return f"activitylog:{sender._meta.label}"


def _link_uid(reg: Registration, link: Link) -> str:
    # One per model and field: models sharing a through model each keep their receiver.
    return f"activitylog:{reg.model._meta.label}.{link.name}"


def _records(raw: bool) -> bool:
    """Whether a save is recorded: not inside ``disable_capture()``, and not raw (a fixture
    being loaded) unless ``RECORD_RAW_SAVES`` is set."""
    return capturing() and (not raw or config().record_raw_saves)


def _on_init(reg: Registration) -> Callable[..., None]:
    def receiver(sender: Any, instance: Any, **_: Any) -> None:
        remember(reg, instance)

    return receiver


def _on_pre_save(reg: Registration) -> Callable[..., None]:
    def receiver(sender: Any, instance: Any, using: str, raw: bool = False, **_: Any) -> None:
        if raw and not config().record_raw_saves:
            instance.__dict__[_RAW] = True
        else:
            instance.__dict__.pop(_RAW, None)
        if _records(raw):
            before_save(reg, instance, using)

    return receiver


def _on_post_save(reg: Registration) -> Callable[..., None]:
    def receiver(
        sender: Any,
        instance: Any,
        created: bool,
        using: str,
        update_fields: Any,
        raw: bool = False,
        **_: Any,
    ) -> None:
        recorded = _records(raw)
        if created:
            record_created(reg, instance, using, recorded=recorded)
        else:
            record_updated(reg, instance, using, update_fields, recorded=recorded)

    return receiver


def _on_delete(reg: Registration) -> Callable[..., None]:
    def receiver(sender: Any, instance: Any, using: str, **_: Any) -> None:
        if capturing():
            record_deleted(reg, instance, using)

    return receiver


def _on_m2m(reg: Registration, link: Link) -> Callable[..., None]:
    def receiver(
        sender: Any,
        instance: Any,
        action: str,
        reverse: bool,
        model: Any,
        pk_set: Any,
        using: str,
        **_: Any,
    ) -> None:
        # A through model shared by several models sends every change to each receiver:
        # take only those whose owning side is this registration's model.
        owner = model if reverse else type(instance)
        if not issubclass(owner, reg.model) or not capturing() or _RAW in instance.__dict__:
            return
        links_changed(reg, link, instance, action, reverse, pk_set, using)

    return receiver


# -- loaded values ---------------------------------------------------------------------------
def remember(reg: Registration, instance: Any, attnames: Iterable[str] | None = None) -> None:
    """Keep ``instance``'s current values (of ``attnames``, default all) as the loaded ones.
    JSON-like values are deep-copied, so changing them in place still shows as a change."""
    values = instance.__dict__
    kept = {a: values[a] for a in (reg.attnames if attnames is None else attnames) if a in values}
    for attname in reg.copied.intersection(kept):
        kept[attname] = copy.deepcopy(kept[attname])
    if attnames is not None:
        kept = {**values.get(LOADED, {}), **kept}
    values[LOADED] = kept


def before_save(reg: Registration, instance: Any, using: str) -> None:
    """Load the stored values that are not known in memory (see the module docstring)."""
    values = instance.__dict__
    if instance._state.adding:
        if instance.pk is None or reg.pk_has_default:
            return
        missing: list[str] = list(reg.attnames)
        known: dict[str, Any] = {}
    else:
        known = values.get(LOADED) or {}
        missing = [a for a in reg.attnames if a in values and a not in known]
        if not missing or instance.pk is None:
            return
    row = reg.model._base_manager.using(using).filter(pk=instance.pk).values(*missing).first()
    if row is not None:
        values[LOADED] = {**known, **row}


def record_created(reg: Registration, instance: Any, using: str, *, recorded: bool = True) -> None:
    """Record the new row's values (unless not ``recorded``), then remember them as loaded."""
    if recorded:
        values = instance.__dict__
        event = new_event(
            f"{reg.type_name}.created", subject_of(reg, instance), workspace_of(reg, instance)
        )
        event["snapshot"] = fit(
            snapshot(
                {name: stored(f, values[a]) for name, a, f in reg.fields if a in values},
                reg.policy,
            )
        )
        record_on_commit(event, using)
    remember(reg, instance)


def record_updated(
    reg: Registration, instance: Any, using: str, update_fields: Any, *, recorded: bool = True
) -> None:
    """Record the saved fields that changed since loaded (unless not ``recorded``), then
    remember them as loaded. Fields Django stamps on save are shown only along with a
    change of another field."""
    values = instance.__dict__
    loaded = values.get(LOADED) or {}
    fields = reg.fields
    if update_fields is not None:
        fields = tuple(f for f in fields if f[0] in update_fields or f[1] in update_fields)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    saved: list[str] = []
    for name, attname, model_field in fields:
        if attname not in values:
            continue  # deferred and never loaded: not saved
        saved.append(attname)
        if recorded and attname in loaded:
            old, new = loaded[attname], values[attname]
            if not _identical(old, new):
                old, new = stored(model_field, old), stored(model_field, new)
            before[name], after[name] = old, new
    changes = diff(before, after, reg.policy) if recorded else {}
    if not reg.stamped.issuperset(changes):
        event = new_event(
            f"{reg.type_name}.updated", subject_of(reg, instance), workspace_of(reg, instance)
        )
        event["changes"] = fit_changes(changes)
        record_on_commit(event, using)
    remember(reg, instance, saved)


def record_deleted(reg: Registration, instance: Any, using: str) -> None:
    values = instance.__dict__
    loaded = values.get(LOADED) or {}
    kept = {
        name: stored(f, loaded[a] if a in loaded else values[a])
        for name, a, f in reg.fields
        if a in loaded or a in values
    }
    event = new_event(
        f"{reg.type_name}.deleted", subject_of(reg, instance), workspace_of(reg, instance)
    )
    event["snapshot"] = fit(snapshot(kept, reg.policy))
    record_on_commit(event, using)


def fit_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` within the event's 64 KiB (:func:`fit`); a change too large even with
    long strings shortened shows its size note as both before and after."""
    fitted = fit(changes)
    if fitted is changes:
        return changes
    return {k: v if isinstance(v, dict) else {"before": v, "after": v} for k, v in fitted.items()}


def stored(model_field: Any, value: Any) -> Any:
    """``value`` as the field stores it, by ``field.to_python``: ``"5"`` assigned to an
    integer field is 5, an ISO 8601 string assigned to a date/time field a date/time (a
    naive one made aware in the default time zone under ``USE_TZ``, as Django saves it).
    Expressions (``F("n") + 1``) and values the field cannot convert are kept as they are."""
    if value is None or hasattr(value, "resolve_expression"):
        return value
    try:
        value = model_field.to_python(value)
    except Exception:  # a value the database took as it is, or an odd custom field
        return value
    if isinstance(value, datetime) and value.tzinfo is None and _is_datetime_field(model_field):
        from django.conf import settings
        from django.utils import timezone

        if settings.USE_TZ:
            value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _identical(old: Any, new: Any) -> bool:
    """Equal values of one type: no conversion needed to tell they did not change."""
    try:
        return type(old) is type(new) and bool(old == new)
    except Exception:  # values that cannot compare: let the conversion and diff decide
        return False


def _is_datetime_field(model_field: Any) -> bool:
    from django.db.models import DateTimeField

    return isinstance(model_field, DateTimeField)


# -- many-to-many ----------------------------------------------------------------------------
def links_changed(
    reg: Registration,
    link: Link,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: Any,
    using: str,
) -> None:
    """Before a change, note the current links of every registered object it touches;
    after it, record each one whose links changed."""
    policy = reg.policy
    if not policy.keeps(link.name):
        return
    stage, _, kind = action.partition("_")
    key = (link, reverse)
    if stage == "pre":
        owners = None if reverse and kind == "clear" else _owners(instance, reverse, pk_set)
        instance.__dict__.setdefault(_M2M_BEFORE, {})[key] = _current_links(
            link, owners, instance, using
        )
        return
    before: dict[Any, set[Any]] = instance.__dict__.get(_M2M_BEFORE, {}).pop(key, None)
    if before is None:
        return
    changed = set(pk_set or ())
    updates: list[tuple[Any, set[Any], set[Any]]] = []
    for owner, targets in before.items():
        if not reverse:
            after = set() if kind == "clear" else _applied(kind, targets, changed)
        else:
            after = _applied(kind if kind == "add" else "remove", targets, {instance.pk})
        if after != targets:
            updates.append((owner, targets, after))
    if not updates:
        return
    objects = (
        {instance.pk: instance}
        if not reverse
        else reg.model._base_manager.using(using).in_bulk([owner for owner, _, _ in updates])
    )
    for owner, targets, after in updates:
        obj = objects.get(owner)
        event = new_event(
            f"{reg.type_name}.updated",
            subject_of(reg, obj) if obj is not None else _bare_subject(reg, owner),
            workspace_of(reg, obj) if obj is not None else None,
        )
        event["changes"] = {
            link.name: {
                "before": policy.shown(link.name, related_ids(targets)),
                "after": policy.shown(link.name, related_ids(after)),
            }
        }
        record_on_commit(event, using, merge=_merge_links(link.name))


def _applied(kind: str, targets: set[Any], changed: set[Any]) -> set[Any]:
    return targets | changed if kind == "add" else targets - changed


def _owners(instance: Any, reverse: bool, pk_set: Any) -> set[Any]:
    return set(pk_set or ()) if reverse else {instance.pk}


def _current_links(
    link: Link, owners: set[Any] | None, instance: Any, using: str
) -> dict[Any, set[Any]]:
    rows = link.through._base_manager.using(using)
    if owners is None:  # clear() from the other side: whoever links to ``instance``
        owners = set(rows.filter(**{link.target: instance.pk}).values_list(link.source, flat=True))
    found: dict[Any, set[Any]] = {owner: set() for owner in owners}
    if owners:
        pairs = rows.filter(**{f"{link.source}__in": list(owners)}).values_list(
            link.source, link.target
        )
        for owner, target in pairs:
            found[owner].add(target)
    return found


def _merge_links(name: str) -> Callable[[Event, Event], bool]:
    def merge(last: Event, event: Event) -> bool:
        changes = last.get("changes")
        if (
            last["action"] != event["action"]
            or last["subject"] != event["subject"]
            or not changes
            or list(changes) != [name]
            or changes[name]["after"] != event["changes"][name]["before"]
        ):
            return False
        changes[name]["after"] = event["changes"][name]["after"]
        return True

    return merge


# -- subject and workspace -------------------------------------------------------------------
def subject_of(reg: Registration, instance: Any) -> dict[str, Any]:
    """``{type, id, name, url}``: the name is ``str(instance)`` when the model defines
    ``__str__``, the url its ``get_absolute_url()`` when it has one."""
    subject = _bare_subject(reg, instance.pk)
    if reg.names_itself:
        try:
            name = str(instance)[:NAME_MAX].replace("\x00", "\ufffd")
        except Exception:
            logger.debug("str() of %r failed", type(instance), exc_info=True)
        else:
            if name:
                subject["name"] = name
    if reg.has_url:
        try:
            url = instance.get_absolute_url()
        except Exception:
            logger.debug("get_absolute_url() of %r failed", type(instance), exc_info=True)
        else:
            if url:
                subject["url"] = str(url)[:URL_MAX]
    return subject


def _bare_subject(reg: Registration, pk: Any) -> dict[str, Any]:
    return {"type": reg.type_name, "id": None if pk is None else str(pk)}


def workspace_of(reg: Registration, instance: Any) -> str | None:
    if reg.workspace is None:
        return None
    value = reg.workspace(instance)
    return None if value is None else str(value)
